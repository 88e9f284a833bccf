"""``explorer demo reproduce --workers``: jobs spread over forked processes give the results one process gives."""

from __future__ import annotations

import os

import pytest
import torch

from explorer.cli import main
from explorer.demo import feature_cache
from explorer.demo.feature_cache import cached_features
from explorer.demo.workers import default_workers, run_jobs


def worker_facts(job: int) -> tuple[int, int, int]:
    return job * job, os.getpid(), torch.get_num_threads()


def test_jobs_run_in_other_processes_with_the_cores_split_and_results_in_order():
    parent = os.getpid()
    results = list(run_jobs(worker_facts, range(6), workers=2))
    assert [square for square, _, _ in results] == [job * job for job in range(6)]
    assert all(pid != parent for _, pid, _ in results)
    assert {threads for _, _, threads in results} == {max(1, torch.get_num_threads() // 2)}
    assert [pid for _, pid, _ in run_jobs(worker_facts, range(3), workers=1)] == [parent] * 3


def test_a_failing_job_raises_its_error_in_the_caller():
    with pytest.raises(ZeroDivisionError):
        list(run_jobs(lambda job: 1 / job, [1, 0, 2], workers=2))


def test_chunks_encoded_by_two_workers_equal_one_process(stan, tmp_path, monkeypatch):
    encoder = stan[1]
    monkeypatch.setattr(feature_cache, "CHUNK", 2)  # four clips: two chunks, one a worker
    serial = cached_features([encoder], 4, 78, cache=tmp_path / "one", progress=False)
    spread = cached_features([encoder], 4, 78, cache=tmp_path / "two", progress=False, workers=2)
    assert serial[0] == spread[0] and torch.equal(serial[1]["labels"], spread[1]["labels"])
    for key in ("audio", "visual"):  # one thread against two: other rounding
        assert torch.allclose(serial[2][0][key], spread[2][0][key], atol=1e-4)
    assert len(list((tmp_path / "two").rglob("*chunk0001*"))) == 2  # the second chunk's truth and features


def test_default_is_one_worker_per_core():
    assert default_workers() == torch.get_num_threads()


def test_zero_workers_is_a_clear_error(tmp_path, capsys):
    assert main(["demo", "reproduce", "--quick", "--out", str(tmp_path), "--workers", "0"]) == 2
    assert "--workers must be at least 1, got 0" in capsys.readouterr().err
