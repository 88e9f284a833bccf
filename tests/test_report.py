"""``explorer report``: the demo report from the committed checkpoints on a few fresh clips, and its bad inputs."""

from __future__ import annotations

import json
import shutil

import pytest

from explorer.cli import main
from explorer.demo.training import DEMO_CHECKPOINTS
from explorer.paths import REPO_ROOT

CHECKPOINTS = REPO_ROOT / "checkpoints" / "demo"


def test_report_on_a_few_fresh_clips(tmp_path):
    out = tmp_path / "report"
    assert (
        main(
            [
                "report",
                "--out",
                str(out),
                "--checkpoints",
                str(CHECKPOINTS),
                "--n",
                "4",
                "--seed",
                "9002",
                "--draws",
                "2",
                "--methods",
                "attention,grad_cam",
                "--method-clips",
                "2",
            ]
        )
        == 0
    )
    readme = (out / "README.md").read_text()
    for section in (
        "Table 1",
        "Table 2",
        "Table 3",
        "Spatial pointing game",
        "Figure 3",
        "Figure 4",
        "STAN targets",
        "STAN's pooling",
        "Explanation methods (first 2 test clips)",
    ):
        assert section in readme
    for name in DEMO_CHECKPOINTS:
        assert f"| {name} |" in readme
    for figure in ("figure3.png", "figure4.png"):
        assert (out / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((out / "report.json").read_text())
    assert report["test_set"]["clips"] == 4
    stan = report["metrics"]["stan"]
    assert len(stan["tvd_relevant"]) == len(stan["sigma2"]) == 11
    assert stan["spatial_hit_rate"] is not None and report["metrics"]["stan_audio"]["spatial_hit_rate"] is None
    methods = report["methods"]["scores"]
    assert set(methods) == {"stan", "abn", "av_abn", "film", "attention_fusion"}
    assert "unavailable" in methods["film"]["attention"]  # no attention of its own: said, not faked
    assert 0 <= methods["stan"]["grad_cam"]["spatial_hit_rate"] <= 1 and "| reference |" in readme


@pytest.mark.parametrize("case", ["missing folder", "no models", "missing encoder weights", "out is a file", "bad n"])
def test_report_bad_inputs_are_one_line_errors(case, tmp_path, capsys):
    checkpoints, out = tmp_path / "checkpoints", tmp_path / "report"
    if case == "no models":
        checkpoints.mkdir()
    if case == "missing encoder weights":  # a card naming the paper's encoders, whose weights are not here
        checkpoints.mkdir()
        shutil.copy(CHECKPOINTS / "stan.safetensors", checkpoints / "stan.safetensors")
        description = json.loads((CHECKPOINTS / "stan.json").read_text())
        description["card"]["encoder"] = {"name": "vggish+resnet152", "weights": None}
        (checkpoints / "stan.json").write_text(json.dumps(description))
    if case == "out is a file":
        shutil.copytree(CHECKPOINTS, checkpoints)
        out.write_text("not a folder")
    argv = ["report", "--out", str(out), "--checkpoints", str(checkpoints), "--n", "0" if case == "bad n" else "1"]
    if case == "bad n":
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    else:
        assert main(argv) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error: ") and "Traceback" not in error
