"""Pointing game: does the attention agree with human annotations? (paper §4.3, Table 3)."""

import streamlit as st

from explorer.ui import pointing, state

st.title("Pointing game")
st.caption(
    "The human temporal boxes become a 0/1 mask per second; the mean absolute error (MAE) between it and the "
    "time attention says how far the model's *when* is from a person's (lower is better). Binary attention "
    "thresholds the attention at 0.5 first."
)
context = state.page_context()
model = context.require_fit()
scored = context.samples_on_disk(
    "The pointing game needs clips with temporal boxes.", keep=lambda sample: sample.time_mask is not None
)
clip_tab, dataset_tab, space_tab = st.tabs(["This clip", "Whole split (Table 3)", "Spatial pointing (demo)"])
with clip_tab:
    sample = st.selectbox("Clip", scored, format_func=lambda s: s.video_id, key="pointing_sample")
    clip = context.clip(sample)
    result = context.explain(clip)
    pointing.one_clip(model, sample, result)
with dataset_tab:
    pointing.whole_split(context, scored)
with space_tab:
    pointing.spatial(context, sample, clip, result)
