"""Several pages at once in one browser; video, audio and trackers are never downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from leadreel.integrations.browser import Browser
from leadreel.services.videos.page_capture import PageJob, capture_pages
from leadreel.services.videos.screenshots import ScreenshotSettings
from tests.screenshots.conftest import Page, Site

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

FAST = ScreenshotSettings(
    navigation_timeout_s=5, load_timeout_s=2, scroll_pause_s=0.02, settle_s=0.3, max_height=3000
)


def coloured(rgb: str, height: int = 1600) -> Page:
    return Page(f"<body style='margin:0'><div style='height:{height}px;background:{rgb}'>x</div>")


@pytest.fixture(scope="module")
def pages(site: Site) -> Site:
    site.pages.update(
        {
            "/c/red": coloured("rgb(255,0,0)"),
            "/c/green": coloured("rgb(0,255,0)", 2400),
            "/c/blue": coloured("rgb(0,0,255)"),
            "/c/heavy": Page(
                """<body style="margin:0;background:#fff"><h1>Our product</h1>
                <video src="/media/intro.mp4" autoplay muted preload="auto"></video>
                <audio src="/media/jingle.mp3" preload="auto"></audio>
                <script src="/t/analytics.js"></script>
                <img src="/img/logo.png" width="100" height="100"></body>"""
            ),
            "/media/intro.mp4": Page(b"\0" * 200_000, content_type="video/mp4"),
            "/media/jingle.mp3": Page(b"\0" * 50_000, content_type="audio/mpeg"),
            "/t/analytics.js": Page("window.tracked = true;", content_type="text/javascript"),
            "/img/logo.png": Page(_png(), content_type="image/png"),
        }
    )
    return site


def _png() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (100, 100), (10, 200, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_pages_are_captured_side_by_side_each_with_its_own_outcome(
    chromium: Browser, pages: Site, tmp_path: Path
) -> None:
    names = ["red", "green", "missing", "blue"]
    jobs = [
        PageJob(pages.url(f"/c/{name}"), tmp_path / f"{name}.png", tmp_path / f"{name}-v.png")
        for name in names
    ]
    settings = FAST.model_copy(update={"concurrent_pages": 3})
    capture_pages(chromium, jobs, settings)
    by_name = dict(zip(names, jobs, strict=True))
    assert str(by_name["missing"].error) == "HTTP 404" and by_name["missing"].result is None
    for name, colour in (("red", (255, 0, 0)), ("green", (0, 255, 0)), ("blue", (0, 0, 255))):
        job = by_name[name]
        assert job.error is None and job.result is not None
        with Image.open(job.full_path) as image:
            assert image.convert("RGB").getpixel((10, 10)) == colour  # its own page
            assert image.size == (1280, 2400 if name == "green" else 1600)
        assert Path(job.viewport_path or "").is_file()


def test_video_audio_and_trackers_are_not_downloaded(
    chromium: Browser, pages: Site, tmp_path: Path
) -> None:
    pages.requests.clear()
    (job,) = capture_pages(chromium, [PageJob(pages.url("/c/heavy"), tmp_path / "h.png")], FAST)
    assert job.error is None, job.error
    assert "/img/logo.png" in pages.requests  # what shows is loaded
    for blocked in ("/media/intro.mp4", "/media/jingle.mp3", "/t/analytics.js"):
        assert blocked not in pages.requests
