"""Data-parallel training under torchrun: two CPU ranks (gloo) train one model and rank 0 writes it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from test_cli import pick_samples, write_store

from explorer import cli
from explorer.models import load_checkpoint

# One full-batch step per epoch: 24 training clips split 12 + 12 over the ranks, so the averaged
# gradient equals the single-process one and the two runs must end with the same weights.
TRAIN_ARGS = [
    "--dataset",
    "ave",
    "--epochs",
    "3",
    "--batch-size",
    "24",
    "--hidden",
    "8",
    "--lr",
    "0.01",
    "--device",
    "cpu",
    "--quiet",
]


@pytest.mark.slow
def test_torchrun_two_ranks_match_one_process(tmp_path):
    store = str(write_store(tmp_path / "store", pick_samples()).root)
    out = tmp_path / "ddp" / "stan"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "explorer",
        "train",
        "--features",
        store,
        "--out",
        str(out),
        *TRAIN_ARGS,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("best epoch") == 1  # only rank 0 reports and writes
    assert sorted(path.name for path in out.parent.iterdir()) == ["stan.json", "stan.safetensors"]
    parallel = load_checkpoint(out)
    assert parallel.card["hyperparameters"]["world_size"] == 2

    assert cli.main(["train", "--features", store, "--out", str(tmp_path / "single"), *TRAIN_ARGS]) == 0
    single = load_checkpoint(tmp_path / "single")
    assert parallel.card["best_epoch"] == single.card["best_epoch"]
    for name, weights in single.state_dict().items():
        torch.testing.assert_close(parallel.state_dict()[name], weights, rtol=1e-4, atol=1e-5, msg=name)
