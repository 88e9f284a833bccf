"""The Compare page's part: one side, a checkpoint's predictions and views of the shared clip.

Two modes, switched at the top of the page: "Two models" (each side its own checkpoint, each with a method picker)
and "Two methods" (both sides the sidebar's model, each side its own explanation method).
"""

from __future__ import annotations

import streamlit as st

from explorer.data.dataset import Sample
from explorer.errors import ExplorerError
from explorer.media import Clip
from explorer.models import AVModel, display_name
from explorer.ui import cache, state, views
from explorer.ui.cards import COMPARISON_DEFAULTS, leads_with_class_maps, pick_defaults
from explorer.ui.samples import annotation_boxes

TWO_MODELS, TWO_METHODS = "Two models", "Two methods"
# "Two methods" opens on the model's own attention against a post-hoc method that explains every model.
METHOD_DEFAULTS = (views.ATTENTION, "integrated_gradients")


def default_order(checkpoints: list[str]) -> list[int]:
    """Indices of the checkpoints with the comparison defaults (STAN, then AV-ABN) first."""
    preferred = pick_defaults(checkpoints, COMPARISON_DEFAULTS)
    return [checkpoints.index(path) for path in preferred] + [
        index for index, path in enumerate(checkpoints) if path not in preferred
    ]


def mode_switch() -> str:
    """Two models (a checkpoint per side) or two methods (the sidebar's model, an explanation method per side)."""
    return st.radio(
        "Compare",
        (TWO_MODELS, TWO_METHODS),
        horizontal=True,
        key="compare_mode",
    )


def side_model(index: int, checkpoints: list[str]) -> tuple[str, AVModel] | None:
    """Side ``index``'s own checkpoint, picked here (None, with the reason shown, when it cannot be loaded)."""
    path = st.selectbox(
        f"Model {'AB'[index]}",
        checkpoints,
        index=default_order(checkpoints)[index],
        format_func=state.checkpoint_name,
        key=f"compare_model_{index}",
    )
    try:
        return path, cache.load_model(path)
    except ExplorerError as error:
        st.error(str(error))
        return None


def side(context: state.PageContext, index: int, checkpoints: list[str], clip: Clip, sample: Sample) -> None:
    """Side A (index 0) or B: its model and method pickers, predictions, space view and time view of ``clip``, as
    the page's :func:`mode_switch` says."""
    two_methods = st.session_state.get("compare_mode", TWO_MODELS) == TWO_METHODS
    with st.container():
        if two_methods:
            if context.model is None:
                st.warning(context.selection.model_problem)
                return
            key, path, model = f"compare_methods_{index}", context.model_path, context.model
            method = views.method_picker(key, METHOD_DEFAULTS[index], f"Method {'AB'[index]} · {display_name(model)}")
        else:
            chosen = side_model(index, checkpoints)
            if chosen is None:
                return
            (path, model), key, method = chosen, f"compare_{index}", None
    if problem := state.misfit(model, context.dataset):
        st.warning(problem)
        return
    classes = context.classes
    try:
        result = context.explain(clip, path)
    except ExplorerError as error:  # e.g. a side's model whose features the root lacks, with no video to encode
        st.error(str(error))
        return
    views.predictions(result, classes, sample.labels)
    choice = views.view_controls(
        result, classes, sample.labels, key, leads_with_class_maps(model.card, "space"), method
    )
    boxes = annotation_boxes(sample, classes)
    views.where_and_when(clip, result, model, path, classes, choice, boxes, key, explain=False)
