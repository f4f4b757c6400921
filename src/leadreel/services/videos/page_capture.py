"""One browser, several pages at once: navigate, settle and screenshot pages side by side.

Why interleaved: most of a capture is waiting (the page's own loading, the scroll pauses
that trigger lazy images, the settle time for animations), and Playwright's sync API runs
one call at a time. So :func:`capture_pages` moves a window of pages through the same
steps together: every page is navigated first, then each is waited for, scrolled
(started in the page, not awaited), then settled and shot, so their waits overlap inside
one Chromium. Each page keeps its own context (no shared cookies or cache between
leads), its own timeouts and its own error: one failed page does not fail the others.

What a screenshot cannot show is not downloaded: the browser's contexts block video,
audio and trackers (:mod:`leadreel.integrations.browser`). The egress proxy still sees,
and filters, everything else.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import string
import struct
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, field_validator

from leadreel.integrations.browser import Browser
from leadreel.integrations.egress import EgressRefused, check_url
from leadreel.services.videos.consent import dismiss_cookie_banner

log = logging.getLogger("leadreel.screenshots")

DEFAULT_ADS_PATTERN = (
    "https://www.facebook.com/ads/library/"
    "?active_status=all&ad_type=all&country=ALL&media_type=all&q={company_name}"
)


class ScreenshotSettings(BaseModel):
    """Capture knobs; the defaults suit a 1280x720 video and a patient but bounded worker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    viewport_width: int = Field(1280, ge=320, le=3840)
    viewport_height: int = Field(720, ge=240, le=2160)
    navigation_timeout_s: float = Field(15.0, gt=0, le=120)
    load_timeout_s: float = Field(5.0, ge=0, le=60)  # wait for 'load', then shoot anyway
    screenshot_timeout_s: float = Field(20.0, gt=0, le=120)
    scroll_pause_s: float = Field(0.15, ge=0, le=2)
    settle_s: float = Field(0.8, ge=0, le=10)
    max_height: int = Field(6000, ge=240, le=30000)
    #: wall-clock budget for one page; past it the renderer is killed (hung scripts)
    hard_timeout_s: float = Field(60.0, gt=0, le=600)
    dismiss_cookie_banners: bool = True
    #: pages one browser loads side by side (their waits overlap: load, scroll, settle)
    concurrent_pages: int = Field(4, ge=1, le=16)
    capture_ads: bool = True
    ads_url_pattern: str = DEFAULT_ADS_PATTERN

    @field_validator("ads_url_pattern")
    @classmethod
    def _pattern_formats(cls, value: str) -> str:
        problem = f"ads_url_pattern {value!r}: only {{company_name}} and {{domain}} may be used"
        try:
            fields = [f[1:] for f in string.Formatter().parse(value) if f[1] is not None]
            url = value.format(company_name="x", domain="example.com")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(problem) from exc
        # no attribute access, indexing, conversions or format specs: plain names only
        if any(
            name not in ("company_name", "domain") or spec or conv for name, spec, conv in fields
        ):
            raise ValueError(problem)
        try:
            check_url(url)
        except EgressRefused as exc:
            raise ValueError(f"ads_url_pattern {value!r}: {exc.reason}") from exc
        return value

    @property
    def viewport(self) -> tuple[int, int]:
        return self.viewport_width, self.viewport_height


class CaptureError(Exception):
    """Why a live capture was not usable; the text is stored with the fallback image."""


_SCROLL_JS = """
async ({maxHeight, pauseMs}) => {
  const step = Math.max(200, Math.floor(window.innerHeight * 0.9));
  const limit = Math.min(document.documentElement.scrollHeight, maxHeight);
  for (let y = step; y < limit; y += step) {
    window.scrollTo(0, y);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  window.scrollTo(0, 0);
  const body = document.body;
  return Math.max(document.documentElement.scrollHeight, body ? body.scrollHeight : 0);
}
"""


@dataclass
class PageJob:
    """One page to capture; ``viewport_path`` None for a full-page image only."""

    url: str
    full_path: Path
    viewport_path: Path | None = None
    # filled in while the job moves through the steps
    page: Any = None
    main: dict[str, Any] = field(default_factory=dict)
    host: str = ""
    refused_before: Any = None
    note: str | None = None
    height: int = 0
    scrolled_at: float = 0.0
    result: dict[str, Any] | None = None
    error: CaptureError | None = None


