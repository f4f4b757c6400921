"""Screenshot throughput: one reused Chromium (fresh context per lead) vs a browser per lead.

    .venv/bin/python bench/screenshots_bench.py            # 20 pages per comparator
    .venv/bin/python bench/screenshots_bench.py --quick    # 6 pages

Both comparators capture the same small local pages (served on 127.0.0.1, allowed explicitly)
through the egress proxy with the production capture path (``capture_page``: navigate,
cookie-banner pass, scroll, settle, viewport + full-page PNGs), so the difference is only
the cost of launching Chromium per lead. The reused figure includes its one launch.
The last line printed is ``RESULT key=value ...``; ``bench/render.py`` imports :func:`run`.
"""

from __future__ import annotations

import argparse
import http.server
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from leadreel.integrations.browser import Browser
from leadreel.integrations.egress import EgressProxy
from leadreel.services.videos.screenshots import ScreenshotSettings, capture_page

SETTINGS = ScreenshotSettings(
    navigation_timeout_s=10, load_timeout_s=3, scroll_pause_s=0.02, settle_s=0.1
)


def _page(i: int) -> bytes:
    sections = "".join(
        f"<section style='height:600px;background:hsl({(i * 37 + s * 60) % 360},60%,85%)'>"
        f"<h2>Section {s}</h2><p>Lead {i} makes things, section {s}.</p></section>"
        for s in range(3)
    )
    return f"<!doctype html><title>Lead {i}</title><h1>Company {i}</h1>{sections}".encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        try:
            index = int(self.path.strip("/").split("/")[-1] or 0)
        except ValueError:
            index = 0
        body = _page(index)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _capture_all(browser: Browser, urls: list[str], out: Path) -> None:
    for i, url in enumerate(urls):
        capture_page(browser, url, out / f"{i}-full.png", out / f"{i}-view.png", SETTINGS)


def run(quick: bool) -> dict[str, float]:
    """Screens per minute for both strategies and their ratio (reused / fresh)."""
    count = 6 if quick else 20
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    urls = [f"http://127.0.0.1:{port}/lead/{i}" for i in range(count)]
    work = Path(tempfile.mkdtemp(prefix="leadreel-shots-"))
    try:
        with EgressProxy(allow=[f"127.0.0.1:{port}"]) as proxy:
            started = time.perf_counter()
            with Browser(proxy=proxy) as browser:
                _capture_all(browser, urls, work)
            reused = time.perf_counter() - started

            started = time.perf_counter()
            for i, url in enumerate(urls):
                with Browser(proxy=proxy) as browser:
                    _capture_all(browser, [url], work / f"fresh-{i}")
            fresh = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        shutil.rmtree(work, ignore_errors=True)
    per_min_reused = count / reused * 60
    per_min_fresh = count / fresh * 60
    ratio = per_min_reused / per_min_fresh
    return {
        "screens_per_min_reused": round(per_min_reused, 1),
        "screens_per_min_fresh": round(per_min_fresh, 1),
        "screens_ratio": round(ratio, 2),
        "ratio": round(ratio, 2),  # the name bench/render.py looks for
        "screens_count": float(count),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 pages per comparator")
    args = parser.parse_args(argv)
    figures = run(args.quick)
    for key, value in figures.items():
        print(f"{key}: {value}")
    print("RESULT " + " ".join(f"{k}={v}" for k, v in figures.items() if k != "ratio"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
