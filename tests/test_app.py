"""The Streamlit app: its pure helpers directly, and every page through AppTest.

The app runs on the shipped demo checkpoints and samples; EXPLORER_CHECKPOINTS_DIR and EXPLORER_DEMO_SAMPLES
point it (and these tests) at others.
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest
import torch
from app_testing import PAGES, assert_clean, chart_text, demo_checkpoint, run_app
from media_factory import make_video

from explorer.data import load_demo_dataset
from explorer.data.dataset import Sample
from explorer.demo.real import VIDEOS_DIR
from explorer.errors import DataError
from explorer.media import Clip, load_clip
from explorer.models import Explanation
from explorer.paths import checkpoints_dir, demo_samples_dir
from explorer.ui import analysis, cards, counterfactuals, figures, samples


# -- pure helpers ---------------------------------------------------------------------------------
def make_result(t: int = 3, k: int = 4) -> Explanation:
    """An Explanation of one clip, as the app's cache holds it (a batch of one)."""
    rng = np.random.default_rng(0)
    probs = torch.tensor([[0.1, 0.8, 0.6, 0.2][:k]])
    return Explanation(
        logits=torch.logit(probs),
        probs=probs,
        space_attention=torch.from_numpy(rng.random((1, t, 2, 2))).float(),
        time_attention=torch.tensor([[0.2, 0.9, 0.5][:t]]),
        cam=torch.from_numpy(rng.normal(size=(1, t, 2, 2, k))),
        cav=torch.from_numpy(rng.normal(size=(1, t, k))),
    )


def make_clip(seconds: int = 3) -> Clip:
    frames = [np.full((2, 24, 32, 3), 40 * t, np.uint8) for t in range(seconds)]
    return Clip.from_arrays(frames, np.linspace(-0.5, 0.5, seconds * 16000, dtype=np.float32))


def test_space_maps_class_agnostic_and_per_class():
    result = make_result()
    space, time = result.numpy("space_attention"), result.numpy("time_attention")
    np.testing.assert_allclose(analysis.space_maps(result, None), space * time[:, None, None], rtol=1e-6)
    cam = analysis.space_maps(result, 2)
    assert cam.min() == 0.0 and cam.max() == 1.0
    assert np.argmax(cam) == np.argmax(result.numpy("cam")[..., 2])
    no_cam = dataclasses.replace(result, space_attention=None, cam=None)
    assert analysis.space_maps(no_cam, None) is None and analysis.space_maps(no_cam, 1) is None


def test_rescaling_a_map_follows_the_metrics_rule():
    np.testing.assert_allclose(analysis.unit_range(np.array([[2.0, 4.0], [3.0, 6.0]])), [[0, 0.5], [0.25, 1]])
    assert (analysis.unit_range(np.full((2, 3), 7.0)) == 1).all()  # as training.min_max: uniform points everywhere


def test_predictions_threshold_and_top1_fallback():
    probs = make_result().numpy("probs")
    assert analysis.predicted_classes(probs) == [1, 2]
    assert analysis.predicted_classes(np.array([0.1, 0.3, 0.2])) == [1]
    rows = analysis.prediction_rows(probs, list("abcd"), np.array([0, 0, 1, 0]), top=2)
    assert [(r["class"], r["predicted"], r["true label"]) for r in rows] == [("b", True, False), ("c", True, True)]
    assert analysis.is_correct(probs, np.array([0, 1, 0, 0])) and not analysis.is_correct(probs, np.array([1, 0, 0, 0]))


def test_export_json_is_the_explanations_one_layout():
    result = make_result()
    document = json.loads(analysis.export_json(result, list("abcd"), "clip.mp4", "STAN"))
    assert document["predicted"] == ["b", "c"] and document["clip"] == "clip.mp4"
    assert [row["class"] for row in document["predictions"]] == list("bcda")
    assert {key: value for key, value in document.items() if key not in ("clip", "model_label")} == json.loads(
        json.dumps(result.to_json(list("abcd")))
    )
    assert np.allclose(document["time_attention"], result.numpy("time_attention"), atol=1e-5)
    assert np.array(document["space_attention"]).shape == (3, 2, 2)
    assert len(document["space_peaks"]) == 3


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
    chart = figures.time_figure(
        clip.audio, clip.sample_rate, {"A^t": result.numpy("time_attention")}, [("dog", 1.0, 2.0)]
    )
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


