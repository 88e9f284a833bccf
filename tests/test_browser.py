"""The app in a real browser: Debian's headless Chromium driven by playwright, against `streamlit run`.

Runs on the shipped demo checkpoints and samples (EXPLORER_CHECKPOINTS_DIR / EXPLORER_DEMO_SAMPLES override them),
visits every page, uploads a clip, checks that overlays and charts rendered with no error box, and saves screenshots
to docs/screenshots/<page>.png.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from explorer.demo.real import VIDEOS_DIR
from explorer.media import Clip, load_clip, write_clip
from explorer.paths import REPO_ROOT, demo_samples_dir
from explorer.ui.home import PAGE_LINKS
from explorer.ui.serve import running_app

PAGES = [page for page, _, _ in PAGE_LINKS]

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
ERROR_BOXES = '[data-testid="stException"], [data-testid="stAlertContentError"]'
RENDER_TIMEOUT_MS = 60_000  # Browse encodes every sample once with the pretrained encoders before it draws
VIEWPORT = {"width": 1400, "height": 1000}

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
if not CHROMIUM.is_file():
    pytest.skip("no /usr/bin/chromium; install it with `apt-get install -y chromium`", allow_module_level=True)


@pytest.fixture(scope="module")
def app_url():
    with running_app() as (url, _):
        yield url


@pytest.fixture(scope="module")
def page(app_url):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser.new_page(viewport=VIEWPORT)
        browser.close()


def settle(page, quiet_ms: int = 1500) -> None:
    """Wait until Streamlit has finished running the script: no status widget or spinner for ``quiet_ms``."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=RENDER_TIMEOUT_MS)
    busy = page.locator('[data-testid="stStatusWidget"], [data-testid="stSpinner"]')
    deadline, quiet_since = time.monotonic() + RENDER_TIMEOUT_MS / 1000, None
    while time.monotonic() < deadline:
        if busy.count():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_ms / 1000:
            return
        page.wait_for_timeout(100)
    raise TimeoutError(f"the app was still running after {RENDER_TIMEOUT_MS} ms")


def check_and_shoot(page, name: str, needs_overlay: bool, needs_chart: bool) -> None:
    if needs_overlay:
        page.wait_for_selector('[data-testid="stImage"] img', timeout=RENDER_TIMEOUT_MS)
    if needs_chart:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=RENDER_TIMEOUT_MS)
    errors = page.locator(ERROR_BOXES)
    assert errors.count() == 0, errors.first.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # the app scrolls inside its main section, so grow the window to show the whole page
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 5000)})
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# The pages that draw an overlay and a chart on first paint with the demo samples.
FIRST_PAINT = {
    "home": (True, True),
    "browse": (True, True),
    "upload": (False, False),
    "perturbation": (False, True),
    "pointing_game": (False, True),
    "compare": (True, True),
    "methods": (False, False),  # the leaderboard runs on a button press
}


@pytest.mark.parametrize("name", ["home", *PAGES])
def test_page_renders_without_errors(app_url, page, name):
    url = app_url
    page.set_viewport_size(VIEWPORT)
    page.goto(url if name == "home" else f"{url}/{name}")
    settle(page)
    check_and_shoot(page, name, *FIRST_PAINT[name])


def upload(page, url: str, path: Path) -> None:
    """Open Upload, give its file uploader ``path`` and wait until the app has finished with it."""
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{url}/upload")
    settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    settle(page)


def test_upload_a_clip(app_url, page):
    upload(page, app_url, next((demo_samples_dir() / "clips").glob("*.mp4")))
    check_and_shoot(page, "upload_result", True, True)
    assert page.get_by_text("Decoded, encoded and explained").count() >= 1


def test_upload_a_real_video_warns_that_it_is_unlike_the_training_clips(app_url, page):
    """A real video (the black dog over a held-out bark): the familiarity warning sits beside the predictions
    (docs/screenshots/upload_real_video.png)."""
    upload(page, app_url, VIDEOS_DIR / "donna_barking.mp4")
    check_and_shoot(page, "upload_real_video", True, True)
    assert page.get_by_text("Unlike the model's training clips").count() == 1


def test_upload_a_one_second_portrait_clip(app_url, page, tmp_path):
    """The shortest clip the app takes, one second, cut to portrait 9:16 from a demo clip: every view of a single
    segment draws, and its screenshot is kept to look at (docs/screenshots/upload_one_second_portrait.png)."""
    source = load_clip(next((demo_samples_dir() / "clips").glob("*.mp4")))
    left = (source.frames[0].shape[2] - 126) // 2
    first_second = source.frames[0][:, :, left : left + 126]  # 224 × 126: 9:16
    clip = Clip.from_arrays([first_second], source.audio[: source.sample_rate], source.sample_rate)
    path = write_clip(tmp_path / "one_second_portrait.mp4", clip, fps=len(first_second))
    upload(page, app_url, path)
    check_and_shoot(page, "upload_one_second_portrait", True, True)
    assert page.get_by_text("Decoded, encoded and explained 1 s of video").count() >= 1


def test_bad_upload_shows_one_error_box(app_url, page, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video" * 100)
    upload(page, app_url, broken)
    alerts = page.locator('[data-testid="stAlertContentError"]')
    alerts.first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "broken.mp4" in alerts.first.inner_text() or "video" in alerts.first.inner_text().lower()
