"""The views shared by Browse, Upload and Compare: predictions, the target class and explanation method, the space
and time views, counterfactuals, export.

The space and time views show one explanation method (:mod:`explorer.explain.methods`): by default the model's own
attention, as the paper draws it (A^s·A^t or a class's CAM where, A^t and the class's CAV when), or a post-hoc method
explaining the target class, each view titled with the method so that no post-hoc map passes for the attention.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import streamlit as st

from explorer.errors import ExplorerError
from explorer.explain.methods import METHODS, create_method, list_methods
from explorer.models import AVModel, Explanation, display_name
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
from explorer.ui.figures import (
    colorbar,
    frame_grid,
    grid_width,
    overlay_frames,
    overlay_video,
    png_bytes,
    time_figure,
)

SPACE_HELP = (
    "Each image is the middle frame of one second with a heat map blended on top (grad-cam convention: "
    "the colour bar runs from 0, ignored, to 1, attended). A^s·A^t is the space attention A^s (where in the "
    "frame) times the time attention A^t (how much that second counts); a class's CAM shows the evidence "
    "for that class alone, rescaled to [0, 1]."
)
POOLED_NOTE = (
    "{model} reads globally pooled frame features (a 1×1 map, as LLP's released ResNet-152 features are), so its "
    "space attention has no where to point at: the space view is hidden."
)
ATTENTION = "attention"  # the model's own maps, computed in its forward
METHOD_HELP = (
    "Attention: the model's own maps, computed in its forward (A^s·A^t or the target class's CAM where, A^t and its "
    "CAV when). The others are post-hoc: they attribute the target class's logit to the input features after the "
    "prediction, so they explain any model, with attention or without."
)
# Methods whose maps take long on a CPU, with what the visitor is told before choosing them.
SLOW_METHODS = {
    "occlusion": "Occlusion runs one forward per 2×2 patch of cells and per audio second (about 500 for a 10-s clip): "
    "about a second per 10 s of clip and class on a 2-core CPU (benchmarks/bench_methods.py)."
}
METHOD_SPACE_HELP = (
    "Each image is the middle frame of one second with the map blended on top; the map is divided by its maximum "
    "over the clip, so 1 marks the cell that counts most for the class."
)
METHOD_TIME_HELP = (
    "The curve is each second's share of the attribution (audio and visual each as a share of its own total), "
    "divided by its maximum over the clip, so 1 marks the second that counts most."
)


def no_video_note(clip, model: AVModel | None) -> str:
    """What stands in for a sample's missing video, and where its features come from."""
    store = clip.store_for(model) if model is not None else None
    source = f"{store}" if store is not None else "the dataset root's features"
    pooled = store is not None and tuple(store.grid) == (1, 1)
    space = (
        "Its frame features are pooled (1×1), so there is no space view"
        if pooled
        else "The space view draws the maps over a neutral grid (one cell per feature location)"
    )
    return (
        f"No video on disk for this sample: the model reads its features from {source}, so its prediction and "
        f"attention are exactly those of the real clip. {space}, and the time view shows the curves without a "
        "waveform."
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
            f"model was not trained on (it knows {len(classes)} classes), or a known class it recognises only "
            "weakly; the views below explain its best guess, which may be wrong."
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


def familiarity_note(model_path: str, clip) -> None:
    """Whether the clip is like the model's training clips: a warning when it is not, since the probabilities above
    can be confident on a clip the model has never seen the like of; a caption otherwise."""
    try:
        familiarity = cache.familiarity(model_path, clip)
    except ExplorerError as error:  # a damaged reference file: say so, the explanation itself stands
        st.caption(f"No familiarity check: {error}")
        return
    if familiarity is None:
        st.caption(
            "This checkpoint's folder has no feature reference, so the app cannot say how far the clip lies from "
            "the model's training clips."
        )
        return
    reference = cache.feature_reference(model_path)
    senses = {"audio": "sound", "visual": "frames"}
    details = ", ".join(f"{senses[sense]} {familiarity.ratio(sense):.1f}×" for sense in familiarity.distances)
    if familiarity.unfamiliar:
        unlike = " and ".join(f"its {senses[sense]}" for sense in familiarity.unfamiliar)
        st.warning(
            f"Unlike the model's training clips: {unlike} lie farther from them than 99% of its validation clips "
            f"of this length do ({details} that distance). A model can be confidently wrong on such a clip, so "
            "read the labels and maps as what this model does with it, not as what the clip shows."
        )
    else:
        st.caption(
            f"Like the model's training clips: sound and frames lie within the distance 99% of its validation "
            f"clips of this length stay under ({details} of it)."
        )
    st.caption(f"Compared with: {reference.source}.")


def method_label(name: str) -> str:
    return METHODS[name].label


def method_picker(key: str, default: str = ATTENTION, label: str = "Explanation method") -> str:
    """The explanation method the views show (a slow one says so below the picker)."""
    names = list_methods()
    name = st.selectbox(
        label, names, index=names.index(default), format_func=method_label, key=f"{key}_method", help=METHOD_HELP
    )
    if name in SLOW_METHODS:
        st.caption(SLOW_METHODS[name] + " Its maps are kept once computed.")
    return name


def target_picker(result: Explanation, classes: Sequence[str], labels: np.ndarray | None, key: str) -> int:
    """The target class: the top prediction until a label is clicked; the predicted and true labels are offered."""
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
        help="Predicted and true labels: the class whose CAM, CAV and post-hoc maps the views show.",
    )
    return classes.index(picked or names[0])


