"""The app's byte-bounded caches: keys from the arguments (a clip by its fingerprint), eviction past the budget."""

from __future__ import annotations

import threading

import numpy as np
import torch

from explorer.media import Clip
from explorer.ui.memo import MB, BoundedCache, cache_key, memoize, size_in_bytes


def clip(value: int, seconds: int = 2) -> Clip:
    return Clip.from_arrays([np.full((2, 8, 8, 3), value, np.uint8)] * seconds, np.zeros(seconds * 16000, np.float32))


def test_sizes_count_the_buffers_inside_containers():
    assert size_in_bytes(np.zeros(1000, np.float32)) == 4000
    assert size_in_bytes(torch.zeros(10, 10)) == 400
    assert size_in_bytes((np.zeros(10), [np.zeros(5)])) == 120
    two_seconds = clip(1)
    assert size_in_bytes(two_seconds) >= 2 * 2 * 8 * 8 * 3 + 32000 * 4


def test_a_clip_is_keyed_by_its_content_and_bytes_by_their_digest():
    assert cache_key(clip(3)) == cache_key(clip(3)) != cache_key(clip(4))
    data = b"x" * 10_000
    key = cache_key(data)
    assert key[0] == "bytes" and len(key[1]) == 40  # the key does not keep the upload alive


def test_the_cache_stays_within_its_byte_budget_least_recently_used_first():
    cache = BoundedCache("test", max_bytes=10_000)
    for name in "abc":
        cache.get_or_compute(name, lambda: np.zeros(4000, np.uint8))
    assert len(cache) == 2 and cache.bytes == 8000 and "a" not in cache  # the oldest went
    assert isinstance(cache.get_or_compute("b", lambda: "recomputed"), np.ndarray)  # a hit, which refreshes "b"
    cache.get_or_compute("d", lambda: np.zeros(4000, np.uint8))
    assert "b" in cache and "d" in cache and "c" not in cache
    huge = cache.get_or_compute("e", lambda: np.zeros(20_000, np.uint8))
    assert huge.size == 20_000 and cache.bytes <= 10_000  # returned, not kept


def test_memoize_keys_by_arguments_skipping_underscored_ones():
    calls = []

    @memoize("test memoize", max_mb=1)
    def work(clip: Clip, scale: float, _note: str = "") -> float:
        calls.append((scale, _note))
        return float(clip.frames[0].mean()) * scale

    first = clip(2)
    assert work(first, 2.0, _note="a") == work(clip(2), 2.0, _note="b") == 4.0  # same content, same key
    assert work(first, scale=3.0) == 6.0
    assert calls == [(2.0, "a"), (3.0, "")]
    assert work.cache.bytes <= MB


def test_the_cache_is_safe_across_threads():
    cache = BoundedCache("threads", max_bytes=50 * 800)

    def hammer(offset):
        for index in range(200):
            cache.get_or_compute((offset, index % 60), lambda: np.zeros(100))

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.bytes == sum(800 for _ in range(len(cache))) <= 50 * 800
