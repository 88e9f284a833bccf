"""Home's title and opening paragraph, light on purpose (streamlit only).

``Home.py`` draws these before it imports the rest of the app (torch, the models: seconds on a cold server), and
Streamlit sends elements as the script runs, so a visitor reads the title while the app is still loading.
"""

from __future__ import annotations

import streamlit as st

TITLE = "STAN Explorer"
INTRO = (
    "**STAN** (Chen et al., *Where and When: Space-Time Attention for Audio-Visual Explanations*, 2021) "
    "recognises audio-visual events in video and explains itself: **space attention** says *where* in each "
    "frame the evidence lies, **time attention** says *when* in the clip it happens. "
    "Both are learnt from class activation maps (CAM) and class activation values (CAV) and are trained "
    "only with video-level labels."
)


def header() -> None:
    """Home's title and what STAN is."""
    st.title(TITLE)
    st.markdown(INTRO)


def home_page() -> None:
    """The rest of Home (:func:`explorer.ui.home.render`), imported when it runs so that this module stays light."""
    from explorer.ui import home

    home.render()
