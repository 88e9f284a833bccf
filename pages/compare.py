"""Compare: two models, or two explanation methods of one model, side by side on the same clip."""

import streamlit as st

from explorer.models import list_checkpoints
from explorer.paths import checkpoints_dir
from explorer.ui import compare, state, views

st.title("Compare")
st.caption(
    "The same clip through two checkpoints, or through two explanation methods of the sidebar's model: their "
    "predictions, where they look and when. " + views.SPACE_HELP
)
context = state.page_context()
mode = compare.mode_switch()
checkpoints = [str(path) for path in list_checkpoints(checkpoints_dir())]
if mode == compare.TWO_MODELS and len(checkpoints) < 2:
    st.info(
        f"Comparing two models needs two checkpoints under {checkpoints_dir()}; found {len(checkpoints)}. "
        "Run `explorer demo reproduce` to train the demo models, or compare two methods."
    )
    st.stop()
available = context.samples_on_disk("Comparing needs a clip.")
sample = st.selectbox(
    "Clip", available, format_func=lambda s: f"{s.video_id} ({s.split or 'demo'})", key="compare_sample"
)
clip = context.clip(sample)
views.clip_warnings(clip)
for index, column in enumerate(st.columns(2, gap="large")):
    with column:
        compare.side(context, index, checkpoints, clip, sample)
