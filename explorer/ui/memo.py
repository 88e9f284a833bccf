"""Caches bounded in bytes, shared by every session of one server (no streamlit).

``st.cache_data`` bounds entries, not bytes: 32 decoded one-minute clips can take gigabytes. Here each cache has a
byte budget and evicts the least recently used entries past it, so the server's memory stays bounded however many
visitors come. Arguments make the key: a :class:`~explorer.media.Clip` by its fingerprint, so callers pass the clip
itself and never a key by hand.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from explorer.media import Clip

MB = 2**20


def size_in_bytes(value: Any) -> int:
    """What a cached value holds: array and tensor buffers, plus the containers around them."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, torch.Tensor):
        return int(value.element_size() * value.nelement())
    if isinstance(value, (bytes, str)):
        return len(value)
    if isinstance(value, dict):
        return sum(size_in_bytes(key) + size_in_bytes(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return sum(size_in_bytes(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(size_in_bytes(getattr(value, field.name)) for field in dataclasses.fields(value))
    return sys.getsizeof(value)


def cache_key(value: Any) -> Any:
    """A hashable stand-in for an argument: a clip by its fingerprint, containers element-wise."""
    if isinstance(value, Clip):
        return ("clip", value.fingerprint)
    if isinstance(value, bytes):  # an upload: its digest, so the key does not hold the bytes
        return ("bytes", hashlib.sha1(value).hexdigest())
    if isinstance(value, (list, tuple)):
        return tuple(cache_key(item) for item in value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return tuple(sorted((key, cache_key(item)) for key, item in value.items()))
    hash(value)  # anything else must be hashable itself; a TypeError here is a programming error
    return value


class _Flight:
    """One computation in progress: the thread doing it, and its result once done (``ok`` False if it raised)."""

    def __init__(self) -> None:
        self.owner = threading.get_ident()
        self.done = threading.Event()
        self.ok, self.value = False, None


class BoundedCache:
    """Least-recently-used entries within ``max_bytes``; an entry larger than the budget is returned, not kept.

    One computation per key at a time: a caller that asks for a key another thread is computing waits for that
    result instead of computing it again. Without it, visitors who open the same page at once each decode, encode
    and explain the same clips: n times the work and n times the transient memory (8 sessions on Browse took the
    server past 4 GiB). If the computation raises (an error, or Streamlit stopping that script), one of the waiting
    callers computes it instead.
    """

    def __init__(self, name: str, max_bytes: int):
        self.name, self.max_bytes = name, max_bytes
        self._entries: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._flights: dict[Any, _Flight] = {}
        self._lock = threading.Lock()  # Streamlit runs each session in its own thread
        self.bytes = 0
        self.computed = 0  # how many times a value was computed (not found, not waited for)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Any) -> bool:
        return key in self._entries

    def get_or_compute(self, key: Any, compute: Callable[[], Any]) -> Any:
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key][0]
                flight = self._flights.get(key)
                if flight is None or flight.owner == threading.get_ident():  # the same thread again: no waiting
                    mine = self._flights[key] = _Flight()
                    break
            flight.done.wait()  # another thread is computing it
            if flight.ok:
                return flight.value
            # it raised there: try again (the entry, another thread's new flight, or this thread computes)
        try:
            value = compute()  # outside the lock: a slow encode must not block other keys
        except BaseException:
            with self._lock:
                if self._flights.get(key) is mine:
                    del self._flights[key]
            mine.done.set()
            raise
        size = size_in_bytes(value)
        with self._lock:
            self.computed += 1
            if key not in self._entries and size <= self.max_bytes:
                self._entries[key] = (value, size)
                self.bytes += size
                while self.bytes > self.max_bytes:
                    _, (_, evicted) = self._entries.popitem(last=False)
                    self.bytes -= evicted
            if self._flights.get(key) is mine:
                del self._flights[key]
        mine.ok, mine.value = True, value
        mine.done.set()
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0


CACHES: dict[str, BoundedCache] = {}


def memoize(name: str, max_mb: int) -> Callable:
    """Cache a function's results in a :class:`BoundedCache` of ``max_mb`` MiB, keyed by its arguments; as with
    Streamlit's caches, parameters whose name starts with ``_`` are not part of the key."""
    cache = CACHES.setdefault(name, BoundedCache(name, max_mb * MB))

    def decorator(function: Callable) -> Callable:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            key = tuple((name, cache_key(value)) for name, value in bound.arguments.items() if not name.startswith("_"))
            return cache.get_or_compute(key, lambda: function(*args, **kwargs))

        wrapper.cache = cache
        return wrapper

    return decorator
