"""The views shared by Browse, Upload and Compare: predictions, space view, time view, counterfactuals, export."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import streamlit as st

from explorer.errors import ExplorerError
from explorer.models import Explanation, display_name
from explorer.models.base import PREDICTION_THRESHOLD
from explorer.ui import cache
from explorer.ui.analysis import (
    class_activation_values,
    export_json,
    predicted_classes,
    prediction_rows,
    space_maps,
    unit_range,
)
from explorer.ui.cards import lead_reason, leads_with_class_maps
from explorer.ui.counterfactuals import COUNTERFACTUALS, counterfactual_clip
from explorer.ui.figures import colorbar, frame_grid, overlay_frames, overlay_video, png_bytes, time_figure

SPACE_HELP = (
    "Each image is the middle frame of one second with a heat map blended on top (grad-cam convention: "
    "the colour bar runs from 0, ignored, to 1, attended). A^s·A^t is the space attention A^s (where in the "
    "frame) times the time attention A^t (how much that second counts); a class's CAM shows the evidence "
    "for that class alone, rescaled to [0, 1]."
)


def clip_warnings(clip) -> None:
    """Decoder notes (no audio track, only the first 60 s analysed) shown where nobody misses them."""
    for note in clip.warnings:
        st.warning(note)


def predictions(result: Explanation, classes: Sequence[str], labels: np.ndarray | None = None) -> None:
    probs = result.numpy("probs")
    if float(probs.max()) < PREDICTION_THRESHOLD:
        st.warning(
            f"Unsure: no class reaches probability {PREDICTION_THRESHOLD}. The clip may show something this "
            f"model was not trained on (it knows {len(classes)} classes); the views below explain its best "
            "guess, which is likely wrong."
        )
    st.dataframe(
        prediction_rows(probs, classes, labels),
        hide_index=True,
        width="stretch",
        column_config={
            "probability": st.column_config.ProgressColumn("probability", min_value=0.0, max_value=1.0, format="%.2f")
        },
    )
    st.caption(
        f"The five most probable classes; a class counts as predicted at probability ≥ {PREDICTION_THRESHOLD}."
        + (" Ticked “true label”: the annotation." if labels is not None else "")
    )


def class_picker(
    result: Explanation, classes: Sequence[str], labels: np.ndarray | None, key: str, class_maps_first: bool = False
) -> tuple[int, bool]:
    """The target class (default: the top prediction; click a label to re-target) and whether the space view
    shows its CAM instead of the class-agnostic A^s·A^t (on by default when the model's card says its class maps
    explain better than its gates)."""
    shown = predicted_classes(result.numpy("probs"))
    if labels is not None:
        shown += [int(i) for i in np.flatnonzero(labels) if int(i) not in shown]
    names = [classes[i] for i in shown]
    # the options are part of the key, so another clip starts again from its own top prediction
    picked = st.segmented_control(
        "Target class",
        names,
        default=names[0],
        key=f"{key}_target_{'|'.join(names)}",
        help="Predicted and true labels; the time view draws this class's CAV.",
    )
    per_class = st.toggle(
        "Per-class CAM",
        value=class_maps_first and result.cam is not None,
        key=f"{key}_per_class",
        help="Off: the class-agnostic A^s·A^t. On: the CAM of the target class.",
    )
    return classes.index(picked or names[0]), per_class


def attention_overlays(clip, maps: np.ndarray) -> list[np.ndarray]:
    """The middle frame of each second with its map blended on, in the sidebar's colours."""
    frames = [clip.middle_frame(t) for t in range(clip.num_segments)]
    if st.session_state["stretch_maps"]:
        maps = unit_range(maps)
    return overlay_frames(frames, maps, st.session_state["colormap"], st.session_state["opacity"])


def range_note(maps: np.ndarray) -> str:
    """The map's raw range, and a hint when it is too uniform to show anything at the raw scale."""
    low, high = float(maps.min()), float(maps.max())
    if st.session_state["stretch_maps"]:
        return f"On this clip the map ranges {low:.2f} … {high:.2f}, stretched to the full colour scale."
    hint = (
        " That is nearly uniform: turn on “Stretch maps” in the sidebar to see its structure."
        if high - low < 0.25
        else ""
    )
    return f"On this clip the map ranges {low:.2f} … {high:.2f}.{hint}"


def space_view(
    clip,
    result: Explanation,
    classes: Sequence[str],
    class_index: int | None,
    key: str,
    model_name: str,
    explain: bool = True,
) -> np.ndarray | None:
    """The frames with space attention (or one class's CAM) overlaid, and one second enlarged; returns the grid.
    ``explain=False`` leaves out the paragraph on how to read it (Compare shows it once for both sides)."""
    maps = space_maps(result, class_index)
    if maps is None:
        st.info(f"{model_name} has no space attention, so there is no space view.")
        return None
    overlays = attention_overlays(clip, maps)
    grid = frame_grid(overlays)
    what = "A^s·A^t" if class_index is None else f"CAM of “{classes[class_index]}”"
    st.markdown(f"**Where: {what}**, one frame per second (0 … {clip.num_segments - 1} s)")
    st.image(grid, width="stretch")
    st.caption((SPACE_HELP + " " if explain else "") + range_note(maps))
    frame_column, overlay_column, control_column = st.columns([2, 2, 1])
    if clip.num_segments > 1:
        second = control_column.slider("Second to enlarge", 0, clip.num_segments - 1, 0, key=f"{key}_second")
    else:  # a slider needs a range of at least two values; a one-second clip has one
        second = 0
        control_column.caption("One second only: it is shown enlarged.")
    control_column.image(colorbar(st.session_state["colormap"]), caption="0 ← colour scale → 1", width="stretch")
    frame_column.image(clip.middle_frame(second), caption=f"Frame at {second} s", width="stretch")
    overlay_column.image(overlays[second], caption=f"{what} at {second} s", width="stretch")
    return grid