def class_map_toggle(key: str, class_maps_first: bool) -> bool:
    """Whether the attention's space view shows the target's CAM instead of the class-agnostic A^s·A^t (on by
    default when the model's card says its class maps explain better than its gates)."""
    return st.toggle(
        "Per-class CAM",
        value=class_maps_first,
        key=f"{key}_per_class",
        help="Off: the class-agnostic A^s·A^t. On: the CAM of the target class.",
    )


@dataclass(frozen=True)
class ViewChoice:
    """What the views of one clip show: the target class, the method, and (attention only) the target's CAM."""

    class_index: int
    method: str = ATTENTION
    per_class: bool = False


def view_controls(
    result: Explanation,
    classes: Sequence[str],
    labels: np.ndarray | None,
    key: str,
    class_maps_first: bool = False,
    method: str | None = None,
) -> ViewChoice:
    """The target class, the method (picked here unless ``method`` was chosen elsewhere) and, for the attention,
    the per-class CAM toggle."""
    class_index = target_picker(result, classes, labels, key)
    method_column, toggle_column = st.columns([3, 2], vertical_alignment="bottom")
    if method is None:
        with method_column:
            method = method_picker(key)
    per_class = False
    if method == ATTENTION and result.cam is not None and tuple(result.cam.shape[-3:-1]) != (1, 1):
        with toggle_column:  # only where a CAM gives a space view: not for 1×1 (pooled) features
            per_class = class_map_toggle(key, class_maps_first)
    return ViewChoice(class_index, method, per_class)


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


@dataclass(frozen=True)
class SpaceShown:
    """What a space view drew: its frame grid and the T×H×W maps on it (what the exports save)."""

    grid: np.ndarray
    maps: np.ndarray


def frames_view(clip, maps: np.ndarray, what: str, key: str, reading: str) -> SpaceShown:
    """The frames with ``maps`` overlaid, titled with ``what`` they are, and one second enlarged; ``reading`` (may
    be empty) says how to read them."""
    overlays = attention_overlays(clip, maps)
    grid = frame_grid(overlays)
    frames = "one frame per second" if clip.has_video else f"a neutral {maps.shape[1]}×{maps.shape[2]} grid per second"
    if clip.num_segments > 1:
        st.markdown(f"**Where: {what}**, {frames} (0 … {clip.num_segments - 1} s)")
        st.image(grid, width=grid_width(clip.num_segments))
    else:  # the enlarged second below is the whole clip; a grid of one would draw it a third time
        st.markdown(f"**Where: {what}**, on the clip's only second")
    stand_in = (
        ""
        if clip.has_video
        else "No video: each grey square stands for the frame, ruled into the feature map's cells, under the map. "
    )
    st.caption(stand_in + (reading + " " if reading else "") + range_note(maps))
    frame_column, overlay_column, control_column = st.columns([2, 2, 1])
    if clip.num_segments > 1:
        second = control_column.slider("Second to enlarge", 0, clip.num_segments - 1, 0, key=f"{key}_second")
    else:  # a slider needs a range of at least two values; a one-second clip has one
        second = 0
        control_column.caption("One second only: it is shown enlarged.")
    control_column.image(colorbar(st.session_state["colormap"]), caption="0 ← colour scale → 1", width="stretch")
    if clip.has_video:
        frame_column.image(clip.middle_frame(second), caption=f"Frame at {second} s", width="stretch")
    else:  # no frame to show beside the map: the map takes the frame's place
        overlay_column = frame_column
    overlay_column.image(overlays[second], caption=f"{what} at {second} s", width="stretch")
    return SpaceShown(grid, maps)