def capture_page(
    browser: Browser,
    url: str,
    full_path: Path,
    viewport_path: Path | None,
    settings: ScreenshotSettings,
) -> dict[str, Any]:
    """Navigate, settle and screenshot one page; raise CaptureError when it is not usable.

    Returns ``width``, ``height`` (of the full-page image) and ``note`` (cookie banner).
    """
    (job,) = capture_pages(browser, [PageJob(url, full_path, viewport_path)], settings)
    if job.error is not None:
        raise job.error
    assert job.result is not None
    return job.result


def capture_pages(
    browser: Browser, jobs: list[PageJob], settings: ScreenshotSettings
) -> list[PageJob]:
    """Capture every job, ``settings.concurrent_pages`` at a time; each gets result or error."""
    size = settings.concurrent_pages
    for start in range(0, len(jobs), size):
        _capture_window(browser, jobs[start : start + size], settings)
    return jobs


def _capture_window(browser: Browser, jobs: list[PageJob], s: ScreenshotSettings) -> None:
    live: list[PageJob] = []
    for job in jobs:
        try:
            job.url = browser.check_url(job.url)
        except EgressRefused as exc:
            job.error = CaptureError(_refusal_error(exc.reason))
            continue
        job.host = urlsplit(job.url).hostname or ""
        job.refused_before = browser.proxy.last_refusal(job.host)
        live.append(job)
    if not live:
        return
    # one hard deadline for the window: its pages load side by side; pages are closed
    # with their contexts when the window ends (closing a page whose navigation failed
    # through the proxy was seen to hang in Playwright's page.close)
    with browser.deadline(s.hard_timeout_s) as expired, ExitStack() as contexts:
        steps = (_open, _prepare, _scroll_started, _finish)
        for step in steps:
            for job in live:
                if job.error is not None:
                    continue
                try:
                    if step is _open:
                        context = contexts.enter_context(browser.new_context(viewport=s.viewport))
                        job.page = context.new_page()
                    step(job, s)
                except CaptureError as exc:
                    job.error = exc
                except Exception as exc:  # noqa: BLE001 - Playwright's errors, per page
                    job.error = _capture_error(browser, job, exc, expired.is_set())


def _open(job: PageJob, s: ScreenshotSettings) -> None:
    """Start the navigation: returns once the response has arrived (the page loads on)."""
    page, main = job.page, job.main
    main.update(status=None, refused=None, crashed=False)

    def on_response(response: Any) -> None:
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            main["status"] = response.status
            main["refused"] = response.headers.get("x-egress-refused")

    page.on("response", on_response)
    page.on("crash", lambda _page: main.update(crashed=True))
    page.set_default_timeout(s.screenshot_timeout_s * 1000)
    response = page.goto(job.url, wait_until="commit", timeout=s.navigation_timeout_s * 1000)
    if response is None:
        raise CaptureError("no response")
    if response.headers.get("x-egress-refused"):
        raise CaptureError(_refusal_error(response.headers["x-egress-refused"]))
    if response.status >= 400:
        raise CaptureError(f"HTTP {response.status}")


def _prepare(job: PageJob, s: ScreenshotSettings) -> None:
    """Wait for the document (and ``load``, bounded), dismiss a cookie banner, start scrolling."""
    page = job.page
    page.wait_for_load_state("domcontentloaded", timeout=s.navigation_timeout_s * 1000)
    if s.load_timeout_s:
        try:
            page.wait_for_load_state("load", timeout=s.load_timeout_s * 1000)
        except Exception:  # slow third-party assets: shoot what has rendered
            log.debug("load event not reached for %s", job.url)
    job.note = dismiss_cookie_banner(page) if s.dismiss_cookie_banners else None
    scroll = {"maxHeight": s.max_height, "pauseMs": s.scroll_pause_s * 1000}
    try:  # started, not awaited: the other pages' steps run meanwhile
        page.evaluate(f"(arg) => {{ window.__leadreelScroll = ({_SCROLL_JS})(arg); }}", scroll)
    except Exception as exc:
        if "context was destroyed" not in str(exc) and "navigation" not in str(exc).lower():
            raise
        page.wait_for_load_state("load", timeout=max(s.load_timeout_s, 1) * 1000)
        job.height = int(page.evaluate(_SCROLL_JS, scroll))  # the page navigated: redo
        job.scrolled_at = time.monotonic()


def _scroll_started(job: PageJob, s: ScreenshotSettings) -> None:
    """Collect the scroll's result (the page's height)."""
    if job.scrolled_at:
        return
    scroll = {"maxHeight": s.max_height, "pauseMs": s.scroll_pause_s * 1000}
    height = _evaluate(job.page, "() => window.__leadreelScroll", None, s)
    if height is None:  # a navigation replaced the window: scroll the new page
        height = _evaluate(job.page, _SCROLL_JS, scroll, s)
    job.height = int(height)
    job.scrolled_at = time.monotonic()