def time_view(
    clip,
    result: Explanation,
    classes: Sequence[str],
    class_index: int,
    boxes: Sequence[tuple[str, float, float]],
    key: str,
    model_name: str,
    cav_first: bool = False,
) -> None:
    """Waveform, time attention and the class's CAV over time, annotated events shaded behind. ``cav_first``: the
    card measured that the CAV says "when" better than A^t, so it leads (drawn first, named in the title)."""
    if result.time_attention is None:
        st.info(f"{model_name} has no time attention, so there is no time view.")
        return
    cav_first = cav_first and result.cav is not None
    gate = {"time attention A^t": result.numpy("time_attention")}
    cav = (
        {}
        if result.cav is None
        else {f"CAV of “{classes[class_index]}” (rescaled)": class_activation_values(result, class_index)}
    )
    curves = {**cav, **gate} if cav_first else {**gate, **cav}
    second = st.session_state.get(f"{key}_second", 0)
    what = f"the CAV of “{classes[class_index]}”, with time attention beside it" if cav_first else "time attention"
    st.markdown(f"**When: {what}, over the sound track**")
    figure = time_figure(clip.audio, clip.sample_rate, curves, boxes, highlight=(second, second + 1))
    st.plotly_chart(figure, width="stretch", key=f"{key}_time_chart")
    shaded = " Shaded boxes: the annotated events (green: heard, purple: seen)." if boxes else ""
    st.caption(
        "Grey: the waveform. Time attention A^t per second (1 = the second counts fully) and the class "
        f"activation value (CAV) of the target class, rescaled to [0, 1], as the legend names them.{shaded} "
        f"Dotted box: second {second}, chosen with the slider above."
    )
    segment = clip.segment_audio(second)
    if np.abs(segment).max(initial=0.0) > 0:  # st.audio cannot normalise pure silence
        st.audio(segment, sample_rate=clip.sample_rate)
    else:
        st.caption(f"Second {second} is silent.")


def explanation_views(
    clip,
    result: Explanation,
    classes: Sequence[str],
    labels: np.ndarray | None,
    boxes: Sequence[tuple[str, float, float]],
    key: str,
    source: str,
    model,
) -> None:
    """Predictions, the two views and the export buttons for one clip."""
    card = getattr(model, "card", None)
    class_index, per_class = class_picker(result, classes, labels, key, leads_with_class_maps(card, "space"))
    if reason := lead_reason(card):
        st.caption(f"Which map each view opens on was measured: {reason}")
    strip = space_view(clip, result, classes, class_index if per_class else None, key, display_name(model))
    time_view(clip, result, classes, class_index, boxes, key, display_name(model), leads_with_class_maps(card, "time"))
    export(clip, result, classes, strip, key, source, display_name(model))


def export(
    clip, result: Explanation, classes: Sequence[str], strip: np.ndarray | None, key: str, source: str, model_label: str
) -> None:
    columns = st.columns(3)
    columns[0].download_button(
        "Attention + predictions (JSON)",
        export_json(result, classes, source, model_label),
        file_name=f"{Path(source).stem}-explanation.json",
        mime="application/json",
        key=f"{key}_json",
    )
    if strip is not None:
        columns[1].download_button(
            "Frame strip (PNG)",
            png_bytes(strip),
            file_name=f"{Path(source).stem}-strip.png",
            mime="image/png",
            key=f"{key}_png",
        )
        if columns[2].button("Prepare overlay video (MP4)", key=f"{key}_mp4_prepare"):
            video = overlay_video(
                clip, space_maps(result, None), st.session_state["colormap"], st.session_state["opacity"]
            )
            columns[2].download_button(
                "Download overlay video",
                video,
                key=f"{key}_mp4",
                file_name=f"{Path(source).stem}-overlay.mp4",
                mime="video/mp4",
            )


def counterfactual_panel(
    clip, result: Explanation, model_path: str, classes: Sequence[str], others: dict, key: str
) -> None:
    """Change the input (mute, blank, swap audio), re-run, and show how the prediction and attention move."""
    st.caption("Change the input and re-run the model to see how its prediction and attention move.")
    kind = st.radio("Counterfactual", list(COUNTERFACTUALS), horizontal=True, key=f"{key}_cf_kind")
    donor = None
    if COUNTERFACTUALS[kind] == "swap":
        if not others:
            st.caption("No other clip is available to borrow audio from.")
            return
        donor_name = st.selectbox("Take the audio of", list(others), key=f"{key}_cf_donor")
        donor = others[donor_name]()
    try:
        changed = counterfactual_clip(clip, COUNTERFACTUALS[kind], donor)
        after = cache.explain(model_path, changed)
    except ExplorerError as error:
        st.error(str(error))
        return
    before, now = result.numpy("probs"), after.numpy("probs")
    top = predicted_classes(before)[0]
    left, right = st.columns(2)
    left.metric(f"P({classes[top]}) original", f"{before[top]:.2f}")
    right.metric(f"P({classes[top]}) {kind.lower()}", f"{now[top]:.2f}", delta=f"{now[top] - before[top]:+.2f}")
    if result.time_attention is not None:
        st.plotly_chart(
            time_figure(
                None,
                1,
                {
                    "time attention, original": result.numpy("time_attention"),
                    f"time attention, {kind.lower()}": after.numpy("time_attention"),
                },
            ),
            width="stretch",
            key=f"{key}_cf_chart",
        )
    maps = space_maps(after, None)
    if maps is not None:
        st.image(
            frame_grid(attention_overlays(changed, maps)), caption=f"A^s·A^t after: {kind.lower()}", width="stretch"
        )
