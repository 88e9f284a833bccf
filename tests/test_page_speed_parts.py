"""What keeps the app's pages quick: Home's title drawn before the heavy imports, light figures and images.

The timings themselves are in ``benchmarks/bench_app.py`` and ``benchmarks/bench_load.py``; these tests pin the
properties the timings rest on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from explorer.paths import HOME_PAGE, REPO_ROOT
from explorer.ui.memo import MB, BoundedCache

# Runs Home through AppTest in a fresh interpreter and records, for each element Home draws, whether torch was
# already imported when it was drawn. A fresh interpreter: the test session has imported torch long before.
PROBE = """
import json, sys
import streamlit as st
from streamlit.testing.v1 import AppTest

drawn = []
def recording(name):
    original = getattr(st, name)
    def draw(*args, **kwargs):
        drawn.append([name, str(args[0])[:40] if args else "", "torch" in sys.modules])
        return original(*args, **kwargs)
    return draw
for name in ("title", "markdown", "subheader"):
    setattr(st, name, recording(name))
app = AppTest.from_file(sys.argv[1], default_timeout=300).run()
report = {"drawn": drawn, "torch_at_end": "torch" in sys.modules}
report |= {"exceptions": [str(e.value) for e in app.exception], "titles": [t.value for t in app.title]}
print(json.dumps(report))
"""


def test_home_draws_its_title_before_torch_is_imported():
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(HOME_PAGE)], capture_output=True, text=True, cwd=REPO_ROOT, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not report["exceptions"], report["exceptions"]
    assert report["titles"] == ["STAN Explorer"]  # drawn once, not again by the page body
    title, intro = report["drawn"][:2]
    assert title == ["title", "STAN Explorer", False], report["drawn"]
    assert intro[0] == "markdown" and intro[2] is False, report["drawn"]
    assert report["torch_at_end"], "the probe is vacuous: Home never imported torch"  # the rest of Home did load


def test_the_intro_module_is_light():
    code = "import sys, explorer.ui.intro; print(sorted(m for m in ('torch', 'numpy', 'pandas') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert loaded.stdout.strip() == "[]", loaded.stdout


# -- one computation per key ------------------------------------------------------------------------
def test_visitors_asking_for_the_same_key_at_once_share_one_computation():
    cache = BoundedCache("test single flight", max_bytes=10 * MB)
    started, release, calls = threading.Event(), threading.Event(), []

    def slow():
        calls.append(threading.get_ident())
        started.set()
        release.wait(5)
        return np.ones(10)

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("clip", slow))) for _ in range(6)]
    threads[0].start()
    started.wait(5)
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.2)  # the others are waiting on the first
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(calls) == 1 and cache.computed == 1
    assert len(results) == 6 and all(result is results[0] for result in results)


def test_a_value_over_the_budget_still_reaches_every_waiter():
    cache = BoundedCache("test single flight, too big", max_bytes=100)
    started, release = threading.Event(), threading.Event()

    def big():
        started.set()
        release.wait(5)
        return np.zeros(1000, np.uint8)

    results = []
    first = threading.Thread(target=lambda: results.append(cache.get_or_compute("k", big)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: results.append(cache.get_or_compute("k", lambda: "computed again")))
    second.start()
    time.sleep(0.2)
    release.set()
    first.join(5), second.join(5)
    assert [result.size for result in results] == [1000, 1000] and len(cache) == 0


def test_when_the_computation_raises_a_waiter_computes_it():
    cache = BoundedCache("test single flight, failure", max_bytes=10 * MB)
    started, release = threading.Event(), threading.Event()

    def failing():
        started.set()
        release.wait(5)
        raise KeyboardInterrupt  # a BaseException, as Streamlit's stop signal is

    errors, results = [], []

    def first():
        try:
            cache.get_or_compute("k", failing)
        except KeyboardInterrupt:
            errors.append("stopped")

    leader = threading.Thread(target=first)
    leader.start()
    started.wait(5)
    waiter = threading.Thread(target=lambda: results.append(cache.get_or_compute("k", lambda: "fresh")))
    waiter.start()
    time.sleep(0.2)
    release.set()
    leader.join(5), waiter.join(5)
    assert errors == ["stopped"] and results == ["fresh"] and cache.get_or_compute("k", lambda: "no") == "fresh"


def test_different_keys_are_computed_side_by_side_and_a_thread_may_reenter():
    cache = BoundedCache("test single flight, keys", max_bytes=10 * MB)
    both = threading.Barrier(2, timeout=5)  # each computation waits for the other: serialised, this would fail

    def meet(value):
        both.wait()
        return value

    results = {}
    threads = [
        threading.Thread(target=lambda k=k: results.update({k: cache.get_or_compute(k, lambda: meet(k))})) for k in "ab"
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results == {"a": "a", "b": "b"}
    nested = cache.get_or_compute("outer", lambda: cache.get_or_compute("outer", lambda: "inner") + "+outer")
    assert nested == "inner+outer"


# -- memory freed by a page goes back to the system ------------------------------------------------------------
TRIM_PROBE = """
import threading
from explorer.ui import guard

def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

kept = []
def page_run():  # a script thread that allocates ~190 MiB in small blocks and keeps one in 20
    blocks = [bytearray(64 * 1024) for _ in range(3000)]
    kept.extend(blocks[::20])

thread = threading.Thread(target=page_run)
thread.start()
thread.join()
before = rss_mib()
trimmed = guard.release_freed_memory()
print(trimmed, guard.release_freed_memory(), before - rss_mib())
"""


def test_memory_a_page_freed_goes_back_to_the_system():
    from explorer.ui import guard

    if guard._LIBC is None or not Path("/proc/self/status").exists():
        pytest.skip("glibc and /proc only")
    done = subprocess.run([sys.executable, "-c", TRIM_PROBE], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    trimmed, again, released = done.stdout.split()
    assert trimmed == "True" and again == "False"  # at most every TRIM_EVERY_S
    assert float(released) > 100, done.stdout  # of the ~180 MiB freed in the thread's heap


def test_every_page_run_ends_with_a_trim(monkeypatch):
    from explorer.ui import guard

    calls = []
    monkeypatch.setattr(guard, "release_freed_memory", lambda: calls.append(1))
    with guard.page_guard():
        pass
    with pytest.raises(KeyboardInterrupt), guard.page_guard():  # Streamlit's stop: a BaseException, passed through
        raise KeyboardInterrupt
    assert len(calls) == 2
