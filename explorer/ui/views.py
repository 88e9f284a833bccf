"""The views shared by Browse, Upload and Compare: predictions, space view, time view, counterfactuals, export."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import streamlit as st

from explorer.errors import ExplorerError
from explorer.ui import state
from explorer.ui.analysis import (
    ClipResult,
    class_activation_values,
    export_json,
    predicted_classes,
    prediction_rows,
    space_maps,
)
from explorer.ui.counterfactuals import COUNTERFACTUALS, counterfactual_clip
from explorer.ui.figures import frame_strip, overlay_frames, overlay_video, png_bytes, time_figure

CLASS_AGNOSTIC = "A^s·A^t (class-agnostic)"


def clip_warnings(clip) -> None:
    """Decoder notes (no audio track, only the first 60 s analysed) shown where nobody misses them."""
    for note in clip.warnings:
        st.warning(note)


def predictions(result: ClipResult, classes: Sequence[str], labels: np.ndarray | None = None) -> None:
    st.dataframe(prediction_rows(result.probs, classes, labels), hide_index=True, width="stretch",
                 column_config={"probability": st.column_config.ProgressColumn("probability", min_value=0.0, max_value=1.0, format="%.2f")})


def class_picker(result: ClipResult, classes: Sequence[str], labels: np.ndarray | None, key: str) -> int | None:
    """Buttons of the predicted (and true) labels; picking one re-targets the per-class views."""
    shown = predicted_classes(result.probs)
    if labels is not None:
        shown += [int(i) for i in np.flatnonzero(labels) if int(i) not in shown]
    options = [CLASS_AGNOSTIC, *[classes[i] for i in shown]]
    current = st.session_state.get("target_class")
    picked = st.segmented_control("Explain", options, default=current if current in options else CLASS_AGNOSTIC,
                                  key=f"{key}_target", help="A^s·A^t is what the model attends to; a class shows its CAM / CAV.")
    st.session_state["target_class"] = None if picked in (None, CLASS_AGNOSTIC) else picked
    return state.target_class(list(classes))


def space_view(clip, result: ClipResult, classes: Sequence[str], class_index: int | None, key: str) -> np.ndarray | None:
    """The frame strip with space attention (or one class's CAM) overlaid; returns the strip for export."""
    maps = space_maps(result, class_index)
    if maps is None:
        st.caption("This model has no space attention, so there is no space view.")
        return None
    frames = [clip.middle_frame(t) for t in range(clip.num_segments)]
    overlays = overlay_frames(frames, maps, st.session_state["colormap"], st.session_state["opacity"])
    strip = frame_strip(overlays)
    what = "A^s·A^t" if class_index is None else f"CAM of “{classes[class_index]}”"
    st.image(strip, caption=f"Space view: {what} over the middle frame of each second (0 … {clip.num_segments - 1} s)",
             width="stretch")
    second = st.slider("Second to enlarge", 0, clip.num_segments - 1, 0, key=f"{key}_second")
    left, right = st.columns(2)
    left.image(frames[second], caption=f"Frame at {second} s", width="stretch")
    right.image(overlays[second], caption=f"{what} at {second} s", width="stretch")
    return strip


def time_view(clip, result: ClipResult, classes: Sequence[str], class_index: int | None,
              boxes: Sequence[tuple[str, float, float]], key: str) -> None:
    """Waveform, time attention and the class's CAV over time, annotated events shaded behind."""
    if result.time_attention is None:
        st.caption("This model has no time attention, so there is no time view.")
        return
    curves = {"time attention A^t": result.time_attention}
    if class_index is not None and result.cav is not None:
        curves[f"CAV of “{classes[class_index]}” (rescaled)"] = class_activation_values(result, class_index)
    second = st.session_state.get(f"{key}_second", 0)
    figure = time_figure(clip.audio, clip.sample_rate, curves, boxes, highlight=(second, second + 1))
    st.plotly_chart(figure, width="stretch", key=f"{key}_time_chart")
    st.caption(f"Shaded: annotated events. Dotted box: second {second} (pick it with the slider above); listen to it below.")
    st.audio(clip.segment_audio(second), sample_rate=clip.sample_rate)


def explanation_views(clip, result: ClipResult, classes: Sequence[str], labels: np.ndarray | None,
                      boxes: Sequence[tuple[str, float, float]], key: str, source: str, model_name: str) -> None:
    """Predictions, the two views and the export buttons for one clip."""
    class_index = class_picker(result, classes, labels, key)
    strip = space_view(clip, result, classes, class_index, key)
    time_view(clip, result, classes, class_index, boxes, key)
    export(clip, result, classes, strip, key, source, model_name)


def export(clip, result: ClipResult, classes: Sequence[str], strip: np.ndarray | None, key: str, source: str,
           model_name: str) -> None:
    columns = st.columns(3)
    columns[0].download_button("Attention + predictions (JSON)", export_json(result, classes, source, model_name),
                               file_name=f"{Path(source).stem}-explanation.json", mime="application/json", key=f"{key}_json")
    if strip is not None:
        columns[1].download_button("Frame strip (PNG)", png_bytes(strip), file_name=f"{Path(source).stem}-strip.png",
                                   mime="image/png", key=f"{key}_png")
        if columns[2].button("Prepare overlay video (MP4)", key=f"{key}_mp4_prepare"):
            video = overlay_video(clip, space_maps(result, None), st.session_state["colormap"], st.session_state["opacity"])
            columns[2].download_button("Download overlay video", video, key=f"{key}_mp4",
                                       file_name=f"{Path(source).stem}-overlay.mp4", mime="video/mp4")


def counterfactual_panel(clip, result: ClipResult, model_path: str, classes: Sequence[str], others: dict, key: str) -> None:
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
        after = state.explain_clip(model_path, state.clip_key(changed), changed)
    except ExplorerError as error:
        st.error(str(error))
        return
    top = predicted_classes(result.probs)[0]
    left, right = st.columns(2)
    left.metric(f"P({classes[top]}) original", f"{result.probs[top]:.2f}")
    right.metric(f"P({classes[top]}) {kind.lower()}", f"{after.probs[top]:.2f}", delta=f"{after.probs[top] - result.probs[top]:+.2f}")
    if result.time_attention is not None:
        st.plotly_chart(time_figure(None, 1, {"time attention, original": result.time_attention,
                                               f"time attention, {kind.lower()}": after.time_attention}),
                        width="stretch", key=f"{key}_cf_chart")
    maps = space_maps(after, None)
    if maps is not None:
        frames = [changed.middle_frame(t) for t in range(changed.num_segments)]
        st.image(frame_strip(overlay_frames(frames, maps, st.session_state["colormap"], st.session_state["opacity"])),
                 caption=f"A^s·A^t after: {kind.lower()}", width="stretch")
