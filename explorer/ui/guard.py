"""One guard around every page: known errors keep their sentence; anything else is one st.error and a log entry.

After each page, memory the run freed goes back to the system (glibc's ``malloc_trim``): Streamlit runs every
script in a new thread, glibc gives threads their own heaps and keeps what they free, so without it the server's
resident memory creeps up with the visitors although the caches (:mod:`explorer.ui.memo`) are bounded.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from explorer.errors import ExplorerError

LOG = logging.getLogger("explorer.app")
TRIM_EVERY_S = 2.0  # at most this often: a trim walks every heap (milliseconds)


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None  # glibc only; musl and macOS have none
    except OSError:
        return None


_LIBC = _libc()
_trimmed = {"at": 0.0}
_trim_lock = threading.Lock()


def release_freed_memory() -> bool:
    """Give freed heap memory back to the system, at most every ``TRIM_EVERY_S``; whether it trimmed."""
    if _LIBC is None:
        return False
    with _trim_lock:
        if time.monotonic() - _trimmed["at"] < TRIM_EVERY_S:
            return False
        _trimmed["at"] = time.monotonic()
    _LIBC.malloc_trim(0)
    return True


@contextmanager
def page_guard(what: str = "this page") -> Iterator[None]:
    """Streamlit's own stop and rerun signals are BaseExceptions and pass through untouched."""
    try:
        yield
    except ExplorerError as error:
        st.error(str(error))
    except Exception:  # the last line of defence: the traceback goes to the server log, never to the page
        reference = uuid.uuid4().hex[:8]
        LOG.exception("unexpected error while drawing %s [ref %s]", what, reference)
        st.error(
            f"Something went wrong while drawing {what} (reference {reference}); the details are in the server log."
        )
    finally:
        release_freed_memory()
