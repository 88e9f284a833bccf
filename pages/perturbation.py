"""Perturbation test (paper §4.3, Figure 3): noise on relevant vs irrelevant features."""
import numpy as np
import streamlit as st

from explorer.models import display_name
from explorer.explain.upsample import upsample_space
from explorer.models.checkpoint import list_checkpoints
from explorer.ui import state
from explorer.ui.analysis import noisy_frame, noisy_waveform, space_maps
from explorer.ui.cards import PERTURBATION_DEFAULTS, pick_defaults
from explorer.ui.figures import tvd_figure

st.title("Perturbation test")
st.caption("Gaussian noise N(0, σ²) is added to the features the model rates **relevant** (attention ≥ 0.5) or "
           "**irrelevant** (< 0.5), with the attention held fixed; the total variation distance (TVD) between the "
           "clean and noisy predictions measures how much the prediction moves. A faithful explanation moves a lot "
           "for relevant features and hardly at all for irrelevant ones.")
selection = state.selection()
model = state.require_model(selection)
dataset = state.dataset_or_stop(selection)
available = state.samples_or_stop(selection, dataset, "The perturbation test needs clips on disk and a model "
                                  "trained on this dataset's classes.", model=model)

controls = st.columns(3)
draws = controls[0].slider("Noise draws per level", 5, 100, 20, step=5, key="perturbation_draws")
top_sigma2 = controls[1].slider("Largest σ²", 0.1, 1.0, 1.0, step=0.1, key="perturbation_sigma2")
steps = controls[2].slider("Levels", 3, 11, 6, key="perturbation_steps")
levels = tuple(float(v) for v in np.round(np.linspace(0.0, top_sigma2, steps), 4))


def has_attention(model_path: str) -> bool:
    """Whether the model rates any feature (the test has nothing to perturb otherwise); seen on the first clip."""
    clip = state.sample_clip(selection, available[0].video_id)
    result = state.explain_clip(model_path, state.clip_key(clip), clip)
    return result.space_attention is not None or result.time_attention is not None


def curves(model_path: str, samples: list) -> dict:
    clips = [state.sample_clip(selection, s.video_id) for s in samples]
    keys = tuple(state.clip_key(clip) for clip in clips)
    return {kind: (levels, state.perturbation_curve(model_path, keys, clips, levels, draws, kind == "relevant"))
            for kind in ("relevant", "irrelevant")}


clip_tab, dataset_tab, listen_tab = st.tabs(["This clip", "Several models on a subset (Figure 3)", "See and hear it"])
with clip_tab:
    sample = st.selectbox("Clip", available, format_func=lambda s: s.video_id, key="perturbation_sample")
    if has_attention(selection.model_path):
        st.plotly_chart(tvd_figure(curves(selection.model_path, [sample]), f"{display_name(model)} on {sample.video_id}"),
                        width="stretch", key="perturbation_clip_chart")
        st.caption("Dark blue: noise on the relevant features; light blue: on the irrelevant ones. Each point averages "
                   "the TVD over the noise draws.")
    else:
        st.info(f"{display_name(model)} has no attention, so nothing marks features relevant; pick another model.")

with dataset_tab:
    checkpoints = [str(p) for p in list_checkpoints(state.checkpoints_dir())]
    comparable = [p for p in checkpoints if state.load_model(p).num_classes == len(dataset.classes) and has_attention(p)]
    chosen = st.multiselect("Models with attention", comparable, default=pick_defaults(comparable, PERTURBATION_DEFAULTS),
                            format_func=state.checkpoint_name, key="perturbation_models")
    size = st.slider("Clips in the subset", 1, len(available), min(8, len(available)), key="perturbation_subset")
    if st.button("Run the test", key="perturbation_run") and chosen:
        progress = st.progress(0.0, text="Perturbing…")
        results = {}
        for done, path in enumerate(chosen, start=1):
            results[state.checkpoint_name(path)] = curves(path, available[:size])
            progress.progress(done / len(chosen), text=f"{done} of {len(chosen)} models")
        left, right = st.columns(2)
        for column, kind in ((left, "relevant"), (right, "irrelevant")):
            figure = tvd_figure({name: result[kind] for name, result in results.items()}, f"({'ab'[kind == 'irrelevant']}) {kind} features")
            column.plotly_chart(figure, width="stretch", key=f"perturbation_{kind}_chart")

with listen_tab:
    st.info("An illustration only: the test perturbs encoder **features**, which cannot be played or shown. Here the "
            "same relevance mask adds noise to the raw waveform (seconds with time attention ≥ 0.5) and to the "
            "frame's pixels (where A^s·A^t ≥ 0.5).")
    clip = state.sample_clip(selection, sample.video_id)
    result = state.explain_clip(selection.model_path, state.clip_key(clip), clip)
    sigma2 = st.slider("σ²", 0.0, 1.0, 0.2, step=0.05, key="perturbation_listen_sigma2")
    relevant = st.toggle("Perturb the relevant part (off: the irrelevant part)", True, key="perturbation_listen_relevant")
    rng = np.random.default_rng(0)
    if result.time_attention is None and result.space_attention is None:
        st.info(f"{display_name(model)} has no attention, so there is no relevant part to perturb.")
    if result.time_attention is not None:
        st.caption(f"The clip's audio with noise σ² = {sigma2} on its {'relevant' if relevant else 'irrelevant'} seconds:")
        st.audio(noisy_waveform(clip.audio, clip.sample_rate, result.time_attention, sigma2, relevant, rng),
                 sample_rate=clip.sample_rate)
    maps = space_maps(result, None)
    if maps is not None:
        second = int(np.argmax(result.time_attention)) if result.time_attention is not None else 0
        frame = clip.middle_frame(second)
        attention = upsample_space(maps[second], frame.shape[:2])
        left, right, _ = st.columns(3)
        left.image(frame, caption=f"Clean frame at {second} s (the most attended second)", width="stretch")
        right.image(noisy_frame(frame, attention, sigma2, relevant, rng), caption=f"With noise, σ² = {sigma2}",
                    width="stretch")
