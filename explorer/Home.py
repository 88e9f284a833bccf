"""STAN Explorer, the Streamlit app: ``streamlit run explorer/Home.py``.

This entry declares the pages (top-level ``pages/``) and draws the shared sidebar before each one. Home's title and
introduction are drawn before the rest of the app is imported (torch and the models take seconds on a cold server;
Streamlit sends each element as the script draws it), so the first visitor reads them while the app loads.
"""

import streamlit as st

from explorer.paths import PAGES_DIR
from explorer.ui import intro

st.set_page_config(page_title=intro.TITLE, page_icon=":material/movie:", layout="wide")

home = st.Page(intro.home_page, title="Home", icon=":material/home:", default=True)
navigation = st.navigation(
    [
        home,
        st.Page(PAGES_DIR / "browse.py", title="Browse", icon=":material/table_view:"),
        st.Page(PAGES_DIR / "upload.py", title="Upload", icon=":material/upload:"),
        st.Page(PAGES_DIR / "perturbation.py", title="Perturbation", icon=":material/blur_on:"),
        st.Page(PAGES_DIR / "pointing_game.py", title="Pointing game", icon=":material/my_location:"),
        st.Page(PAGES_DIR / "compare.py", title="Compare", icon=":material/compare:"),
        st.Page(PAGES_DIR / "methods.py", title="Methods", icon=":material/leaderboard:"),
    ]
)
if navigation is home:
    intro.header()

# The heavy part of the app: after the title, on purpose (see the module's docstring).
from explorer.ui import state  # noqa: E402
from explorer.ui.guard import page_guard  # noqa: E402

with page_guard(f"the {navigation.title} page"):
    state.sidebar()
    navigation.run()
