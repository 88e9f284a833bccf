"""Browse: the samples of the chosen dataset with their predictions; open one to see where and when."""

import streamlit as st

from explorer.ui import browse, state

st.title("Browse")
context = state.page_context()
on_disk = browse.samples_on_disk(context)
if not on_disk:
    browse.annotations_only(context)
probs = browse.predictions_on_disk(context, on_disk)
sample = browse.sample_table(context, on_disk, probs)
if sample is not None:
    browse.open_sample(context, sample, on_disk, explain=bool(probs))
