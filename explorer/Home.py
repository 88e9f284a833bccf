"""STAN Explorer, the Streamlit app: ``streamlit run explorer/Home.py``.

This entry declares the pages (top-level ``pages/``) and draws the shared sidebar before each one.
"""

import streamlit as st

from explorer.paths import PAGES_DIR
from explorer.ui import home, state
from explorer.ui.guard import page_guard

st.set_page_config(page_title="STAN Explorer", page_icon=":material/movie:", layout="wide")

navigation = st.navigation(
    [
        st.Page(home.render, title="Home", icon=":material/home:", default=True),
        st.Page(PAGES_DIR / "browse.py", title="Browse", icon=":material/table_view:"),
        st.Page(PAGES_DIR / "upload.py", title="Upload", icon=":material/upload:"),
        st.Page(PAGES_DIR / "perturbation.py", title="Perturbation", icon=":material/blur_on:"),
        st.Page(PAGES_DIR / "pointing_game.py", title="Pointing game", icon=":material/my_location:"),
        st.Page(PAGES_DIR / "compare.py", title="Compare", icon=":material/compare:"),
        st.Page(PAGES_DIR / "methods.py", title="Methods", icon=":material/leaderboard:"),
    ]
)
with page_guard(f"the {navigation.title} page"):
    state.sidebar()
    navigation.run()