def test_cards_name_models_and_tabulate_the_card(tmp_path):
    root = checkpoints_dir()
    assert cards.checkpoint_label(root / "demo" / "stan", root) == "STAN (audio-visual)"
    # The preset's name, not the architecture's: one checkpoint, one label everywhere.
    assert cards.checkpoint_label(root / "demo" / "stan_mean_pooling", root) == "STAN (mean pooling)"
    (tmp_path / "runs").mkdir()
    for suffix in (".json", ".safetensors"):
        shutil.copy(root / "demo" / f"abn{suffix}", tmp_path / "runs" / f"abn{suffix}")
    assert cards.checkpoint_label(tmp_path / "runs" / "abn", tmp_path) == "ABN · runs"
    assert cards.checkpoint_label(tmp_path / "runs" / "missing", tmp_path) == "missing · runs"
    paths = ["/c/demo/abn", "/c/demo/av_abn", "/c/demo/stan", "/c/x/stan"]
    assert cards.pick_defaults(paths, ("stan", "av_abn", "missing")) == ["/c/demo/stan", "/c/demo/av_abn"]
    card = {
        "metrics": {"top1": 83.333, "map": 88.1, "model": "stan", "spatial_hit_rate": 0.268},
        "targets": {"top1": {"target": ">= 90", "value": 83.3, "met": False}},
    }
    assert cards.metric_rows(card) == [
        {"metric": "top-1 accuracy (%)", "value": "83.3"},
        {"metric": "mAP (%)", "value": "88.1"},
        {"metric": "spatial hit rate of A^s (15 px)", "value": "0.268"},
    ]
    assert cards.target_rows(card) == [{"metric": "top-1 accuracy (%)", "target": "≥ 90", "value": "83.3", "met": "no"}]
    assert cards.metric_rows({}) == [] and cards.target_rows({}) == []
    assert cards.encoder_summary({"encoder": {"name": "compact", "grid": [7, 7]}}) == "`compact`, 7×7 grid"


def test_frame_grid_and_colorbar():
    images = [np.zeros((10, 20, 3), np.uint8)] * 7
    grid = figures.frame_grid(images, per_row=5, height=10, gap=2)
    assert grid.shape == (22, 5 * 20 + 4 * 2, 3) and (grid[12:, -20:] == 255).all()  # short last row padded white
    bar = figures.colorbar("jet", width=64, height=4)
    assert bar.shape == (4, 64, 3) and bar[0, 0, 2] > bar[0, 0, 0] and bar[0, -1, 0] > bar[0, -1, 2]  # blue → red


# -- the app, page by page, on the demo checkpoints ------------------------------------------------
def multi_label_class() -> str:
    """A class whose first demo sample has several labels, so the target picker offers a choice."""
    dataset = load_demo_dataset(demo_samples_dir())
    for k, name in enumerate(dataset.classes):
        first = next((s for s in dataset.samples if s.labels[k]), None)
        if first is not None and first.labels.sum() >= 2:
            return name
    pytest.skip("no demo sample has several labels")


def test_home_shows_model_card_links_and_a_where_when_figure():
    app = run_app()
    assert_clean(app)
    assert app.title[0].value == "STAN Explorer"
    assert app.sidebar.selectbox(key="model_choice").value == demo_checkpoint("stan")
    assert app.sidebar.selectbox(key="colormap").value == "jet"
    assert len(app.get("plotly_chart")) == 1 and len(app.get("image")) == 1
    card_text = " ".join(str(table.value.index.tolist()) for table in app.table)
    assert "top-1 accuracy (%)" in card_text and "{" not in " ".join(m.value for m in app.markdown)
    captions = [caption.value for caption in app.caption]
    assert any(caption.startswith("Checkpoint: the best validation where/when score") for caption in captions)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(page):
    app = run_app(page)
    assert_clean(app)
    assert app.title[0].value


@pytest.mark.parametrize("page", ["home", *PAGES])
def test_every_page_with_a_model_without_attention_shows_notes(page):
    app = run_app(None if page == "home" else page, model="audio_baseline")
    assert_clean(app)
    assert app.title[0].value


