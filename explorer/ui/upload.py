"""The Upload page's part: decode, encode and explain an upload, each step shown, its error in one sentence."""

from __future__ import annotations

import streamlit as st

from explorer.errors import ExplorerError
from explorer.media import Clip
from explorer.models import Explanation
from explorer.ui import cache


def explain_upload(model_path: str, data: bytes, filename: str) -> tuple[Clip, Explanation]:
    """The decoded upload and its Explanation; on a known error, its sentence and the end of the page."""
    problem = None
    with st.status("Explaining the upload…", expanded=False) as status:
        try:
            status.update(label="Decoding…")
            clip = cache.decode_upload(data, filename)
            status.update(label="Encoding…")
            cache.features(model_path, clip)
            status.update(label="Explaining…")
            result = cache.explain(model_path, clip)
            status.update(label=f"Decoded, encoded and explained {clip.num_segments} s of video.", state="complete")
        except ExplorerError as error:
            problem = str(error)
            status.update(label="The upload could not be explained.", state="error")
    if problem is not None:  # outside the collapsed status box, so nobody misses it
        st.error(problem)
        st.stop()
    return clip, result
