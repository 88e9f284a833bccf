"""Explanation methods in the app: the method picker of the space and time views (Browse, Upload, Compare) and the
Methods page's leaderboard, through AppTest on the demo checkpoints; the leaderboard's pure parts directly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from app_testing import assert_clean, chart_text, demo_checkpoint, run_app
from media_factory import make_video

from explorer.data.dataset import Sample
from explorer.explain.methods import METHODS
from explorer.explain.methods.metrics import AnnotatedClip
from explorer.models import load_checkpoint
from explorer.ui import cards, methods, views

POST_HOC = [name for name in METHODS if name != views.ATTENTION and name not in views.SLOW_METHODS]


def markdown(app) -> str:
    return " | ".join(m.value for m in app.markdown)


def info(app) -> str:
    return " | ".join(i.value for i in app.info)


def assert_named_views(app, name: str) -> None:
    """The space view titled with the method; its time view too, or the sentence why it has none."""
    label = METHODS[name].label
    assert_clean(app)
    assert app.get("image")
    assert f"**Where: {label} for “" in markdown(app)
    if name == "grad_cam":
        assert f"{label} gives no time map" in info(app)
    else:
        assert f"**When: {label} for “" in markdown(app) and f"{label} for “" in chart_text(app)


# -- the leaderboard's pure parts -----------------------------------------------------------------------------------
def test_an_annotated_clip_keeps_the_seconds_clip_and_annotation_share():
    labels = np.array([0.0, 1.0, 1.0])
    time_mask = np.zeros((10, 3), np.float32)
    time_mask[2:5, 1] = 1
    sample = Sample(0, "v", labels, time_mask, None, (), "test", "demo")
    audio, visual = np.ones((4, 2), np.float32), np.ones((4, 2, 2, 3), np.float32)
    masks = np.ones((10, 8, 8), np.uint8)
    short = AnnotatedClip.of_sample(audio, visual, sample.labels, sample.time_mask_any, masks)
    assert short.target == 1  # the first true label
    assert short.audio.shape == (4, 2) and short.visual.shape == (4, 2, 2, 3)
    assert short.time_mask.tolist() == [0, 0, 1, 1] and short.space_masks.shape == (4, 8, 8)
    long_audio, long_visual = np.ones((12, 2), np.float32), np.ones((12, 2, 2, 3), np.float32)
    long = AnnotatedClip.of_sample(long_audio, long_visual, sample.labels, sample.time_mask_any, None)
    assert long.audio.shape[0] == 10 and long.space_masks is None


def test_reference_rows_score_the_trivial_answers():
    masks = np.zeros((2, 9, 9), np.uint8)
    masks[:, 3:6, 3:6] = 1  # the centre, a ninth of the frame
    clip = AnnotatedClip(None, None, 0, time_mask=np.array([1.0, 0.0]), space_masks=masks)
    centre, uniform, every_second = methods.reference_rows([clip])
    assert centre["spatial hit rate"] == 1.0 and uniform["energy in mask"] == round(1 / 9, 3)
    assert every_second["temporal MAE"] == 0.5
    assert all(row["model"] == methods.REFERENCE for row in (centre, uniform, every_second))
    without = methods.reference_rows([AnnotatedClip(None, None, 0)])
    assert all(row[column] is None for row in without for column, _ in methods.COLUMNS.values())


def test_a_score_row_leaves_blank_what_does_not_apply():
    row = methods.score_row("STAN", "Grad-CAM", {"spatial_hit_rate": 0.81234, "pointing_mae_soft": math.nan})
    assert row["spatial hit rate"] == 0.812 and row["temporal MAE"] is None and row["deletion AUC"] is None


# -- the views --------------------------------------------------------------------------------------------------------
def attention_title() -> str:
    """How the attention's space view is titled by default: the class's CAM when the committed STAN's card measured
    that it points better than A^s·A^t, else A^s·A^t."""
    card = load_checkpoint(demo_checkpoint("stan")).card
    return "**Where: CAM of “" if cards.leads_with_class_maps(card, "space") else "**Where: A^s·A^t**"


def test_browse_shows_every_post_hoc_method_under_its_name():
    app = run_app("browse")
    assert app.selectbox(key="browse_method").value == views.ATTENTION
    assert attention_title() in markdown(app)  # the attention's views by default
    for name in POST_HOC:
        app.selectbox(key="browse_method").set_value(name).run()
        assert_named_views(app, name)
        assert not app.get("toggle") or all(t.key != "browse_per_class" for t in app.toggle)  # attention's only
    app.selectbox(key="browse_method").set_value(views.ATTENTION).run()
    assert_clean(app)
    assert app.toggle(key="browse_per_class") is not None


@pytest.mark.parametrize(
    "model, method, reason",
    [
        ("stan_audio", "grad_cam", "Grad-CAM needs a visual map"),
        ("audio_baseline", "attention", "has no attention of its own"),
    ],
)
def test_an_unavailable_method_says_why_and_draws_nothing(model, method, reason):
    app = run_app("browse", model=model)
    app.selectbox(key="browse_method").set_value(method).run()
    assert_clean(app)
    assert any(reason in i.value and "\n" not in i.value for i in app.info), info(app)
    assert "**Where:" not in markdown(app) and "**When:" not in markdown(app)


def test_upload_shows_slow_occlusion_on_a_short_clip(tmp_path):
    path = make_video(tmp_path / "short.mp4", 2.0, audio_codec="aac", tone=(440.0, 0.0, 2.0))
    app = run_app("upload")
    app.get("file_uploader")[0].set_value((path.name, path.read_bytes(), "video/mp4")).run()
    app.selectbox(key="upload_method").set_value("occlusion").run()
    assert_named_views(app, "occlusion")
    assert any("one forward per 2×2 patch of cells" in c.value for c in app.caption)


def test_compare_two_methods_of_the_sidebars_model():
    app = run_app("compare")
    app.radio(key="compare_mode").set_value("Two methods").run()
    assert_clean(app)
    assert [app.selectbox(key=f"compare_methods_{side}_method").value for side in (0, 1)] == [
        views.ATTENTION,
        "integrated_gradients",
    ]
    text = markdown(app)
    assert attention_title() in text and f"**Where: {METHODS['integrated_gradients'].label} for “" in text


# -- the Methods page ------------------------------------------------------------------------------------------------
def test_methods_page_scores_methods_and_models_beside_the_references():
    app = run_app("methods")
    assert_clean(app)
    assert "occlusion" not in app.multiselect(key="methods_methods").value  # slow: left out by default
    app.multiselect(key="methods_models").set_value([demo_checkpoint("stan"), demo_checkpoint("av_abn")])
    app.multiselect(key="methods_methods").set_value(["attention", "grad_cam"])
    app.slider(key="methods_clips").set_value(2)
    app.slider(key="methods_draws").set_value(2).run()
    assert not app.dataframe  # nothing runs before the button
    app.button(key="methods_run").click().run()
    assert_clean(app)
    table = app.dataframe[-1].value
    assert {column for column, _ in methods.COLUMNS.values()} <= set(table.columns)
    assert len(table) == 2 * 2 + 3
    references = table[table["model"] == methods.REFERENCE]
    assert references["spatial hit rate"].notna().sum() == 2 and references["temporal MAE"].notna().sum() == 1
    scored = table[table["model"] != methods.REFERENCE]
    assert scored["deletion AUC"].notna().all() and scored["deletion AUC, random order"].notna().all()
    grad_cam = scored[scored["method"] == METHODS["grad_cam"].label]
    assert grad_cam["temporal MAE"].isna().all()  # Grad-CAM gives no time map
