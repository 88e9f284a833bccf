"""The Methods page's part: the leaderboard of explanation methods × models on annotated clips, scored by
:mod:`explorer.explain.methods.metrics`, with the trivial references every such score needs beside it."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import streamlit as st

from explorer.data.dataset import Sample
from explorer.explain.methods import create_method, list_methods
from explorer.explain.methods.metrics import AnnotatedClip
from explorer.explain.pointing import POINTING_TOLERANCE_PX, pointing_game, trivial_spatial_hits
from explorer.ui import cache, state
from explorer.ui.cards import PERTURBATION_DEFAULTS, pick_defaults
from explorer.ui.views import SLOW_METHODS, method_label

MODEL_DEFAULTS = PERTURBATION_DEFAULTS  # the paper's model against the attention rivals it is compared with
CLIP_DEFAULT, DRAWS_DEFAULT = 4, 16
REFERENCE = "(reference)"
# The score columns in reading order (the metrics' SCORE_KEYS), as people read them, and how to read each.
COLUMNS = {
    "spatial_hit_rate": (
        "spatial hit rate",
        "Share of seconds whose space-map peak lies within 15 px of the sounding object. Higher is better.",
    ),
    "spatial_energy_in_mask": (
        "energy in mask",
        "Share of the space map's mass inside the object mask. Higher is better.",
    ),
    "pointing_mae_soft": (
        "temporal MAE",
        "Mean absolute error between the time map and the annotated seconds. Lower is better.",
    ),
    "tvd_relevant": (
        "TVD relevant",
        "How far the prediction moves with noise on the top half of what the maps rank (paper §4.3). Higher is better.",
    ),
    "tvd_irrelevant": ("TVD irrelevant", "The same with noise on the bottom half. Lower is better."),
    "deletion_auc": (
        "deletion AUC",
        "Area under the target's probability as features are set to zero, most important first. Lower is better.",
    ),
    "deletion_auc_random": (
        "deletion AUC, random order",
        "The same deletion in random orders: the AUC a faithful ranking must stay below.",
    ),
}
SLOW_NOTE = "Left out by default: " + " ".join(SLOW_METHODS.values())


def score_row(model: str, method: str, scores: dict[str, float | None], note: str = "") -> dict:
    """One leaderboard row: the scores under their column names (None where a score does not apply)."""
    row = {"model": model, "method": method}
    for key, (column, _) in COLUMNS.items():
        value = scores.get(key)
        row[column] = None if value is None or not math.isfinite(value) else round(float(value), 3)
    row["note"] = note
    return row


def reference_rows(clips: Sequence[AnnotatedClip]) -> list[dict]:
    """The answers that need no model, scored on the same clips: always the frame's centre, a random point (whose
    expected hit rate is the tolerant mask's area share; a uniform map puts the mask's area share inside it), and
    "every second" against the annotated seconds."""
    masks = [list(clip.space_masks) for clip in clips if clip.space_masks is not None]
    times = [clip.time_mask for clip in clips if clip.time_mask is not None]
    hits = trivial_spatial_hits(masks, POINTING_TOLERANCE_PX) if masks else {}
    area = trivial_spatial_hits(masks)["random"] if masks else None
    every_second = pointing_game([np.ones_like(mask) for mask in times], times) if times else None
    return [
        score_row(REFERENCE, "always the frame's centre", {"spatial_hit_rate": hits.get("centre")}),
        score_row(
            REFERENCE,
            "a random point / a uniform map",
            {"spatial_hit_rate": hits.get("random"), "spatial_energy_in_mask": area},
        ),
        score_row(REFERENCE, "“every second”", {"pointing_mae_soft": every_second}),
    ]


def leaderboard_rows(
    context: state.PageContext,
    model_paths: Sequence[str],
    methods: Sequence[str],
    samples: Sequence[Sample],
    draws: int,
) -> list[dict]:
    """Every method on every model over the samples' clips (a progress bar over the pairs), then the references."""
    clips = tuple(context.clip(sample) for sample in samples)
    indices = tuple(sample.index for sample in samples)
    dataset = context.selection.dataset
    pairs = [(path, method) for path in model_paths for method in methods]
    progress = st.progress(0.0, text="Scoring…")
    rows = []
    for done, (path, method) in enumerate(pairs, start=1):
        progress.progress(
            (done - 1) / len(pairs), text=f"Scoring {method_label(method)} on {state.checkpoint_name(path)}…"
        )
        reason = create_method(method).unavailable(cache.load_model(path))
        scores = {} if reason else cache.method_scores(path, method, dataset, clips, indices, draws)
        rows.append(score_row(state.checkpoint_name(path), method_label(method), scores, reason or ""))
    progress.empty()
    return rows + reference_rows(cache.annotated_clips(model_paths[0], dataset, clips, indices))


def show(rows: list[dict], clip_count: int) -> None:
    """The leaderboard, each column's reading in the help of its header."""
    config = {
        column: st.column_config.NumberColumn(column, help=reading, format="%.3f")
        for column, reading in COLUMNS.values()
    }
    st.dataframe(rows, hide_index=True, width="stretch", column_config=config, key="methods_table")
    st.caption(
        f"On {clip_count} clip{'s' * (clip_count != 1)}, each explained for its first true label. None: the score "
        "does not apply (the method gives no such map, or the clips have no such annotation; spatial scores "
        "need the demo's object masks). The reference rows need no model: a method must beat them to show it knows "
        "more than where objects usually are and when events usually happen."
    )


def leaderboard(context: state.PageContext) -> None:
    """The choices, and on the button the table."""
    available = context.samples_on_disk("The leaderboard needs clips.", keep=lambda sample: sample.labels.any())
    candidates = context.checkpoints()
    if not candidates:
        st.info(f"No checkpoint knows the {len(context.classes)} classes of {context.dataset.name}; train one first.")
        return
    models = st.multiselect(
        "Models",
        candidates,
        default=pick_defaults(candidates, MODEL_DEFAULTS),
        format_func=state.checkpoint_name,
        key="methods_models",
    )
    names = list_methods()
    methods = st.multiselect(
        "Methods",
        names,
        default=[name for name in names if name not in SLOW_METHODS],
        format_func=method_label,
        key="methods_methods",
    )
    st.caption(SLOW_NOTE)
    clips_column, draws_column = st.columns(2)
    with clips_column:
        size = (
            st.slider("Clips", 1, len(available), min(CLIP_DEFAULT, len(available)), key="methods_clips")
            if len(available) > 1
            else 1
        )
    with draws_column:
        draws = st.slider(
            "Noise draws per σ² level", 2, 32, DRAWS_DEFAULT, key="methods_draws", help="Of the perturbation test."
        )
    if not st.button("Score the methods", key="methods_run"):
        return
    if not (models and methods):
        st.info("Pick at least one model and one method.")
        return
    show(leaderboard_rows(context, models, methods, available[:size], draws), size)
