"""Upload: explain a clip of your own."""
import streamlit as st

from explorer.errors import ExplorerError
from explorer.ui import state, views
from explorer.ui.samples import CONTAINERS

st.title("Upload a clip")
st.caption("The clip is decoded into 1-second segments (at most the first 60 s), encoded, and explained by the "
           "model chosen in the sidebar. It is kept only in a temporary folder that is removed right after decoding.")
selection = state.selection()
upload = st.file_uploader("Video file", type=list(CONTAINERS), key="upload_file")
if upload is None:
    st.info(f"Drop a video ({', '.join(CONTAINERS)}) above to explain it.")
    st.stop()
model = state.require_model(selection)

problem = None
with st.status("Explaining the upload…", expanded=False) as status:
    try:
        status.update(label="Decoding…")
        clip = state.decode_upload(upload.getvalue(), upload.name)
        key = state.clip_key(clip)
        status.update(label="Encoding…")
        state.encode_clip(selection.model_path, key, clip)
        status.update(label="Explaining…")
        result = state.explain_clip(selection.model_path, key, clip)
        status.update(label=f"Decoded, encoded and explained {clip.num_segments} s of video.", state="complete")
    except ExplorerError as error:
        problem = str(error)
        status.update(label="The upload could not be explained.", state="error")
if problem is not None:  # outside the collapsed status box, so nobody misses it
    st.error(problem)
    st.stop()

views.clip_warnings(clip)
video_column, prediction_column = st.columns(2)
video_column.video(upload.getvalue(), format=upload.type or "video/mp4")
with prediction_column:
    views.predictions(result, selection.classes)
views.explanation_views(clip, result, selection.classes, None, (), "upload", upload.name, model)