def test_browse_shows_views_and_retargets_class():
    app = run_app("browse")
    app.multiselect(key="browse_classes").set_value([multi_label_class()]).run()
    assert_clean(app)
    assert app.get("plotly_chart") and app.get("image") and app.get("video")
    picker = app.get("button_group")[0]
    assert picker.value == picker.options[0]  # the top prediction
    target = picker.options[1]
    picker.set_value(target).run()
    assert_clean(app)
    assert f"CAV of “{target}”" in chart_text(app)
    app.toggle(key="browse_per_class").set_value(True).run()
    assert_clean(app)
    assert any(f"CAM of “{target}”" in m.value for m in app.markdown)


@pytest.mark.parametrize("model, notes", [("av_abn", ()), ("audio_baseline", ("has no attention of its own",))])
def test_switching_model_on_browse(model, notes):
    app = run_app("browse")
    app.sidebar.selectbox(key="model_choice").set_value(demo_checkpoint(model)).run()
    assert_clean(app)
    infos = [i.value for i in app.info]
    assert all(any(note in info for info in infos) for note in notes)
    assert all("\n" not in info for info in infos)


def test_settings_persist_across_pages():
    app = run_app()
    app.sidebar.selectbox(key="colormap").set_value("viridis").run()
    app.sidebar.selectbox(key="model_choice").set_value(demo_checkpoint("av_abn")).run()
    app.switch_page("../pages/compare.py").run()
    assert app.sidebar.selectbox(key="colormap").value == "viridis"
    assert app.sidebar.selectbox(key="model_choice").value == demo_checkpoint("av_abn")


@pytest.mark.parametrize("dataset, variable", [("AVE", "EXPLORER_AVE_ROOT"), ("LLP", "EXPLORER_LLP_ROOT")])
def test_annotations_browse_without_videos(dataset, variable, monkeypatch):
    monkeypatch.delenv(variable, raising=False)
    app = run_app("browse")
    app.sidebar.radio(key="dataset_choice").set_value(dataset).run()
    assert not app.exception
    assert any(variable in i.value for i in app.info)
    assert len(app.dataframe) >= 2  # statistics per class, and the samples table


def test_missing_checkpoints_say_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPLORER_CHECKPOINTS_DIR", str(tmp_path / "empty"))
    app = run_app()
    assert not app.exception
    assert any("No trained checkpoint found" in w.value for w in app.warning)


def upload(app, name: str, content: bytes, mime: str = "video/mp4"):
    app.get("file_uploader")[0].set_value((name, content, mime)).run()
    return app


def test_upload_of_the_demo_clip_and_pyav_containers(tmp_path):
    app = run_app("upload")
    assert len(app.get("file_uploader")) == 1
    accepted = set(app.get("file_uploader")[0].proto.type)
    assert {f".{c}" for c in ("mp4", "mov", "webm", "mkv", "avi", "ogv", "flv")} <= accepted, accepted
    clip = next((demo_samples_dir() / "clips").glob("*.mp4"))
    made = [
        make_video(
            tmp_path / "tone.webm",
            2,
            size=(64, 48),
            codec="libvpx-vp9",
            audio_codec="libopus",
            audio_rate=48000,
            tone=(440.0, 0.0, 2.0),
        ),
        make_video(tmp_path / "silent.mkv", 2, size=(64, 48), codec="mpeg4"),
    ]
    for path in (clip, *made):
        upload(app, path.name, path.read_bytes())
        assert_clean(app)
        assert app.get("plotly_chart") and app.get("image"), path.name
    assert any("no audio" in w.value.lower() for w in app.warning)  # the silent mkv has no audio track


def test_upload_says_whether_the_clip_is_like_the_training_clips():
    """A real video gets the familiarity warning (STAN can be confidently wrong on it); a demo sample the caption."""
    app = upload(run_app("upload"), "duck.mp4", (VIDEOS_DIR / "duck_quacking.mp4").read_bytes())
    assert_clean(app)
    assert any("Unlike the model's training clips: its sound and its frames" in w.value for w in app.warning)
    sample = next((demo_samples_dir() / "clips").glob("*.mp4"))
    app = upload(app, sample.name, sample.read_bytes())
    assert_clean(app)
    assert not any("Unlike the model's training clips" in w.value for w in app.warning)
    assert any(c.value.startswith("Like the model's training clips") for c in app.caption)


