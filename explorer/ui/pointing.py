"""The Pointing game page's parts (paper §4.3, Table 3): one clip, the whole dataset through
:func:`explorer.evaluation.temporal_pointing`, and the spatial game on the demo's object masks."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer.data.dataset import Sample
from explorer.evaluation import temporal_pointing
from explorer.explain.pointing import pointing_game, spatial_pointing_details, trivial_spatial_hits
from explorer.media import Clip
from explorer.models import AVModel, Explanation, display_name, model_spec
from explorer.training import predict
from explorer.ui import cache, state
from explorer.ui.figures import draw_peak, frame_grid, pointing_figure
from explorer.ui.samples import demo_event_masks


def has_time_attention(model: AVModel) -> bool:
    return "time_attention" in model_spec(model.name).explains


def one_clip(model: AVModel, sample: Sample, result: Explanation) -> None:
    if not has_time_attention(model):
        st.info(f"{display_name(model)} has no time attention, so it cannot play the temporal pointing game.")
        return
    attention, human = result.numpy("time_attention"), sample.time_mask_any
    columns = st.columns(3)
    for column, (label, curve, binary) in zip(
        columns,
        (
            ("MAE, soft attention", attention, False),
            ("MAE, binary attention", attention, True),
            ("MAE of “every second” (reference)", np.ones_like(attention), False),
        ),
    ):
        column.metric(label, f"{pointing_game([curve], [human], binary=binary):.3f}")
    st.plotly_chart(pointing_figure(attention, human), width="stretch", key="pointing_chart")
    st.caption(
        "Green: the seconds a person marked as the event. Red: the time attention; blue: it thresholded at "
        "0.5. The MAE is the mean gap between a curve and the green mask; answering “every second” gives the "
        "reference a real explanation must beat."
    )


def dataset_rows(context: state.PageContext, samples: list[Sample]) -> list[dict]:
    """Table 3 on the clips: each checkpoint with time attention, soft and binary, with "every second" beside."""
    rows, masks = [], [sample.time_mask_any for sample in samples]
    candidates = [path for path in context.checkpoints() if has_time_attention(cache.load_model(path))]
    progress = st.progress(0.0)
    for done, path in enumerate(candidates, start=1):
        features = [
            tuple(torch.from_numpy(part) for part in cache.features(path, context.clip(sample))) for sample in samples
        ]
        items = [
            (audio, visual, torch.tensor(sample.labels), index)
            for index, ((audio, visual), sample) in enumerate(zip(features, samples))
        ]
        scores = temporal_pointing(predict(cache.load_model(path), items), masks)
        for kind in ("soft", "binary"):
            rows.append(
                {
                    "model": f"{state.checkpoint_name(path)} + {kind} attention",
                    "clips": scores["pointing_clips"],
                    "MAE": round(scores[f"pointing_mae_{kind}"], 3),
                }
            )
        progress.progress(done / len(candidates), text=f"{done} of {len(candidates)} checkpoints")
    if rows:
        rows.append(
            {
                "model": "“every second” (reference)",
                "clips": len(samples),
                "MAE": round(pointing_game([np.ones_like(mask) for mask in masks], masks), 3),
            }
        )
    return rows


def spatial(context: state.PageContext, sample: Sample, clip: Clip, result: Explanation) -> None:
    masks = demo_event_masks(state.demo_samples_dir(), sample.video_id) if context.selection.dataset == "demo" else None
    space = result.numpy("space_attention")
    if masks is None or space is None:
        st.info(
            "Spatial pointing needs object masks (only the demo samples have them) and a model with space attention."
        )
        return
    details = spatial_pointing_details([space], [list(masks)])
    centre = trivial_spatial_hits([list(masks)])["centre"]
    st.metric(
        "Hits (attention peak inside the sounding object)",
        f"{details.hits} of {details.scored}",
        help=f"{details.skipped} seconds without a visible sounding object were skipped. Always pointing at "
        f"the frame's centre would hit {centre:.0%} of them.",
    )
    drawn = [draw_peak(clip.middle_frame(t), space[t], masks[t]) for t in range(clip.num_segments) if masks[t].any()]
    if drawn:
        st.image(
            frame_grid(drawn),
            width="stretch",
            caption="Green: the sounding object's true mask. Cross: where the space attention peaks.",
        )