def space_view(
    clip,
    result: Explanation,
    classes: Sequence[str],
    class_index: int | None,
    key: str,
    model_name: str,
    explain: bool = True,
) -> SpaceShown | None:
    """The frames with space attention (or one class's CAM) overlaid, and one second enlarged.
    ``explain=False`` leaves out the paragraph on how to read it (Compare shows it once for both sides)."""
    maps = space_maps(result, class_index)
    if maps is None:
        st.info(f"{model_name} has no space attention, so there is no space view.")
        return None
    if maps.shape[1:] == (1, 1):
        st.info(POOLED_NOTE.format(model=model_name))
        return None
    what = "A^s·A^t" if class_index is None else f"CAM of “{classes[class_index]}”"
    return frames_view(clip, maps, what, key, SPACE_HELP if explain else "")


def time_chart(
    clip,
    curves: Mapping[str, np.ndarray],
    boxes: Sequence[tuple[str, float, float]],
    key: str,
    title: str,
    reading: str,
    axis: str | None = None,
) -> None:
    """The waveform with per-second ``curves`` in [0, 1] over it (annotated events shaded behind), the second chosen
    in the space view outlined and playable; ``reading`` says what the curves are, ``axis`` (if given) names the
    value axis in place of the figure's "attention"."""
    second = min(st.session_state.get(f"{key}_second", 0), clip.num_segments - 1)
    st.markdown(title)
    audio = clip.audio if clip.has_video else None  # a stored sample without video has no sound to draw
    figure = time_figure(audio, clip.sample_rate, curves, boxes, highlight=(second, second + 1))
    if axis is not None:
        figure.update_yaxes(title_text=axis)
    st.plotly_chart(figure, width="stretch", key=f"{key}_time_chart")
    shaded = " Shaded boxes: the annotated events (green: heard, purple: seen)." if boxes else ""
    sound = "Grey: the waveform. " if clip.has_video else "No video, so no waveform: the curves and boxes alone. "
    chosen = ", chosen with the slider above" if clip.num_segments > 1 and f"{key}_second" in st.session_state else ""
    st.caption(f"{sound}{reading}{shaded} Dotted box: second {second}{chosen}.")
    if not clip.has_video:
        return
    segment = clip.segment_audio(second)
    if np.abs(segment).max(initial=0.0) > 0:  # st.audio cannot normalise pure silence
        st.audio(segment, sample_rate=clip.sample_rate)
    else:
        st.caption(f"Second {second} is silent.")


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
    what = f"the CAV of “{classes[class_index]}”, with time attention beside it" if cav_first else "time attention"
    time_chart(
        clip,
        curves,
        boxes,
        key,
        f"**When: {what}, over the sound track**",
        "Time attention A^t per second (1 = the second counts fully) and the class activation value (CAV) of the "
        "target class, rescaled to [0, 1], as the legend names them.",
    )


def attention_views(
    clip,
    result: Explanation,
    model: AVModel,
    classes: Sequence[str],
    choice: ViewChoice,
    boxes: Sequence[tuple[str, float, float]],
    key: str,
    explain: bool = True,
    cav_first: bool = False,
) -> SpaceShown | None:
    """The model's own maps. A model with neither attention nor CAM has none: one sentence says so."""
    reason = create_method(ATTENTION).unavailable(model)
    if reason is not None and result.cam is None:
        st.info(reason)
        return None
    name = display_name(model)
    shown = space_view(clip, result, classes, choice.class_index if choice.per_class else None, key, name, explain)
    time_view(clip, result, classes, choice.class_index, boxes, key, name, cav_first)
    return shown


