"""The Compare page's part: one side, a checkpoint's predictions and views of the shared clip."""

from __future__ import annotations

import streamlit as st

from explorer.data.dataset import Sample
from explorer.errors import ExplorerError
from explorer.media import Clip
from explorer.models import display_name
from explorer.ui import cache, state, views
from explorer.ui.cards import COMPARISON_DEFAULTS, leads_with_class_maps, pick_defaults
from explorer.ui.samples import annotation_boxes


def default_order(checkpoints: list[str]) -> list[int]:
    """Indices of the checkpoints with the comparison defaults (STAN, then AV-ABN) first."""
    preferred = pick_defaults(checkpoints, COMPARISON_DEFAULTS)
    return [checkpoints.index(path) for path in preferred] + [
        index for index, path in enumerate(checkpoints) if path not in preferred
    ]


def side(context: state.PageContext, index: int, checkpoints: list[str], clip: Clip, sample: Sample) -> None:
    """Model A (index 0) or B: its picker, predictions, space view and time view of ``clip``."""
    key = f"compare_{index}"
    path = st.selectbox(
        f"Model {'AB'[index]}",
        checkpoints,
        index=default_order(checkpoints)[index],
        format_func=state.checkpoint_name,
        key=f"compare_model_{index}",
    )
    try:
        model = cache.load_model(path)
    except ExplorerError as error:
        st.error(str(error))
        return
    if problem := state.misfit(model, context.dataset):
        st.warning(problem)
        return
    classes = context.classes
    result = context.explain(clip, path)
    views.predictions(result, classes, sample.labels)
    class_index, per_class = views.class_picker(
        result, classes, sample.labels, key, leads_with_class_maps(model.card, "space")
    )
    views.space_view(clip, result, classes, class_index if per_class else None, key, display_name(model), explain=False)
    views.time_view(clip, result, classes, class_index, annotation_boxes(sample, classes), key, display_name(model))
