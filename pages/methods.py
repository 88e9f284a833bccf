"""Methods: the model's own attention against post-hoc explanation methods, scored on annotated clips."""

import streamlit as st

from explorer.ui import methods, state

st.title("Explanation methods")
st.caption(
    "The model's own attention next to post-hoc methods (Integrated Gradients, Grad-CAM, occlusion, gradient × input) "
    "that explain the same prediction after the fact: how well each points at the annotated object and seconds, and "
    "how much the prediction depends on what it ranks important (perturbation TVD, deletion AUC)."
)
context = state.page_context()
methods.leaderboard(context)
