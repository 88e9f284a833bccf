"""Independent jobs of ``explorer demo reproduce`` (feature chunks, models, method scores) spread over processes.

Small networks barely use a second thread: on the demo's 2-core CPU a demo model trains only ~1.2–1.45× faster with
two threads than with one. Two processes of one thread each keep both cores busy; side by side they trained four demo
models ×1.08–1.25 faster and encoded clips ×1.07 faster than one process with both threads (two runs of
benchmarks/bench_demo_speed.py; at stop 18, on another machine, two such processes trained 0.87× as fast, so measure
before relying on it: ``--workers 1`` is the one-process way). Workers are forked, so they share the parent's
features and encoders without copying or pickling them; only the jobs' keys and results travel.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

import torch

Job = TypeVar("Job")
Result = TypeVar("Result")

_function: Callable | None = None  # the job function, set before the fork so that workers inherit it


def default_workers() -> int:
    """One worker per core torch would use."""
    return max(1, torch.get_num_threads())


def _start_worker(threads: int) -> None:
    torch.set_num_threads(threads)


def _call(job):
    return _function(job)


def run_jobs(function: Callable[[Job], Result], jobs: Iterable[Job], workers: int = 1) -> Iterator[Result]:
    """``function(job)`` for each job, the results in job order. ``workers`` > 1 forks that many processes, which
    split the cores torch would use between them; 1 runs each job here, with every thread."""
    global _function
    jobs = list(jobs)
    workers = min(workers, len(jobs))
    if workers <= 1:
        yield from map(function, jobs)
        return
    threads = max(1, torch.get_num_threads() // workers)
    _function = function
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(threads,)) as pool:
            yield from pool.map(_call, jobs)
    finally:
        _function = None
