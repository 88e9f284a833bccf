"""The levers script's command line: a row index it does not have is one sentence, not a traceback."""

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