def test_upload_says_unsure_when_no_class_reaches_the_bar():
    """Typing over a coffee cup (no demo class; the committed STAN's best guess 0.03) gets the "Unsure" warning
    above its predictions; the duck (Duck 1.00) does not."""
    app = upload(run_app("upload"), "coffee.mp4", (VIDEOS_DIR / "coffee_typing.mp4").read_bytes())
    assert_clean(app)
    assert any(w.value.startswith("Unsure: no class reaches probability 0.5") for w in app.warning)
    app = upload(app, "duck.mp4", (VIDEOS_DIR / "duck_quacking.mp4").read_bytes())
    assert_clean(app)
    assert not any(w.value.startswith("Unsure") for w in app.warning)


@pytest.mark.parametrize("damage", ["missing", "damaged"])
def test_upload_without_a_usable_feature_reference_still_explains(damage, tmp_path, monkeypatch):
    """The familiarity check is an extra: with no reference, or a damaged one, the page says so in a caption and the
    explanation still shows."""
    folder = tmp_path / "demo"
    folder.mkdir()
    for path in (checkpoints_dir() / "demo").glob("stan.*"):
        shutil.copy(path, folder / path.name)
    if damage == "damaged":
        (folder / "feature_reference.json").write_text("{not json")
    monkeypatch.setenv("EXPLORER_CHECKPOINTS_DIR", str(tmp_path))
    app = upload(run_app("upload"), "duck.mp4", (VIDEOS_DIR / "duck_quacking.mp4").read_bytes())
    assert_clean(app)
    assert app.get("image") and not any("Unlike the model's training clips" in w.value for w in app.warning)
    expected = "has no feature reference" if damage == "missing" else "No familiarity check: the feature reference"
    assert any(expected in c.value for c in app.caption), [c.value for c in app.caption]


@pytest.mark.parametrize(
    "name, content",
    [
        ("broken.mp4", b"this is not a video" * 50),
        ("empty.webm", b""),
        ("cut.mp4", None),
        ("notes.mp4", "just some text\n".encode() * 20),
    ],
)
def test_upload_of_a_bad_file_is_one_clear_error(name, content):
    if content is None:  # a real clip cut off in the middle
        content = next((demo_samples_dir() / "clips").glob("*.mp4")).read_bytes()[:600]
    app = upload(run_app("upload"), name, content)
    assert not app.exception
    assert len(app.error) == 1
    message = app.error[0].value
    assert message.count("\n") == 0 and "Traceback" not in message and len(message) < 300


def test_browse_exports_and_counterfactual():
    app = run_app("browse")
    app.button(key="browse_mp4_prepare").click().run()
    assert_clean(app)
    assert len(app.get("download_button")) == 3  # JSON, PNG and the prepared MP4
    app.radio(key="browse_cf_kind").set_value("Swap in other audio").run()
    assert_clean(app)
    assert any(m.label.startswith("P(") for m in app.metric)


def test_compare_defaults_to_stan_against_av_abn():
    app = run_app("compare")
    assert_clean(app)
    assert [app.selectbox(key=f"compare_model_{side}").value for side in (0, 1)] == [
        demo_checkpoint("stan"),
        demo_checkpoint("av_abn"),
    ]
    assert sum(m.value.startswith("**Where:") for m in app.markdown) == 2  # both have space attention
    assert app.get("plotly_chart") or any("no time attention" in i.value for i in app.info)


def test_perturbation_subset_reproduces_figure_3_for_several_models():
    app = run_app("perturbation")
    assert app.multiselect(key="perturbation_models").value == [demo_checkpoint(n) for n in ("stan", "abn", "av_abn")]
    app.slider(key="perturbation_draws").set_value(5)
    app.slider(key="perturbation_steps").set_value(3)
    app.slider(key="perturbation_subset").set_value(2).run()
    app.button(key="perturbation_run").click().run()
    assert_clean(app)
    specs = chart_text(app)
    assert "relevant features" in specs and "AV-ABN" in specs


