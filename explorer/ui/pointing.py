"""The Pointing game page's parts (paper §4.3, Table 3): one clip, the whole dataset, and the spatial game on the
demo's object masks, all scored by :mod:`explorer.explain.pointing`."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.data.dataset import Sample
from explorer.explain.pointing import pointing_game, shared_seconds, spatial_pointing_details, trivial_spatial_hits
from explorer.media import Clip
from explorer.models import AVModel, Explanation, display_name, model_spec
from explorer.paths import demo_samples_dir
from explorer.ui import cache, state
from explorer.ui.figures import draw_peak, frame_grid, grid_width, pointing_figure
from explorer.ui.samples import demo_event_masks


def has_time_attention(model: AVModel) -> bool:
    return "time_attention" in model_spec(model.name).explains


def one_clip(model: AVModel, sample: Sample, result: Explanation) -> None:
    if not has_time_attention(model):
        st.info(f"{display_name(model)} has no time attention, so it cannot play the temporal pointing game.")
        return
    attention, human = shared_seconds(result.numpy("time_attention"), sample.time_mask_any)
    if len(attention) < max(result.num_segments, len(sample.time_mask_any)):
        st.caption(
            f"The annotation covers {len(sample.time_mask_any)} s and the clip {result.num_segments} s: the "
            f"game scores the {len(attention)} s they share."
        )
    columns = st.columns(3)
    games = (
        ("MAE, soft attention", attention, False),
        ("MAE, binary attention", attention, True),
        ("MAE of “every second” (reference)", np.ones_like(attention), False),
    )
    for column, (label, curve, binary) in zip(columns, games):
        column.metric(label, f"{pointing_game([curve], [human], binary=binary):.3f}")
    st.plotly_chart(pointing_figure(attention, human), width="stretch", key="pointing_chart")
    st.caption(
        "Green: the seconds a person marked as the event. Red: the time attention; blue: it thresholded at "
        "0.5. The MAE is the mean gap between a curve and the green mask; answering “every second” gives the "
        "reference a real explanation must beat."
    )


def dataset_rows(context: state.PageContext, samples: list[Sample]) -> list[dict]:
    """Table 3 on the clips (each over the seconds its clip and annotation share): every checkpoint with time
    attention, soft and binary, and answering "every second" beside them; a progress bar over models × clips."""
    rows, masks = [], []
    candidates = [path for path in context.checkpoints() if has_time_attention(cache.load_model(path))]
    progress = st.progress(0.0, text="Explaining the clips…")
    total = max(len(candidates) * len(samples), 1)
    for done_models, path in enumerate(candidates):
        pairs = []
        for done_clips, sample in enumerate(samples, start=1):
            attention = context.explain(context.clip(sample), path).numpy("time_attention")
            pairs.append(shared_seconds(attention, sample.time_mask_any))
            if done_clips % 20 == 0 or done_clips == len(samples):
                name = state.checkpoint_name(path)
                text = f"{name}: {done_clips} of {len(samples)} clips"
                progress.progress((done_models * len(samples) + done_clips) / total, text=text)
        attention, masks = [pair[0] for pair in pairs], [pair[1] for pair in pairs]
        for kind in ("soft", "binary"):
            mae = pointing_game(attention, masks, binary=kind == "binary")
            rows.append(
                {
                    "model": f"{state.checkpoint_name(path)} + {kind} attention",
                    "clips": len(samples),
                    "MAE": round(mae, 3),
                }
            )
    progress.empty()
    if rows:
        rows.append(
            {
                "model": "“every second” (reference)",
                "clips": len(samples),
                "MAE": round(pointing_game([np.ones_like(mask) for mask in masks], masks), 3),
            }
        )
    return rows


def whole_split(context: state.PageContext, scored: list[Sample]) -> None:
    """Table 3 over a whole split, run on request and kept for the session (the explanations are cached too)."""
    label, samples = context.split_picker(scored, "pointing")
    st.caption(
        f"Every checkpoint with time attention, on the {len(samples)} clips of {label} that have temporal boxes "
        "(the paper's Table 3: soft and binary attention)."
    )
    kept = f"pointing_rows:{context.selection.dataset}:{context.selection.dataset_root}:{label}"
    if st.button("Run on the split", key="pointing_run"):
        st.session_state[kept] = dataset_rows(context, samples)
    if rows := st.session_state.get(kept):
        st.dataframe(rows, hide_index=True, width="stretch")


def spatial(context: state.PageContext, sample: Sample, clip: Clip, result: Explanation) -> None:
    masks = demo_event_masks(demo_samples_dir(), sample.video_id) if context.selection.dataset == "demo" else None
    space = result.numpy("space_attention")
    if masks is None or space is None:
        st.info(
            "Spatial pointing needs object masks (only the demo samples have them) and a model with space attention."
        )
        return
    seconds = min(len(space), len(masks))  # the masks cover the annotated clip, the video may differ
    space, masks = space[:seconds], masks[:seconds]
    details = spatial_pointing_details([space], [list(masks)])
    centre = trivial_spatial_hits([list(masks)])["centre"]
    st.metric(
        "Hits (attention peak inside the sounding object)",
        f"{details.hits} of {details.scored}",
        help=f"{details.skipped} seconds without a visible sounding object were skipped. Always pointing at "
        f"the frame's centre would hit {centre:.0%} of them.",
    )
    drawn = [draw_peak(clip.middle_frame(t), space[t], masks[t]) for t in range(seconds) if masks[t].any()]
    if drawn:
        st.image(
            frame_grid(drawn),
            width=grid_width(len(drawn)),
            caption="Green: the sounding object's true mask. Cross: where the space attention peaks.",
        )
