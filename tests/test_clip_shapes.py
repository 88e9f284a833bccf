"""Every clip ``load_clip`` accepts renders on every page that takes a clip (issue: reliability).

A demo-format samples folder holds one clip of each unusual shape, each annotated with its own class, and the app
is pointed at it (EXPLORER_DEMO_SAMPLES). Browse opens each by filtering on its class; Perturbation, Pointing game
and Compare pick each in their clip selector. Upload has its own shape tests in test_app.py.
"""

from __future__ import annotations

import json
import shutil

import pytest
from app_testing import assert_clean, run_app
from media_factory import make_video

from explorer.media import load_clip
from explorer.paths import demo_samples_dir

TONE = dict(audio_codec="aac")
# video id -> (make_video settings, what load_clip must report). Long clips are small and slow (2 fps) to stay quick.
SHAPES = {
    "one_segment_1_0s": dict(seconds=1.0, tone=(440.0, 0.0, 1.0), **TONE),
    "one_segment_1_9s": dict(seconds=1.9, tone=(440.0, 0.0, 1.9), **TONE),
    "two_segments": dict(seconds=2.0, tone=(440.0, 0.0, 1.0), **TONE),
    "seconds_59": dict(seconds=59.0, fps=2, size=(48, 32), tone=(440.0, 10.0, 20.0), **TONE),
    "seconds_60": dict(seconds=60.0, fps=2, size=(48, 32), tone=(440.0, 10.0, 20.0), **TONE),
    "seconds_62_truncated": dict(seconds=62.0, fps=2, size=(48, 32), tone=(440.0, 10.0, 20.0), **TONE),
    "portrait_9_16": dict(seconds=2.0, size=(54, 96), tone=(440.0, 0.0, 2.0), **TONE),
    "tiny_96x64": dict(seconds=2.0, size=(96, 64), tone=(440.0, 0.0, 2.0), **TONE),
    "one_fps": dict(seconds=3.0, fps=1, tone=(440.0, 0.0, 3.0), **TONE),
    "two_fps": dict(seconds=3.0, fps=2, tone=(440.0, 0.0, 3.0), **TONE),
    "fast_120fps": dict(seconds=2.0, fps=120, tone=(440.0, 0.0, 2.0), **TONE),
    "no_audio": dict(seconds=3.0),
    "surround_5_1_48k": dict(seconds=2.0, audio_rate=48000, channels=6, tone=(440.0, 0.0, 2.0), **TONE),
    "rotated": dict(seconds=2.0, size=(96, 54), rotation=-90, tone=(440.0, 0.0, 2.0), **TONE),
}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    """The folder, and each clip's (video id, class, segments) in annotation order."""
    folder = tmp_path_factory.mktemp("shapes")
    (folder / "clips").mkdir()
    classes = json.loads((demo_samples_dir() / "classes.json").read_text())
    shutil.copy(demo_samples_dir() / "classes.json", folder / "classes.json")
    rows, listed = ["Category&VideoID&Quality&StartTime&EndTime"], []
    for (video_id, settings), name in zip(SHAPES.items(), classes):
        path = make_video(folder / "clips" / f"{video_id}.mp4", **settings)
        segments = load_clip(path).num_segments
        rows.append(f"{name}&{video_id}&good&0&{min(segments, 2)}")
        listed.append((video_id, name, segments))
    (folder / "annotations.txt").write_text("\n".join(rows) + "\n")
    assert [segments for video_id, _, segments in listed if video_id.startswith("seconds_")] == [59, 60, 60]
    return folder, listed


@pytest.fixture
def app_on(shapes, monkeypatch):
    monkeypatch.setenv("EXPLORER_DEMO_SAMPLES", str(shapes[0]))
    return lambda page: run_app(page)


def assert_views(app, what: str) -> None:
    assert_clean(app)
    assert app.get("image") and app.get("plotly_chart"), what


def test_browse_opens_every_shape(shapes, app_on):
    app = app_on("browse")
    for video_id, name, _ in shapes[1]:
        app.multiselect(key="browse_classes").set_value([name]).run()
        assert_views(app, video_id)
        assert any(video_id in header.value for header in app.subheader), video_id


@pytest.mark.parametrize(
    "page, selector",
    [("perturbation", "perturbation_sample"), ("pointing_game", "pointing_sample"), ("compare", "compare_sample")],
)
def test_every_shape_renders_on(page, selector, shapes, app_on):
    app = app_on(page)
    for index, (video_id, _, _) in enumerate(shapes[1]):
        app.selectbox(key=selector).select_index(index).run()
        assert_clean(app)
        assert app.selectbox(key=selector).value.video_id == video_id  # the shapes folder, not a cached dataset
        assert app.get("plotly_chart"), (page, video_id)  # the time or TVD chart
        if page != "pointing_game":  # the pointing game shows images only on the demo's object masks
            assert app.get("image"), (page, video_id)
    if page == "pointing_game":  # Table 3 over clips of every length, each scored on the seconds it shares
        app.button(key="pointing_run").click().run()
        assert_clean(app)
        assert len(app.dataframe[-1].value) >= 3
