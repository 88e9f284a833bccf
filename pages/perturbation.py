"""Perturbation test (paper §4.3, Figure 3): noise on relevant vs irrelevant features."""

import streamlit as st

from explorer.ui import perturbation, state

st.title("Perturbation test")
st.caption(
    "Gaussian noise N(0, σ²) is added to the features the model rates **relevant** (attention ≥ 0.5) or "
    "**irrelevant** (< 0.5), with the attention held fixed; the total variation distance (TVD) between the "
    "clean and noisy predictions measures how much the prediction moves. A faithful explanation moves a lot "
    "for relevant features and hardly at all for irrelevant ones."
)
context = state.page_context()
context.require_fit()
available = context.samples_on_disk("The perturbation test needs clips.")
draws, levels = perturbation.noise_controls()
clip_tab, models_tab, listen_tab = st.tabs(["This clip", "Several models (Figure 3)", "See and hear it"])
with clip_tab:
    sample = st.selectbox("Clip", available, format_func=lambda s: s.video_id, key="perturbation_sample")
    perturbation.one_clip(context, sample, levels, draws)
with models_tab:
    perturbation.several_models(context, available, levels, draws)
with listen_tab:
    perturbation.see_and_hear(context, sample)
