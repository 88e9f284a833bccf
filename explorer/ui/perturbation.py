"""The Perturbation page's parts (paper §4.3, Figure 3): one clip, several models on a subset, and a listenable
illustration of the same relevance masks."""

from __future__ import annotations

from typing import Callable

import numpy as np
import streamlit as st

from explorer.data.dataset import Sample
from explorer.evaluation import DEFAULT_SIGMA2
from explorer.explain.upsample import upsample_space
from explorer.models import AVModel, display_name, model_spec
from explorer.ui import cache, state
from explorer.ui.analysis import noisy_frame, noisy_waveform, space_maps
from explorer.ui.cards import PERTURBATION_DEFAULTS, pick_defaults
from explorer.ui.figures import tvd_figure

KINDS = ("relevant", "irrelevant")
PAPER_DRAWS = 100  # the paper's noise draws per σ² level
CHUNK = 16  # clips perturbed (and cached) together: small batches are the fastest on a CPU


def has_attention(model: AVModel) -> bool:
    """Whether the model rates any feature relevant; the test has nothing to perturb otherwise."""
    return bool(model_spec(model.name).explains & {"space_attention", "time_attention"})


def noise_controls() -> tuple[int, tuple[float, ...]]:
    """The draws per level and the σ² levels: the paper's protocol, or fewer draws and levels the user picks."""
    paper = st.toggle(
        "The paper's protocol: σ² = 0, 0.1, …, 1 and 100 draws per level",
        key="perturbation_paper",
        help="Off: pick fewer draws or levels, for a quicker, noisier curve.",
    )
    controls = st.columns(3)
    draws = controls[0].slider("Noise draws per level", 5, 100, 20, step=5, key="perturbation_draws", disabled=paper)
    top_sigma2 = controls[1].slider("Largest σ²", 0.1, 1.0, 1.0, step=0.1, key="perturbation_sigma2", disabled=paper)
    steps = controls[2].slider("Levels", 3, 11, 6, key="perturbation_steps", disabled=paper)
    if paper:
        return PAPER_DRAWS, tuple(DEFAULT_SIGMA2)
    return draws, tuple(float(v) for v in np.round(np.linspace(0.0, top_sigma2, steps), 4))


def curves(
    context: state.PageContext,
    model_path: str,
    samples: list[Sample],
    levels: tuple[float, ...],
    draws: int,
    progress: Callable[[int], None] = lambda done: None,
) -> dict:
    """Both mean TVD curves over the samples, CHUNK clips at a time (each chunk cached; ``progress`` is told how
    many clips are done), weighted by chunk size so the mean is over clips."""
    sums = {kind: np.zeros(len(levels)) for kind in KINDS}
    for start in range(0, len(samples), CHUNK):
        clips = tuple(context.clip(sample) for sample in samples[start : start + CHUNK])
        for kind in KINDS:
            sums[kind] += len(clips) * cache.perturbation_curve(model_path, clips, levels, draws, kind == "relevant")
        progress(start + len(clips))
    return {kind: (levels, total / len(samples)) for kind, total in sums.items()}


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
    """Figure 3: every chosen checkpoint with attention on the first clips or a whole split, relevant and irrelevant
    side by side; the last run stays on the page."""
    comparable = [path for path in context.checkpoints() if has_attention(cache.load_model(path))]
    chosen = st.multiselect(
        "Models with attention",
        comparable,
        format_func=state.checkpoint_name,
        default=pick_defaults(comparable, PERTURBATION_DEFAULTS),
        key="perturbation_models",
    )
    whole = st.toggle("A whole split", key="perturbation_whole", help="Off: the first clips, as many as you pick.")
    if whole:
        label, clips = context.split_picker(available, "perturbation")
    else:
        size = (
            st.slider("Clips in the subset", 1, len(available), min(8, len(available)), key="perturbation_subset")
            if len(available) > 1
            else 1
        )
        label, clips = f"the first {size} clips", available[:size]
    st.caption(f"{len(clips)} clips ({label}); each chunk of {CHUNK} clips is kept once computed.")
    kept = f"perturbation_curves:{context.selection.dataset}:{context.selection.dataset_root}"
    if st.button("Run the test", key="perturbation_run", disabled=not chosen):
        st.session_state[kept] = run_models(context, chosen, clips, levels, draws)
    if kept not in st.session_state:
        return
    results, described = st.session_state[kept]
    st.caption(f"Last run: {described}.")
    for column, kind in zip(st.columns(2), KINDS):
        figure = tvd_figure(
            {name: result[kind] for name, result in results.items()}, f"({'ab'[kind == 'irrelevant']}) {kind} features"
        )
        column.plotly_chart(figure, width="stretch", key=f"perturbation_{kind}_chart")


def run_models(
    context: state.PageContext, chosen: list[str], clips: list[Sample], levels: tuple[float, ...], draws: int
) -> tuple[dict, str]:
    """Every chosen model's curves on the clips, with a progress bar; and what the run was, in words."""
    progress = st.progress(0.0, text="Perturbing…")
    results = {}
    for done, path in enumerate(chosen):
        name = state.checkpoint_name(path)

        def report(clips_done: int, done=done, name=name) -> None:
            fraction = (done + clips_done / len(clips)) / len(chosen)
            progress.progress(fraction, text=f"{name}: {clips_done} of {len(clips)} clips")

        results[name] = curves(context, path, clips, levels, draws, report)
    progress.empty()
    return results, f"{len(clips)} clips, σ² = {', '.join(f'{v:g}' for v in levels)}, {draws} draws per level"


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
