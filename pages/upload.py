"""Upload: explain a clip of your own."""

import streamlit as st

from explorer.ui import state, upload, views
from explorer.ui.samples import CONTAINERS

st.title("Upload a clip")
st.caption(
    "The clip is decoded into 1-second segments (at most the first 60 s), encoded, and explained by the "
    "model chosen in the sidebar. It is kept only in a temporary folder that is removed right after decoding."
)
context = state.page_context()
file = st.file_uploader("Video file", type=list(CONTAINERS), key="upload_file")
if file is None:
    st.info(f"Drop a video ({', '.join(CONTAINERS)}) above to explain it.")
    st.stop()
model = context.require_model()
clip, result = upload.explain_upload(context.model_path, file.getvalue(), file.name)
views.clip_warnings(clip)
video_column, prediction_column = st.columns(2)
video_column.video(file.getvalue(), format=file.type or "video/mp4")
with prediction_column:
    views.predictions(result, context.selection.classes)
    views.familiarity_note(context.model_path, clip)
views.explanation_views(clip, result, context.selection.classes, None, (), "upload", file.name, model)
