"""Many visitors at once: simultaneous browser sessions each upload a different clip, then open every page.

    .venv/bin/python benchmarks/bench_load.py [--sessions 8] [--rounds 2] [--deadline 900]

Loopback only (the app is started on 127.0.0.1), bounded in sessions and in time (``--deadline`` seconds in all).
Each session uploads its own real clip, waits for the upload's views, then clicks through Browse, Perturbation,
Pointing game and Compare in the sidebar, timing each page from the click until its views are drawn and the script
has finished. Round 2 repeats with fresh sessions and the same clips, so the server's memory after round 1 and after
round 2 shows whether it grows with the number of visitors beyond the byte-bounded caches (docs/ARCHITECTURE.md).

Prints, per page, p50 and p95 seconds to the views over all sessions, and the server's resident memory before the
first visitor, after each round, and its growth.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from explorer.paths import REAL_MEDIA, demo_samples_dir  # noqa: E402
from explorer.ui.serve import running_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PAGES = {"Browse": 1, "Perturbation": 1, "Pointing game": 1, "Compare": 2}  # sidebar title -> charts it draws
BUSY = '[data-testid="stStatusWidget"], [data-testid="stSpinner"]'
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class PeakMemory:
    """The server's resident memory sampled twice a second in a background thread: its peak, and its last value."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self.peak = max(self.peak, rss_mib(self.pid))
            except (OSError, RuntimeError):  # the server has exited
                return

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def clips(count: int) -> list[Path]:
    """Different real clips: the shipped real videos, then demo samples."""
    found = sorted((REAL_MEDIA / "videos").glob("*.mp4")) + sorted((demo_samples_dir() / "clips").glob("*.mp4"))
    if len(found) < count:
        raise SystemExit(f"only {len(found)} clips to upload; ask for at most that many sessions")
    return found[:count]


async def settle(page, timeout_s: float, quiet_s: float = 1.0) -> float:
    """Until the script has finished: no status widget or spinner for ``quiet_s``. Returns the ``perf_counter`` time
    at which the page went quiet, so that the wait for quiet is not counted as the page's time."""
    deadline, quiet_since = time.monotonic() + timeout_s, None
    busy = page.locator(BUSY)
    while time.monotonic() < deadline:
        if await busy.count():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.perf_counter()
        elif time.perf_counter() - quiet_since >= quiet_s:
            return quiet_since
        await page.wait_for_timeout(100)
    raise TimeoutError("the page was still running at the deadline")


async def views_drawn(page, charts: int, timeout_s: float, images: bool = True) -> float:
    """Waits until ``charts`` plotly charts (and an image) are drawn and the script has finished; returns the
    ``perf_counter`` time at which both were true."""
    await page.wait_for_function(
        "([charts, images]) => document.querySelectorAll('.js-plotly-plot .main-svg').length >= charts && "
        "(!images || document.querySelector('[data-testid=\"stImage\"] img'))",
        arg=[charts, images],
        timeout=timeout_s * 1000,
    )
    quiet = await settle(page, timeout_s)  # never before the views were drawn: settle starts after them
    if await page.locator(ERRORS).count():
        raise RuntimeError(await page.locator(ERRORS).first.inner_text())
    return quiet


async def visit(browser, url: str, clip: Path, timeout_s: float) -> dict[str, float]:
    """One visitor: upload ``clip``, then every page; seconds from each action to its views."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    times = {}
    try:
        await page.goto(f"{url}/upload")
        await page.locator('[data-testid="stFileUploaderDropzoneInput"]').wait_for(
            state="attached", timeout=timeout_s * 1000
        )
        start = time.perf_counter()
        await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(clip))
        await page.get_by_text("Decoded, encoded and explained").wait_for(timeout=timeout_s * 1000)
        times["Upload"] = await views_drawn(page, 1, timeout_s) - start
        for title, charts in PAGES.items():
            start = time.perf_counter()
            await page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
            await (
                page.get_by_role("heading", level=1)
                .filter(has_text=title.split()[0])
                .wait_for(timeout=timeout_s * 1000)
            )
            times[title] = await views_drawn(page, charts, timeout_s, images=title != "Pointing game") - start
    finally:
        await context.close()
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def bench(sessions: int, rounds: int, deadline_s: float) -> None:
    from playwright.async_api import async_playwright

    started = time.monotonic()
    uploads = clips(sessions)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        with running_app() as (url, server), PeakMemory(server.pid) as peak:
            memory = {"idle": rss_mib(server.pid)}
            per_page: dict[str, list[float]] = {}
            for round_ in range(1, rounds + 1):
                left = deadline_s - (time.monotonic() - started)
                if left <= 0:
                    print(f"deadline of {deadline_s} s reached before round {round_}")
                    break
                tasks = [asyncio.create_task(visit(browser, url, clip, left)) for clip in uploads]
                done, pending = await asyncio.wait(tasks, timeout=left)
                for task in pending:  # past the deadline: counted, not waited for
                    task.cancel()
                for task in done:
                    if task.exception() is None:
                        for name, seconds in task.result().items():
                            per_page.setdefault(name, []).append(seconds)
                    else:
                        print(f"a session failed: {task.exception()}")
                memory[f"after round {round_}"] = rss_mib(server.pid)
                print(f"round {round_} done at {time.monotonic() - started:.0f} s", flush=True)
                if pending:
                    print(f"round {round_}: {len(pending)} of {len(tasks)} sessions had not finished at the deadline")
                    break
            memory["peak"] = peak.peak
        await browser.close()
    print(f"{sessions} simultaneous sessions x {rounds} rounds, each a different clip; seconds to the views")
    print(f"{'page':<15} {'p50':>6} {'p95':>6} {'max':>6}  n")
    for name, values in per_page.items():
        print(
            f"{name:<15} {statistics.median(values):6.1f} {percentile(values, 0.95):6.1f} {max(values):6.1f}  "
            f"{len(values)}"
        )
    for label, mib in memory.items():
        print(f"server memory {label:<15} {mib:7.0f} MiB")
    rounds_run = [label for label in memory if label.startswith("after round")]
    if len(rounds_run) > 1:
        growth = memory[rounds_run[-1]] - memory[rounds_run[0]]
        print(f"server memory growth from {rounds_run[0]} to {rounds_run[-1]}: {growth:+.0f} MiB")
    print(f"total {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=8, help="simultaneous browser sessions (at most 18)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of fresh sessions")
    parser.add_argument("--deadline", type=float, default=900, help="seconds for the whole run")
    args = parser.parse_args()
    asyncio.run(bench(min(args.sessions, 18), args.rounds, args.deadline))


if __name__ == "__main__":
    main()
