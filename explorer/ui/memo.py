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


class BoundedCache:
    """Least-recently-used entries within ``max_bytes``; an entry larger than the budget is returned, not kept."""

    def __init__(self, name: str, max_bytes: int):
        self.name, self.max_bytes = name, max_bytes
        self._entries: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()  # Streamlit runs each session in its own thread
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Any) -> bool:
        return key in self._entries

    def get_or_compute(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
        value = compute()  # outside the lock: a slow encode must not block other sessions
        size = size_in_bytes(value)
        with self._lock:
            if key not in self._entries and size <= self.max_bytes:
                self._entries[key] = (value, size)
                self.bytes += size
                while self.bytes > self.max_bytes:
                    _, (_, evicted) = self._entries.popitem(last=False)
                    self.bytes -= evicted
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
