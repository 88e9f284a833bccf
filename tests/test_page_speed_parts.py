"""What keeps the app's pages quick: Home's title drawn before the heavy imports, light figures and images.

The timings themselves are in ``benchmarks/bench_app.py`` and ``benchmarks/bench_load.py``; these tests pin the
properties the timings rest on.
"""

from __future__ import annotations

import json
import subprocess
import sys

from explorer.paths import HOME_PAGE, REPO_ROOT

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
