"""The Perturbation page's parts (paper §4.3, Figure 3): one clip, several models on a subset, and a listenable
illustration of the same relevance masks."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.data.dataset import Sample
from explorer.explain.upsample import upsample_space
from explorer.models import AVModel, display_name, model_spec
from explorer.ui import cache, state
from explorer.ui.analysis import noisy_frame, noisy_waveform, space_maps
from explorer.ui.cards import PERTURBATION_DEFAULTS, pick_defaults
from explorer.ui.figures import tvd_figure

KINDS = ("relevant", "irrelevant")


def has_attention(model: AVModel) -> bool:
    """Whether the model rates any feature relevant; the test has nothing to perturb otherwise."""
    return bool(model_spec(model.name).explains & {"space_attention", "time_attention"})


def noise_controls() -> tuple[int, tuple[float, ...]]:
    """The draws per level and the σ² levels the user picks."""
    controls = st.columns(3)
    draws = controls[0].slider("Noise draws per level", 5, 100, 20, step=5, key="perturbation_draws")
    top_sigma2 = controls[1].slider("Largest σ²", 0.1, 1.0, 1.0, step=0.1, key="perturbation_sigma2")
    steps = controls[2].slider("Levels", 3, 11, 6, key="perturbation_steps")
    return draws, tuple(float(v) for v in np.round(np.linspace(0.0, top_sigma2, steps), 4))


def curves(
    context: state.PageContext, model_path: str, samples: list[Sample], levels: tuple[float, ...], draws: int
) -> dict:
    clips = tuple(context.clip(sample) for sample in samples)
    return {
        kind: (levels, cache.perturbation_curve(model_path, clips, levels, draws, kind == "relevant")) for kind in KINDS
    }


def one_clip(context: state.PageContext, sample: Sample, levels: tuple[float, ...], draws: int) -> None:
    model = context.model
    if not has_attention(model):
        st.info(f"{display_name(model)} has no attention, so nothing marks features relevant; pick another model.")
        return
    figure = tvd_figure(
        curves(context, context.model_path, [sample], levels, draws), f"{display_name(model)} on {sample.video_id}"
    )
    st.plotly_chart(figure, width="stretch", key="perturbation_clip_chart")
    st.caption(
        "Dark blue: noise on the relevant features; light blue: on the irrelevant ones. Each point averages "
        "the TVD over the noise draws."
    )


def several_models(context: state.PageContext, available: list[Sample], levels: tuple[float, ...], draws: int) -> None:
    """Figure 3: every chosen checkpoint with attention on the first clips, relevant and irrelevant side by side."""
    comparable = [path for path in context.checkpoints() if has_attention(cache.load_model(path))]
    chosen = st.multiselect(
        "Models with attention",
        comparable,
        format_func=state.checkpoint_name,
        default=pick_defaults(comparable, PERTURBATION_DEFAULTS),
        key="perturbation_models",
    )
    size = (
        st.slider("Clips in the subset", 1, len(available), min(8, len(available)), key="perturbation_subset")
        if len(available) > 1
        else 1
    )
    if not (st.button("Run the test", key="perturbation_run") and chosen):
        return
    progress = st.progress(0.0, text="Perturbing…")
    results = {}
    for done, path in enumerate(chosen, start=1):
        results[state.checkpoint_name(path)] = curves(context, path, available[:size], levels, draws)
        progress.progress(done / len(chosen), text=f"{done} of {len(chosen)} models")
    for column, kind in zip(st.columns(2), KINDS):
        figure = tvd_figure(
            {name: result[kind] for name, result in results.items()}, f"({'ab'[kind == 'irrelevant']}) {kind} features"
        )
        column.plotly_chart(figure, width="stretch", key=f"perturbation_{kind}_chart")


def see_and_hear(context: state.PageContext, sample: Sample) -> None:
    """The relevance masks applied to the raw waveform and the pixels, as an illustration."""
    st.info(
        "An illustration only: the test perturbs encoder **features**, which cannot be played or shown. Here the "
        "same relevance mask adds noise to the raw waveform (seconds with time attention ≥ 0.5) and to the "
        "frame's pixels (where A^s·A^t ≥ 0.5)."
    )
    clip = context.clip(sample)
    if not clip.has_video:
        st.info("This sample has features but no video on disk, so there is no sound or frame to perturb here.")
        return
    result = context.explain(clip)
    sigma2 = st.slider("σ²", 0.0, 1.0, 0.2, step=0.05, key="perturbation_listen_sigma2")
    relevant = st.toggle(
        "Perturb the relevant part (off: the irrelevant part)", True, key="perturbation_listen_relevant"
    )
    rng = np.random.default_rng(0)
    time_attention = result.numpy("time_attention")
    if time_attention is None and result.space_attention is None:
        st.info(f"{display_name(context.model)} has no attention, so there is no relevant part to perturb.")
    if time_attention is not None:
        st.caption(
            f"The clip's audio with noise σ² = {sigma2} on its {'relevant' if relevant else 'irrelevant'} seconds:"
        )
        st.audio(
            noisy_waveform(clip.audio, clip.sample_rate, time_attention, sigma2, relevant, rng),
            sample_rate=clip.sample_rate,
        )
    maps = space_maps(result, None)
    if maps is not None:
        second = int(np.argmax(time_attention)) if time_attention is not None else 0
        frame = clip.middle_frame(second)
        attention = upsample_space(maps[second], frame.shape[:2])
        left, right, _ = st.columns(3)
        left.image(frame, caption=f"Clean frame at {second} s (the most attended second)", width="stretch")
        right.image(
            noisy_frame(frame, attention, sigma2, relevant, rng), caption=f"With noise, σ² = {sigma2}", width="stretch"
        )
