"""The home page: what STAN is, the loaded model, a where/when example and links to every page."""

from __future__ import annotations

import streamlit as st

from explorer.errors import ExplorerError
from explorer.models import display_name
from explorer.paths import PAGES_DIR
from explorer.ui import cache, state, views
from explorer.ui.analysis import class_activation_values, predicted_classes, space_maps
from explorer.ui.cards import lead_reason, leads_with_class_maps
from explorer.ui.figures import frame_grid, grid_width, time_figure
from explorer.ui.samples import annotation_boxes

PAGE_LINKS = (
    ("browse", "Browse", "Samples with their predictions; open one to see where and when the model looked."),
    ("upload", "Upload", "Explain a clip of your own (mp4, mov, webm, mkv, avi, ogv, flv)."),
    (
        "perturbation",
        "Perturbation",
        "Add noise to relevant or irrelevant features and watch the prediction (Figure 3).",
    ),
    ("pointing_game", "Pointing game", "Compare time attention with human temporal boxes (Table 3)."),
    ("compare", "Compare", "Two models, or two explanation methods of one model, side by side on the same clip."),
    (
        "methods",
        "Methods",
        "The model's own attention against post-hoc explanation methods, scored on annotated clips.",
    ),
)


def render() -> None:
    """Home below its title and introduction (:func:`explorer.ui.intro.header`, which Home.py draws first)."""
    selection = state.selection()
    example_column, links_column = st.columns([3, 2], gap="large")
    with links_column:  # drawn first: the page is readable before the example is computed
        st.subheader("Pages")
        for page, title, blurb in PAGE_LINKS:
            st.page_link(f"{PAGES_DIR / page}.py", label=title)
            st.caption(blurb)
        if selection.model is not None:
            st.subheader("Model card")
            state.model_card(selection.model)
    with example_column:
        st.subheader("Where and when, on a demo clip")
        if selection.model is None:
            st.warning(selection.model_problem)
            return
        where_when_example(selection)


def where_when_example(selection: state.Selection) -> None:
    """The first demo sample the chosen model classifies right (the caption says so), explained: space view above,
    time view below. A wrong one would teach a newcomer nothing about reading the views; Browse shows every sample."""
    try:
        dataset = cache.load_dataset("demo")
    except ExplorerError as error:
        st.info(f"No demo samples to show ({error})")
        return
    if problem := state.misfit(selection.model, dataset):
        st.info(problem)
        return
    classes = dataset.readable_classes
    demo = state.Selection(None, None, None, "demo", None)
    shown, skipped = None, 0
    for sample in dataset.samples:
        path = state.video_path(demo, sample.video_id)
        if path is None:
            continue
        clip = cache.decode_clip(path)
        result = cache.explain(selection.model_path, clip)
        top = predicted_classes(result.numpy("probs"))[0]
        if sample.labels[top]:
            shown = sample, clip, result, top
            break
        skipped += 1
    if shown is None:
        st.info(
            "The model classifies none of the demo samples right, so there is no example to show; Browse "
            "shows them all."
        )
        return
    sample, clip, result, top = shown
    passed = f" (the first it gets right; it misses the {skipped} before it, which Browse shows)" if skipped else ""
    st.markdown(
        f"{display_name(selection.model)} on demo clip **{sample.video_id}**{passed}: predicted "
        f"**{classes[top]}** (probability {result.numpy('probs')[top]:.2f}); annotated: "
        f"{', '.join(classes[i] for i in sample.labels.nonzero()[0])}."
    )
    class_maps = leads_with_class_maps(selection.model.card, "space") and result.cam is not None
    cav_first = leads_with_class_maps(selection.model.card, "time") and result.cav is not None
    maps = space_maps(result, top if class_maps else None)
    if maps is not None:
        st.image(frame_grid(views.attention_overlays(clip, maps)), width=grid_width(clip.num_segments))
        what = (
            f"the class activation map (CAM) of “{classes[top]}”, rescaled to [0, 1]"
            if class_maps
            else "A^s·A^t, space attention times time attention"
        )
        st.caption(
            f"**Where**: the middle frame of each second (0 s top left) with {what}, blended on top; red is "
            f"attended, blue ignored (range {maps.min():.2f} … {maps.max():.2f})."
        )
    if result.time_attention is not None:
        curves = {"time attention A^t": result.numpy("time_attention")}
        if cav_first:
            curves = {f"CAV of “{classes[top]}” (rescaled)": class_activation_values(result, top), **curves}
        figure = time_figure(clip.audio, clip.sample_rate, curves, annotation_boxes(sample, classes))
        st.plotly_chart(figure, width="stretch", key="home_time_chart")
        st.caption(
            "**When**: "
            + ("the class activation value (CAV) of the predicted class, rescaled to [0, 1], and " if cav_first else "")
            + "time attention over the waveform (grey); shaded "
            "boxes are the annotated events (green: heard, purple: seen)."
        )
    if reason := lead_reason(selection.model.card):
        st.caption("Which map each view opens on was measured: " + reason)