def test_pointing_game_table():
    app = run_app("pointing_game")
    assert_clean(app)
    assert len(app.metric) >= 2
    app.button(key="pointing_run").click().run()
    assert_clean(app)
    models = list(app.main.dataframe[-1].value["model"])
    assert any(name.startswith("STAN (audio-visual)") for name in models)


def test_models_on_one_encoder_share_it():
    from explorer.ui import cache

    stan, av_abn = (cache.encoder_id(demo_checkpoint(name)) for name in ("stan", "av_abn"))
    assert stan == av_abn and str(checkpoints_dir().resolve() / "demo") in stan
    assert cache.load_encoder(demo_checkpoint("stan")) is cache.load_encoder(demo_checkpoint("av_abn"))


def test_upload_longer_than_a_minute_says_only_the_first_60_s_count(tmp_path):
    long_clip = make_video(tmp_path / "long.mp4", 62, fps=2, size=(32, 24), audio_codec="aac", tone=(440.0, 0.0, 62.0))
    app = upload(run_app("upload"), long_clip.name, long_clip.read_bytes())
    assert_clean(app)
    assert any("60" in w.value for w in app.warning), [w.value for w in app.warning]


# Every clip load_clip accepts renders on the Upload page (issue: a 1.5 s clip broke the "second to enlarge" slider).
UNUSUAL_CLIPS = {
    "one_segment_1.5s.mp4": dict(seconds=1.5, audio_codec="aac", tone=(440.0, 0.0, 1.5)),
    "one_segment_1.0s.mp4": dict(seconds=1.0, audio_codec="aac", tone=(440.0, 0.0, 1.0)),
    "two_segments.mp4": dict(seconds=2.0, audio_codec="aac", tone=(440.0, 0.0, 1.0)),
    "portrait.mp4": dict(seconds=2.0, size=(54, 96), audio_codec="aac", tone=(440.0, 0.0, 2.0)),
    "tiny.mp4": dict(seconds=2.0, size=(96, 64)),
    "one_fps.mp4": dict(seconds=3.0, fps=1, audio_codec="aac", tone=(440.0, 0.0, 3.0)),
    "fast_120fps.mp4": dict(seconds=2.0, fps=120, audio_codec="aac", tone=(440.0, 0.0, 2.0)),
    "surround_48k.mkv": dict(seconds=2.0, audio_codec="aac", audio_rate=48000, channels=6, tone=(440.0, 0.0, 2.0)),
    "rotated.mp4": dict(seconds=2.0, size=(96, 54), rotation=-90, audio_codec="aac", tone=(440.0, 0.0, 2.0)),
}


@pytest.mark.parametrize("name", list(UNUSUAL_CLIPS))
def test_upload_of_unusual_valid_clips_renders(name, tmp_path):
    path = make_video(tmp_path / name, **UNUSUAL_CLIPS[name])
    app = upload(run_app("upload"), name, path.read_bytes())
    assert_clean(app)
    assert app.get("image"), name


@pytest.mark.parametrize(("name", "grid"), [("one_segment_1.0s.mp4", False), ("two_segments.mp4", True)])
def test_a_one_second_clip_is_shown_once_enlarged_not_in_a_grid_of_one(name, grid, tmp_path):
    """The frame grid of a one-second clip would draw its only second a third time, beside the enlarged pair."""
    path = make_video(tmp_path / name, **UNUSUAL_CLIPS[name])
    app = upload(run_app("upload"), name, path.read_bytes())
    assert_clean(app)
    headings = [text for text in (element.value for element in app.markdown) if text.startswith("**Where:")]
    assert len(headings) == 1 and ("only second" not in headings[0]) == grid, headings
    captions = [caption for image in app.get("image") for caption in image.proto.imgs[0].caption.split("\n")]
    assert sum(caption.startswith("Frame at") for caption in captions) == 1  # the enlarged pair is drawn either way
    assert len(app.get("image")) == 3 + grid  # the pair, the colour bar, and the grid only for two seconds


def test_a_grid_of_fewer_frames_than_a_row_keeps_its_own_size():
    assert [figures.grid_width(count) for count in (1, 4, 5, 10)] == ["content", "content", "stretch", "stretch"]
