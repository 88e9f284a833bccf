"""Benchmark the Streamlit app on the demo checkpoints: first paint, upload latency and server memory.

    .venv/bin/python benchmarks/bench_app.py [--sessions 8]

1. Starts ``streamlit run explorer/Home.py`` on a loopback port and, with headless Chromium (/usr/bin/chromium,
   driven by playwright), times the Home page: until its first content (the title) and until the where/when figure
   is drawn, on a cold server (empty caches) and warm: a first-time visitor afterwards (a fresh browser context,
   which loads and compiles the app's scripts, plotly's 4.7 MB among them, again) and a returning one (a new tab in
   a context that has them cached).
2. Times encode + explain of a 10 s clip through the functions the Upload page calls (decoding excluded).
3. Reads the server's resident memory with 1 and with ``--sessions`` concurrent browser sessions on Home.
4. Times two bare Streamlit apps the same way: a one-line one (``st.title`` alone), the floor under the warm first
   content whatever the app does, and one with a title, an image and a 40-point plotly chart, the floor under any
   view that has a plotly chart (the app's interface asks for one on every success).

The last line is ``first_paint_seconds <x>``: from launching the server to Home's first content, cold (the
``launch_to_figure_s`` row gives the time until the where/when figure is drawn as well).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from explorer.ui.serve import running_app  # noqa: E402  (needs the repository on the path)

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 120_000


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def time_home(browser, url: str, context=None, figure: bool = True) -> tuple[float, float | None]:
    """Seconds from opening Home in a new session until its title, and until both where/when figures, show
    (``figure=False``: the title only, for an app that has no figure). A new browser context is a first-time visitor
    (no cached scripts); ``context`` a returning one (its cache)."""
    fresh = context is None
    context = context or browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", name="STAN Explorer").wait_for(timeout=TIMEOUT_MS)
    first_content = time.perf_counter() - start
    if figure:
        page.wait_for_selector('[data-testid="stImage"] img', timeout=TIMEOUT_MS)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=TIMEOUT_MS)
    figure = time.perf_counter() - start if figure else None
    if fresh:
        context.close()
    else:
        page.close()
    return first_content, figure


def warm_times(browser, url: str, figure: bool = True) -> dict[str, float]:
    """Medians of three openings of a warm server's page by first-time visitors (fresh browser contexts) and by a
    returning one (a context whose cache one earlier opening filled): to the title, and with ``figure`` to the
    where/when figure too."""
    runs = {"": [time_home(browser, url, figure=figure) for _ in range(3)]}
    returning = browser.new_context(viewport={"width": 1400, "height": 1000})
    time_home(browser, url, returning, figure)  # fills the context's cache of the app's scripts
    runs["returning_"] = [time_home(browser, url, returning, figure) for _ in range(3)]
    returning.close()
    results = {}
    for visitor, times in runs.items():
        results[f"warm_{visitor}first_content_s"] = statistics.median(time[0] for time in times)
        if figure:
            results[f"warm_{visitor}figure_s"] = statistics.median(time[1] for time in times)
    return results


def open_sessions(browser, url: str, count: int) -> list:
    """``count`` concurrent sessions on Home, each left open once its figure is drawn."""
    contexts = [browser.new_context() for _ in range(count)]
    pages = [context.new_page() for context in contexts]
    for page in pages:
        page.goto(url)
    for page in pages:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=TIMEOUT_MS)
    return contexts


def bench_server(sessions: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        launched = time.perf_counter()
        with running_app() as (url, server):
            results["server_ready_s"] = time.perf_counter() - launched
            results["cold_first_content_s"], results["cold_figure_s"] = time_home(browser, url)
            results["launch_to_first_content_s"] = results["server_ready_s"] + results["cold_first_content_s"]
            results["launch_to_figure_s"] = results["server_ready_s"] + results["cold_figure_s"]
            results.update(warm_times(browser, url))
            for count in (1, sessions):
                contexts = open_sessions(browser, url, count)
                results[f"rss_{count}_session{'s' * (count > 1)}_mib"] = rss_mib(server.pid)
                for context in contexts:
                    context.close()
        browser.close()
    return results


# The floors: a one-line Streamlit app, and one whose whole view is a title, a frame and a 40-point plotly line.
BARE_APPS = {
    "bare_streamlit": ('import streamlit as st\n\nst.title("STAN Explorer")\n', False),
    "bare_view": (
        "import numpy as np\nimport plotly.graph_objects as go\nimport streamlit as st\n\n"
        'st.title("STAN Explorer")\nst.image(np.full((224, 224, 3), 128, np.uint8))\n'
        "st.plotly_chart(go.Figure(go.Scatter(y=np.sin(np.linspace(0, 10, 40)))))\n",
        True,
    ),
}


def bench_bare_streamlit() -> dict[str, float]:
    """The floors under the warm times: Streamlit apps with nothing but a title (under the first content) and with a
    title, an image and one small plotly chart (under a view), timed the same way, so that what Streamlit, plotly and
    the browser cost reads apart from what the app adds."""
    from playwright.sync_api import sync_playwright

    results = {}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for name, (source, figure) in BARE_APPS.items():
            script = Path(folder) / f"{name}.py"
            script.write_text(source, encoding="utf-8")
            with running_app(script) as (url, _):
                time_home(browser, url, figure=figure)  # the server's first run
                results.update({f"{name}_{key}": value for key, value in warm_times(browser, url, figure).items()})
        browser.close()
    return results


def bench_upload(repeats: int = 5) -> dict[str, float]:
    """Encode + explain of a 10 s demo clip through the Upload page's cached functions, caches cleared each time."""
    from streamlit.logger import set_log_level

    set_log_level("error")  # outside a server, every cached function warns that there is no runtime
    from explorer.media import load_clip
    from explorer.paths import checkpoints_dir, demo_samples_dir
    from explorer.ui import cache
    from explorer.ui.memo import CACHES

    path = next((demo_samples_dir() / "clips").glob("*.mp4"))
    model_path = str(checkpoints_dir() / "demo" / "stan")
    start = time.perf_counter()
    clip = load_clip(path)
    decode = time.perf_counter() - start
    cache.load_encoder(model_path)  # loaded once per server, before any upload
    times = []
    for _ in range(repeats):
        for memo in CACHES.values():  # cold caches: every repeat decodes, encodes and explains again
            memo.clear()
        start = time.perf_counter()
        cache.explain(model_path, clip)
        times.append(time.perf_counter() - start)
    return {
        "upload_clip_seconds": clip.duration,
        "upload_decode_s": decode,
        "upload_encode_explain_s": statistics.median(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8, help="concurrent browser sessions for the memory row")
    args = parser.parse_args()
    results = {**bench_server(args.sessions), **bench_bare_streamlit(), **bench_upload()}
    width = max(map(len, results))
    for name, value in results.items():
        print(f"{name:<{width}}  {value:9.2f}")
    print(f"first_paint_seconds {results['launch_to_first_content_s']:.2f}")


if __name__ == "__main__":
    main()