def missing_map_note(label: str, model: AVModel, piece: str) -> str:
    """Why an available method gives no ``piece`` ("space" or "time") map."""
    if piece == "space" and not model.uses_visual:
        return f"{display_name(model)} does not read the visual features, so {label} gives no space map."
    if piece == "time":
        return f"{label} gives no time map: it says where, not when."
    return f"{label} gives no {piece} map for {display_name(model)}."


def method_views(
    clip,
    model: AVModel,
    model_path: str,
    classes: Sequence[str],
    choice: ViewChoice,
    boxes: Sequence[tuple[str, float, float]],
    key: str,
    explain: bool = True,
) -> SpaceShown | None:
    """A post-hoc method's maps for the target class, each view titled with the method; when the method cannot
    explain the model, the one sentence why (never a map in its place)."""
    method = create_method(choice.method)
    if (reason := method.unavailable(model)) is not None:
        st.info(reason)
        return None
    maps = cache.method_maps(model_path, clip, choice.method, choice.class_index)
    target = classes[choice.class_index]
    what = f"{method.label} for “{target}”"
    post_hoc = (
        f"{method.label} is post-hoc: it attributes the logit of “{target}” to the input features after the "
        f"prediction; it is not {display_name(model)}'s attention."
    )
    shown = None
    if maps.space is None:
        st.info(missing_map_note(method.label, model, "space"))
    else:
        shown = frames_view(clip, maps.space, what, key, post_hoc + (" " + METHOD_SPACE_HELP if explain else ""))
    if maps.time is None:
        st.info(missing_map_note(method.label, model, "time"))
    else:
        title = f"**When: {what}, over the sound track**"
        time_chart(clip, {what: maps.time}, boxes, key, title, METHOD_TIME_HELP, axis="attribution (share of peak)")
    return shown


def where_and_when(
    clip,
    result: Explanation,
    model: AVModel,
    model_path: str,
    classes: Sequence[str],
    choice: ViewChoice,
    boxes: Sequence[tuple[str, float, float]],
    key: str,
    explain: bool = True,
    cav_first: bool = False,
) -> SpaceShown | None:
    """The space and time views of the chosen method; what the space view drew (None without one)."""
    if choice.method == ATTENTION:
        return attention_views(clip, result, model, classes, choice, boxes, key, explain, cav_first)
    return method_views(clip, model, model_path, classes, choice, boxes, key, explain)


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
    choice = view_controls(result, classes, labels, key, leads_with_class_maps(card, "space"))
    if choice.method == ATTENTION and (reason := lead_reason(card)):
        st.caption(f"Which map each view opens on was measured: {reason}")
    shown = where_and_when(
        clip,
        result,
        model,
        str(model.checkpoint_path),  # where it was loaded from (its suffix stripped): the caches key models by it
        classes,
        choice,
        boxes,
        key,
        cav_first=leads_with_class_maps(card, "time"),
    )
    export(clip, result, classes, shown, key, source, display_name(model), choice.method)


def export(
    clip,
    result: Explanation,
    classes: Sequence[str],
    shown: SpaceShown | None,
    key: str,
    source: str,
    model_label: str,
    method: str = ATTENTION,
) -> None:
    """The attention and predictions as JSON, and what the space view shows as a PNG strip and an overlay video."""
    stem = Path(source).stem
    shown_stem = stem if method == ATTENTION else f"{stem}-{method}"
    columns = st.columns(3)
    columns[0].download_button(
        "Attention + predictions (JSON)",
        export_json(result, classes, source, model_label),
        file_name=f"{stem}-explanation.json",
        mime="application/json",
        key=f"{key}_json",
    )
    if shown is not None:
        columns[1].download_button(
            "Frame strip (PNG)",
            png_bytes(shown.grid),
            file_name=f"{shown_stem}-strip.png",
            mime="image/png",
            key=f"{key}_png",
        )
        if clip.has_video and columns[2].button("Prepare overlay video (MP4)", key=f"{key}_mp4_prepare"):
            video = overlay_video(clip, shown.maps, st.session_state["colormap"], st.session_state["opacity"])
            columns[2].download_button(
                "Download overlay video",
                video,
                key=f"{key}_mp4",
                file_name=f"{shown_stem}-overlay.mp4",
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
            frame_grid(attention_overlays(changed, maps)),
            caption=f"A^s·A^t after: {kind.lower()}",
            width=grid_width(changed.num_segments),
        )