def _finish(job: PageJob, s: ScreenshotSettings) -> None:
    """Settle (what is left of it), check the page is still usable, take the screenshots."""
    page, main = job.page, job.main
    left = job.scrolled_at + s.settle_s - time.monotonic()
    if left > 0:
        page.wait_for_timeout(left * 1000)
    _check_still_usable(page, main)
    clip_height = max(s.viewport_height, min(job.height, s.max_height))
    session = page.context.new_cdp_session(page)
    try:
        full = capture_png(session, s.viewport_width, clip_height, beyond_viewport=True)
        view = None
        if job.viewport_path is not None:
            view = capture_png(session, s.viewport_width, s.viewport_height, beyond_viewport=False)
    finally:
        _detach(session)
    _check_still_usable(page, main)
    job.full_path.parent.mkdir(parents=True, exist_ok=True)
    job.full_path.write_bytes(full)
    if view is not None and job.viewport_path is not None:
        job.viewport_path.parent.mkdir(parents=True, exist_ok=True)
        job.viewport_path.write_bytes(view)
    width, real_height = _png_size(full)
    # a single colour in the first screen is checked on the small image first; only then
    # is the tall one decoded (a plain hero above real content is not a blank page)
    if _single_colour(view or full) and (view is None or _single_colour(full)):
        raise CaptureError("blank page")
    job.result = {"width": width, "height": real_height, "note": job.note}


def capture_png(session: Any, width: int, height: int, *, beyond_viewport: bool) -> bytes:
    """One PNG from Chromium's DevTools protocol, encoded for speed rather than size.

    Playwright's ``page.screenshot`` asks Chromium for its default (slow) PNG compression:
    about 0.35 s of CPU for a 1280x3300 page against 0.15 s with ``optimizeForSpeed``, on
    a machine where every screenshot competes for two cores. The pixels are the same.
    """
    clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
    shot = session.send(
        "Page.captureScreenshot",
        {
            "format": "png",
            "optimizeForSpeed": True,
            "clip": clip,
            "captureBeyondViewport": beyond_viewport,
        },
    )
    return base64.b64decode(shot["data"])


def _detach(session: Any) -> None:
    try:
        session.detach()
    except Exception:  # the page or browser went away: nothing left to detach
        log.debug("CDP session detach failed", exc_info=True)


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG header, without decoding a tall image."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise CaptureError("screenshot is not a PNG")
    return struct.unpack(">II", data[16:24])


def _capture_error(browser: Browser, job: PageJob, exc: Exception, expired: bool) -> CaptureError:
    """Name a Playwright failure the way a user can act on it."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if isinstance(exc, PlaywrightTimeout):
        return CaptureError("timeout")
    if not isinstance(exc, PlaywrightError):
        raise exc
    if expired:
        return CaptureError("timeout (page hung)")
    refusal = browser.proxy.last_refusal(job.host)
    if refusal is not None and refusal is not job.refused_before:
        return CaptureError(_refusal_error(refusal.reason))
    code = re.search(r"net::ERR_[A-Z_]+", str(exc))
    return CaptureError(code.group(0) if code else _first_line(exc))


def _evaluate(page: Any, script: str, arg: Any, s: ScreenshotSettings) -> Any:
    """``page.evaluate``, retried once if the page navigated meanwhile (a consent button that
    reloads the page, a script redirect to another allowed page)."""
    try:
        return page.evaluate(script, arg)
    except Exception as exc:
        if "context was destroyed" not in str(exc) and "navigation" not in str(exc).lower():
            raise
    page.wait_for_load_state("load", timeout=max(s.load_timeout_s, 1) * 1000)
    return page.evaluate(script, arg)


def _check_still_usable(page: Any, main: dict[str, Any]) -> None:
    """Pages can navigate themselves after load (meta refresh, script): judge the final one."""
    if main["crashed"]:
        raise CaptureError("page crashed")
    if not page.url.startswith(("http://", "https://")):
        raise CaptureError("navigation failed")
    if main["refused"]:
        raise CaptureError(_refusal_error(main["refused"]))
    if main["status"] is not None and main["status"] >= 400:
        raise CaptureError(f"HTTP {main['status']}")


def _refusal_error(reason: str) -> str:
    """Name what the proxy said: a DNS or connect failure is a down site, not a refusal."""
    return reason if reason in ("dns failure", "connect failed") else f"refused: {reason}"


def _single_colour(png: bytes) -> bool:
    with Image.open(io.BytesIO(png)) as image:
        extrema = image.convert("RGB").getextrema()
    return all(low == high for low, high in extrema)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
