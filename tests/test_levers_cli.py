"""The benchmark scripts' command lines: a row index or a seed they cannot take is one sentence, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from explorer.paths import REPO_ROOT

LEVERS = REPO_ROOT / "benchmarks" / "demo_levers.py"


@pytest.mark.parametrize("only", ["99", "0,x", "-1"])
def test_a_bad_row_index_names_the_valid_range(only):
    result = subprocess.run(
        [sys.executable, str(LEVERS), "--only", only], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT
    )
    assert result.returncode == 2
    assert "--only takes row indices from 0 to" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("seed", ["1", "3", "9001"])
def test_the_fresh_seed_check_refuses_a_seed_the_project_uses(seed):
    script = REPO_ROOT / "benchmarks" / "fresh_seed.py"
    result = subprocess.run(
        [sys.executable, str(script), "checkpoints/demo/stan", "--seed", seed],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 2
    assert f"seed {seed} is already used by the project" in result.stderr and "Traceback" not in result.stderr
