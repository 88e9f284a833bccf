"""The Streamlit app: its pure helpers directly, and every page through AppTest.

The app runs against a tiny world built in a temporary folder with the library itself: three rendered
demo clips, a random-init STAN and STAN (audio) checkpoint, and random compact encoders.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.data.dataset import Sample
from explorer.demo import build_corpus
from explorer.encoders import create_encoder, save_encoder
from explorer.errors import DataError
from explorer.media import Clip, load_clip
from explorer.models import create_model
from explorer.models.checkpoint import save_checkpoint
from explorer.ui import analysis, counterfactuals, figures, samples

streamlit_testing = pytest.importorskip("streamlit.testing.v1")
REPO = Path(__file__).resolve().parents[1]
HOME = str(REPO / "explorer" / "Home.py")
PAGES = ("browse", "upload", "perturbation", "pointing_game", "compare")


def build_world(root: Path) -> dict[str, Path]:
    """Demo clips, two random checkpoints and the encoder they name, all made by the library."""
    demo = root / "samples"
    build_corpus(demo, 3, seed=0, progress=False)
    classes = json.loads((demo / "classes.json").read_text())
    encoder = create_encoder("compact", "random")
    save_encoder(encoder, root / "checkpoints" / "demo" / "encoders" / "compact")
    torch.manual_seed(0)
    for name in ("stan", "stan_audio"):
        model = create_model(name, len(classes), encoder.audio_dim, encoder.visual_dim)
        card = {"classes": classes, "dataset": "demo", "encoder": {"name": "compact", "weights": "encoders/compact"},
                "metrics": {"mAP": 0.0}, "training_command": "random init for tests"}
        save_checkpoint(model, root / "checkpoints" / "demo" / name, card)
    return {"EXPLORER_CHECKPOINTS_DIR": root / "checkpoints", "EXPLORER_DEMO_SAMPLES": demo}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    paths = build_world(tmp_path_factory.mktemp("world"))
    saved = {key: os.environ.get(key) for key in paths}
    os.environ.update({key: str(value) for key, value in paths.items()})
    yield paths
    for key, value in saved.items():
        os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


def run_app(page: str | None = None):
    app = streamlit_testing.AppTest.from_file(HOME, default_timeout=60).run()
    if page is not None:
        app.switch_page(f"../pages/{page}.py").run()
    return app


def assert_clean(app) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


# -- pure helpers ---------------------------------------------------------------------------------
def make_result(t: int = 3, k: int = 4) -> analysis.ClipResult:
    rng = np.random.default_rng(0)
    return analysis.ClipResult(
        probs=np.array([0.1, 0.8, 0.6, 0.2])[:k], space_attention=rng.random((t, 2, 2)).astype(np.float32),
        time_attention=np.array([0.2, 0.9, 0.5])[:t], cam=rng.normal(size=(t, 2, 2, k)), cav=rng.normal(size=(t, k)),
    )


def make_clip(seconds: int = 3) -> Clip:
    frames = [np.full((2, 24, 32, 3), 40 * t, np.uint8) for t in range(seconds)]
    return Clip.from_arrays(frames, np.linspace(-0.5, 0.5, seconds * 16000, dtype=np.float32))


def test_space_maps_class_agnostic_and_per_class():
    result = make_result()
    agnostic = analysis.space_maps(result, None)
    np.testing.assert_allclose(agnostic, result.space_attention * result.time_attention[:, None, None])
    cam = analysis.space_maps(result, 2)
    assert cam.min() == 0.0 and cam.max() == 1.0
    assert np.argmax(cam) == np.argmax(result.cam[..., 2])
    no_cam = analysis.ClipResult(result.probs, None, result.time_attention, None, result.cav)
    assert analysis.space_maps(no_cam, None) is None and analysis.space_maps(no_cam, 1) is None


def test_predictions_threshold_and_top1_fallback():
    result = make_result()
    assert analysis.predicted_classes(result.probs) == [1, 2]
    assert analysis.predicted_classes(np.array([0.1, 0.3, 0.2])) == [1]
    rows = analysis.prediction_rows(result.probs, list("abcd"), np.array([0, 0, 1, 0]), top=2)
    assert [(r["class"], r["predicted"], r["true label"]) for r in rows] == [("b", True, False), ("c", True, True)]
    assert analysis.is_correct(result.probs, np.array([0, 1, 0, 0])) and not analysis.is_correct(result.probs, np.array([1, 0, 0, 0]))


def test_export_json_holds_every_attention_value():
    result = make_result()
    document = json.loads(analysis.export_json(result, list("abcd"), "clip.mp4", "stan"))
    assert document["predicted"] == ["b", "c"]
    assert np.allclose(document["time_attention"], result.time_attention, atol=1e-5)
    assert np.array(document["space_attention"]).shape == result.space_attention.shape


def test_filters_and_rows():
    sample = Sample(0, "v0", np.array([1.0, 0.0]), None, None, (("dog", 0, 2),), "train", "demo")
    other = Sample(1, "v1", np.array([0.0, 1.0]), None, None, (), "test", "demo")
    rows = samples.sample_rows([sample, other], ["dog", "cat"], {0: np.array([0.9, 0.2])})
    assert rows[0]["correct"] and rows[0]["predicted"] == "dog" and "confidence" not in rows[1]
    assert [r["video"] for r in samples.filter_rows(rows, samples.SampleFilter(classes=("cat",)))] == ["v1"]
    assert [r["video"] for r in samples.filter_rows(rows, samples.SampleFilter(split="train"))] == ["v0"]
    assert samples.filter_rows(rows, samples.SampleFilter(correctness="incorrect")) == []
    assert samples.filter_rows(rows, samples.SampleFilter(confidence=(0.0, 0.5))) == []
    assert len(samples.filter_rows(rows, samples.SampleFilter())) == 2


def test_annotation_boxes_audio_and_visual():
    mask = np.zeros((5, 2), np.float32)
    mask[1:3, 0] = 1
    visual = np.zeros((5, 2), np.float32)
    visual[3:5, 1] = 1
    llp = Sample(0, "v", np.array([1.0, 1.0]), mask, visual, (), "test", "llp")
    assert samples.annotation_boxes(llp, ["dog", "cat"]) == [("audio: dog", 1.0, 3.0), ("visual: cat", 3.0, 5.0)]
    ave = Sample(0, "v", np.array([1.0, 0.0]), mask, None, (("dog", 1, 3),), "test", "ave")
    assert samples.annotation_boxes(ave, ["dog", "cat"]) == [("dog", 1.0, 3.0)]


def test_demo_masks_missing_and_corrupt(tmp_path):
    assert samples.demo_event_masks(tmp_path, "v") is None
    (tmp_path / "masks.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="unreadable"):
        samples.demo_event_masks(tmp_path, "v")


def test_counterfactual_clips():
    clip, donor = make_clip(3), make_clip(2)
    assert not counterfactuals.counterfactual_clip(clip, "mute").audio.any()
    blank = counterfactuals.counterfactual_clip(clip, "blank")
    assert not any(stack.any() for stack in blank.frames) and np.array_equal(blank.audio, clip.audio)
    swapped = counterfactuals.counterfactual_clip(clip, "swap", donor)
    assert swapped.audio.shape == clip.audio.shape and np.array_equal(swapped.audio[:32000], donor.audio)
    with pytest.raises(ValueError, match="unknown counterfactual"):
        counterfactuals.counterfactual_clip(clip, "reverse")


def test_figures():
    clip, result = make_clip(3), make_result()
    frames = [clip.middle_frame(t) for t in range(3)]
    overlays = figures.overlay_frames(frames, analysis.space_maps(result, None), "jet", 0.5)
    assert all(o.shape == (24, 32, 3) and o.dtype == np.uint8 for o in overlays)
    strip = figures.frame_strip(overlays, height=48, gap=4)
    assert strip.shape == (48, 3 * 64 + 2 * 4, 3)
    assert figures.png_bytes(strip)[:4] == b"\x89PNG"
    chart = figures.time_figure(clip.audio, clip.sample_rate, {"A^t": result.time_attention}, [("dog", 1.0, 2.0)])
    assert [trace.name for trace in chart.data] == ["waveform", "A^t"] and len(chart.layout.shapes) == 1
    assert len(chart.data[0].x) <= figures.MAX_WAVEFORM_POINTS
    peak = figures.draw_peak(frames[0], np.eye(2), np.eye(2, dtype=np.uint8))
    assert peak.shape == frames[0].shape and not np.array_equal(peak, frames[0])


def test_overlay_video_keeps_length_and_audio(tmp_path):
    clip, result = make_clip(3), make_result()
    path = tmp_path / "overlay.mp4"
    path.write_bytes(figures.overlay_video(clip, analysis.space_maps(result, None), "viridis", 0.6))
    decoded = load_clip(path)
    assert decoded.num_segments == 3 and decoded.has_audio


def test_noise_illustrations_only_touch_the_chosen_part():
    rng = np.random.default_rng(0)
    audio = np.zeros(3 * 100, np.float32)
    noisy = analysis.noisy_waveform(audio, 100, np.array([0.9, 0.1, 0.7]), 0.5, True, rng)
    assert noisy[:100].any() and not noisy[100:200].any() and noisy[200:].any()
    assert np.abs(noisy).max() <= 1.0
    frame = np.full((4, 4, 3), 128, np.uint8)
    attention = np.zeros((4, 4))
    attention[:2] = 1.0
    changed = analysis.noisy_frame(frame, attention, 0.5, False, rng) != frame
    assert not changed[:2].any() and changed[2:].any()


# -- the app, page by page ------------------------------------------------------------------------
def test_home_shows_model_card_links_and_a_where_when_figure(world):
    app = run_app()
    assert_clean(app)
    assert app.title[0].value == "STAN Explorer"
    assert app.sidebar.selectbox(key="model_choice").value.endswith("stan")
    assert app.sidebar.selectbox(key="colormap").value == "jet"
    assert len(app.get("plotly_chart")) == 1 and len(app.get("image")) == 1


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(world, page):
    app = run_app(page)
    assert_clean(app)
    assert app.title[0].value


def test_browse_shows_views_and_retargets_class(world):
    app = run_app("browse")
    assert_clean(app)
    assert app.get("plotly_chart") and app.get("image")
    picker = app.get("button_group")[0]
    target = picker.options[1]
    picker.set_value(target).run()
    assert_clean(app)
    assert app.session_state["target_class"] == target
    assert any("CAM of" in str(img.proto) for img in app.get("image"))


def test_switching_model_to_one_without_space_attention(world):
    app = run_app("browse")
    audio_only = str(world["EXPLORER_CHECKPOINTS_DIR"] / "demo" / "stan_audio")
    app.sidebar.selectbox(key="model_choice").set_value(audio_only).run()
    assert_clean(app)
    assert any("no space attention" in c.value for c in app.caption)


def test_missing_checkpoints_say_so_in_one_line(world, tmp_path, monkeypatch):
    monkeypatch.setenv("EXPLORER_CHECKPOINTS_DIR", str(tmp_path / "empty"))
    app = run_app()
    assert not app.exception
    assert any("No trained checkpoint found" in w.value for w in app.warning)


def test_upload_of_a_good_clip(world):
    app = run_app("upload")
    assert len(app.get("file_uploader")) == 1
    clip = next((world["EXPLORER_DEMO_SAMPLES"] / "clips").glob("*.mp4"))
    app.get("file_uploader")[0].set_value((clip.name, clip.read_bytes(), "video/mp4")).run()
    assert_clean(app)
    assert app.get("plotly_chart") and app.get("image")


@pytest.mark.parametrize("name, content", [("broken.mp4", b"this is not a video" * 50), ("empty.webm", b""),
                                           ("cut.mp4", None)])
def test_upload_of_a_bad_file_is_one_clear_error(world, name, content):
    if content is None:  # a real clip cut off in the middle of its header
        content = next((world["EXPLORER_DEMO_SAMPLES"] / "clips").glob("*.mp4")).read_bytes()[:600]
    app = run_app("upload")
    app.get("file_uploader")[0].set_value((name, content, "video/mp4")).run()
    assert not app.exception
    assert len(app.error) == 1
    message = app.error[0].value
    assert message.count("\n") == 0 and "Traceback" not in message and len(message) < 300


def test_browse_exports_and_counterfactual(world):
    app = run_app("browse")
    app.button(key="browse_mp4_prepare").click().run()
    assert_clean(app)
    assert len(app.get("download_button")) == 3  # JSON, PNG and the prepared MP4
    app.radio(key="browse_cf_kind").set_value("Swap in other audio").run()
    assert_clean(app)
    assert any(m.label.startswith("P(") for m in app.metric)
