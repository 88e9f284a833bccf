"""Helpers for driving the app with Streamlit's AppTest (imported by module name, as every test helper)."""

from __future__ import annotations

import json

import pytest

from explorer.paths import HOME_PAGE, checkpoints_dir
from explorer.ui.home import PAGE_LINKS

streamlit_testing = pytest.importorskip("streamlit.testing.v1")
PAGES = [page for page, _, _ in PAGE_LINKS]  # every page but Home, as Home links them


def demo_checkpoint(name: str) -> str:
    return str(checkpoints_dir() / "demo" / name)


def run_app(page: str | None = None, model: str | None = None):
    app = streamlit_testing.AppTest.from_file(str(HOME_PAGE), default_timeout=120).run()
    if model is not None:
        app.sidebar.selectbox(key="model_choice").set_value(demo_checkpoint(model)).run()
    if page is not None:
        app.switch_page(f"../pages/{page}.py").run()
    return app


def assert_clean(app) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def chart_text(app) -> str:
    """The trace names and titles of every plotly chart on the page."""
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    names = [trace.get("name", "") for spec in specs for trace in spec["data"]]
    titles = [spec["layout"].get("title", {}).get("text", "") for spec in specs]
    return " | ".join(names + titles)
