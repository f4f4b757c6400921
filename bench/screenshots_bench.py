"""Screenshot throughput on realistic loopback sites: several pages at once in one browser.

    .venv/bin/python bench/screenshots_bench.py            # 24 pages (8 for the fresh one)
    .venv/bin/python bench/screenshots_bench.py --quick    # 6 pages (2)

The pages come from bench/sites.py: about 600 KB each (HTML, CSS, a web font, JPEG
photos, a lazy image) plus a background video, an audio file and two trackers that the
browser must not download. Every comparator uses the product's capture path and its
default timeouts and waits (``ScreenshotSettings()``: load, scroll pauses, 0.8 s settle,
viewport + full-page PNGs, blank check) through the egress proxy:

* ``reused``: one browser, ``capture_pages`` (``concurrent_pages`` at once, the product);
* ``sequential``: one browser, one page at a time (what the product did before);
* ``fresh``: a new browser per page (the comparator of issue 5);
* ``floor``: bare Chromium with no product around it (no proxy, scroll, settle, consent
  check or second image): a context, ``goto`` until ``load``, one full-page PNG, close.
  Its CPU seconds per page (all processes, from /proc/stat) bound what any capture of
  such a page can reach on this machine: ``floor_max_per_min`` = cores x 60 / CPU per page.

The reused figure includes its browser launch. The last line printed is
``RESULT key=value ...``; ``bench/render.py`` imports :func:`run`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sites import Sites  # noqa: E402

from leadreel.integrations.browser import Browser  # noqa: E402
from leadreel.integrations.egress import EgressProxy  # noqa: E402
from leadreel.services.videos.page_capture import PageJob, capture_pages, capture_png  # noqa: E402
from leadreel.services.videos.screenshots import ScreenshotSettings, capture_page  # noqa: E402

SETTINGS = ScreenshotSettings()  # the product's timeouts and waits


def _jobs(sites: Sites, count: int, out: Path) -> list[PageJob]:
    return [
        PageJob(sites.url(i), out / f"{i}-full.png", out / f"{i}-view.png") for i in range(count)
    ]


def _cpu_seconds() -> float:
    """Busy CPU time of the whole machine (Chromium's renderers come and go too fast to
    be counted process by process)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _floor(sites: Sites, count: int) -> tuple[float, float]:
    """Pages per minute and CPU seconds per page of bare Chromium (no product around it)."""
    from playwright.sync_api import sync_playwright

    from leadreel.integrations.browser import BASE_ARGS, DEFAULT_EXECUTABLE

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=DEFAULT_EXECUTABLE, args=BASE_ARGS)

        def one(i: int) -> None:
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            page = context.new_page()
            page.goto(sites.url(i), wait_until="load")
            height = page.evaluate("() => document.documentElement.scrollHeight")
            capture_png(context.new_cdp_session(page), 1280, height, beyond_viewport=True)
            context.close()

        one(count + 1)  # warm: the first context pays for start-up work
        cpu, started = _cpu_seconds(), time.perf_counter()
        for i in range(count):
            one(i)
        wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        browser.close()
    return count / wall * 60, cpu / count


def run(quick: bool) -> dict[str, float]:
    """Screens per minute for the three strategies, and what was blocked."""
    count, fresh_count = (6, 2) if quick else (24, 8)
    sites = Sites()
    work = Path(tempfile.mkdtemp(prefix="leadreel-shots-"))
    try:
        with EgressProxy(allow=[sites.allow]) as proxy:
            started, cpu = time.perf_counter(), _cpu_seconds()
            with Browser(proxy=proxy) as browser:
                jobs = capture_pages(browser, _jobs(sites, count, work / "reused"), SETTINGS)
            reused = time.perf_counter() - started
            reused_cpu = (_cpu_seconds() - cpu) / count
            failed = [str(j.error) for j in jobs if j.error is not None]
            if failed:
                raise RuntimeError(f"captures failed: {failed[:3]}")
            heavy = sites.heavy_requests()

            started = time.perf_counter()
            with Browser(proxy=proxy) as browser:
                for job in _jobs(sites, count, work / "sequential"):
                    capture_page(browser, job.url, job.full_path, job.viewport_path, SETTINGS)
            sequential = time.perf_counter() - started

            started = time.perf_counter()
            for job in _jobs(sites, fresh_count, work / "fresh"):
                with Browser(proxy=proxy) as browser:
                    capture_page(browser, job.url, job.full_path, job.viewport_path, SETTINGS)
            fresh = time.perf_counter() - started
        floor_per_min, floor_cpu = _floor(sites, fresh_count)
    finally:
        sites.close()
        shutil.rmtree(work, ignore_errors=True)
    cores = os.cpu_count() or 1
    per_min = {
        "reused": count / reused * 60,
        "sequential": count / sequential * 60,
        "fresh": fresh_count / fresh * 60,
    }
    print(
        f"screenshots: {SETTINGS.concurrent_pages} pages at once {per_min['reused']:.1f}/min, "
        f"one at a time {per_min['sequential']:.1f}/min, browser per page "
        f"{per_min['fresh']:.1f}/min; CPU per page {reused_cpu:.2f} s (bare Chromium's floor "
        f"{floor_cpu:.2f} s, at most {cores * 60 / floor_cpu:.0f}/min on {cores} cores); "
        f"page weight {sites.page_weight() / 1024:.0f} KB; "
        f"video/audio/tracker requests that reached the server: {heavy}"
    )
    ratio = per_min["reused"] / per_min["fresh"]
    return {
        "screens_cpu_s_per_page": round(reused_cpu, 2),
        "screens_floor_per_min": round(floor_per_min, 1),
        "screens_floor_cpu_s_per_page": round(floor_cpu, 2),
        "screens_floor_max_per_min": round(cores * 60 / floor_cpu, 1),
        "screens_per_min_reused": round(per_min["reused"], 1),
        "screens_per_min_sequential": round(per_min["sequential"], 1),
        "screens_per_min_fresh": round(per_min["fresh"], 1),
        "screens_ratio": round(ratio, 2),
        "ratio": round(ratio, 2),  # the name bench/render.py looks for
        "screens_heavy_requests": float(heavy),
        "screens_page_kb": round(sites.page_weight() / 1024, 1),
        "screens_count": float(count),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 pages")
    args = parser.parse_args(argv)
    figures = run(args.quick)
    print("RESULT " + " ".join(f"{k}={v}" for k, v in figures.items() if k != "ratio"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
