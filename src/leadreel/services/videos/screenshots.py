"""Screenshots of a lead's website and ads page, with a fallback that never fails a video.

Every URL here comes from an untrusted lead file, so navigation goes through
:class:`~leadreel.integrations.browser.Browser`, whose only way out is the egress proxy; the
pre-flight :func:`~leadreel.integrations.egress.check_url` only makes refusals readable.

A capture that cannot be trusted (DNS failure, egress refusal, HTTP status >= 400, timeout,
crash, blank page, or a page that navigated itself to an error afterwards) is replaced by the
last good screenshot (``previous``, when its files still exist) or a generated title card.
:class:`CaptureResult` says which, and why, for every image, as JSON the database can store.
"""

from __future__ import annotations

import logging
import re
import shutil
import string
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, field_validator

from leadreel.integrations.browser import Browser
from leadreel.integrations.egress import EgressRefused, check_url
from leadreel.render.cards import title_card
from leadreel.services.videos.consent import dismiss_cookie_banner

log = logging.getLogger("leadreel.screenshots")

Source = Literal["live", "previous", "card"]
ImageKey = Literal["website", "website_viewport", "ads"]
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


@dataclass(frozen=True)
class CaptureTarget:
    """What to capture for one company; ``website`` may lack a scheme (``acme.com``)."""

    name: str
    domain: str | None = None
    website: str | None = None
    ads_url: str | None = None


class CapturedImage(BaseModel):
    """One image of a capture: where it is, where it came from, and why if not live."""

    path: str
    source: Source
    url: str | None = None
    error: str | None = None
    width: int = 0
    height: int = 0
    note: str | None = None  # e.g. how a cookie banner was dismissed


class CaptureResult(BaseModel):
    """The three images a video uses, JSON-serialisable for the database."""

    website: CapturedImage
    website_viewport: CapturedImage
    ads: CapturedImage | None = None
    captured_at: float = Field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaptureResult:
        return cls.model_validate(data)


class CaptureError(Exception):
    """Why a live capture was not usable; the text is stored with the fallback image."""


def website_url_for(target: CaptureTarget) -> str | None:
    """The lead's website as a URL, adding ``https://`` to bare domains from CSVs."""
    raw = (target.website or target.domain or "").strip()
    if not raw:
        return None
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", raw):
        raw = "https://" + raw.lstrip("/")
    return raw


def ads_url_for(target: CaptureTarget, settings: ScreenshotSettings) -> str:
    """The company's own ads URL when set, else the configured pattern, URL-encoded."""
    if target.ads_url and target.ads_url.strip():
        return target.ads_url.strip()
    return settings.ads_url_pattern.format(
        company_name=quote(target.name.strip(), safe=""),
        domain=quote((target.domain or "").strip(), safe=""),
    )


def capture_company(
    browser: Browser,
    target: CaptureTarget,
    out_dir: Path,
    *,
    previous: CaptureResult | None = None,
    settings: ScreenshotSettings | None = None,
) -> CaptureResult:
    """Capture website (full page + viewport) and ads page, falling back image by image."""
    settings = settings or ScreenshotSettings()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    full, view = out_dir / "website.png", out_dir / "website_viewport.png"

    url = website_url_for(target)
    try:
        if url is None:
            raise CaptureError("no website")
        shot = capture_page(browser, url, full, view, settings)
        website = CapturedImage(path=str(full), source="live", url=url, **shot)
        viewport = CapturedImage(
            path=str(view),
            source="live",
            url=url,
            width=settings.viewport_width,
            height=settings.viewport_height,
            note=shot.get("note"),
        )
    except CaptureError as exc:
        log.info("website capture failed for %s: %s", target.name, exc)
        website = _fallback(target, "website", full, previous, str(exc), url, settings)
        viewport = _fallback(target, "website_viewport", view, previous, str(exc), url, settings)

    ads: CapturedImage | None = None
    if settings.capture_ads:
        ads_path = out_dir / "ads.png"
        ads_url = ads_url_for(target, settings)
        try:
            shot = capture_page(browser, ads_url, ads_path, None, settings)
            ads = CapturedImage(path=str(ads_path), source="live", url=ads_url, **shot)
        except CaptureError as exc:
            log.info("ads capture failed for %s: %s", target.name, exc)
            ads = _fallback(target, "ads", ads_path, previous, str(exc), ads_url, settings)
    return CaptureResult(website=website, website_viewport=viewport, ads=ads)


def _fallback(
    target: CaptureTarget,
    key: ImageKey,
    out_path: Path,
    previous: CaptureResult | None,
    error: str,
    url: str | None,
    settings: ScreenshotSettings,
) -> CapturedImage:
    """The last good image of this kind when its file still exists, else a title card."""
    old = getattr(previous, key, None) if previous is not None else None
    if isinstance(old, CapturedImage) and old.source in ("live", "previous"):
        old_path = Path(old.path)
        if old_path.is_file():
            if old_path.resolve() != out_path.resolve():
                shutil.copyfile(old_path, out_path)
            return old.model_copy(
                update={"path": str(out_path), "source": "previous", "error": error, "url": url}
            )
    title_card(target.name, target.domain, out_path, size=settings.viewport)
    width, height = settings.viewport
    return CapturedImage(
        path=str(out_path), source="card", url=url, error=error, width=width, height=height
    )


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
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        url = browser.check_url(url)
    except EgressRefused as exc:
        raise CaptureError(_refusal_error(exc.reason)) from None
    host = urlsplit(url).hostname or ""
    refused_before = browser.proxy.last_refusal(host)
    with browser.deadline(settings.hard_timeout_s) as expired:
        try:
            with browser.new_page(viewport=settings.viewport) as page:
                return _shoot(page, url, full_path, viewport_path, settings)
        except PlaywrightTimeout:
            raise CaptureError("timeout") from None
        except PlaywrightError as exc:
            if expired.is_set():
                raise CaptureError("timeout (page hung)") from None
            refusal = browser.proxy.last_refusal(host)
            if refusal is not None and refusal is not refused_before:
                raise CaptureError(_refusal_error(refusal.reason)) from None
            code = re.search(r"net::ERR_[A-Z_]+", str(exc))
            raise CaptureError(code.group(0) if code else _first_line(exc)) from None


def _shoot(
    page: Any, url: str, full_path: Path, viewport_path: Path | None, s: ScreenshotSettings
) -> dict[str, Any]:
    main: dict[str, Any] = {"status": None, "refused": None, "crashed": False}

    def on_response(response: Any) -> None:
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            main["status"] = response.status
            main["refused"] = response.headers.get("x-egress-refused")

    page.on("response", on_response)
    page.on("crash", lambda _page: main.update(crashed=True))
    page.set_default_timeout(s.screenshot_timeout_s * 1000)
    response = page.goto(url, wait_until="domcontentloaded", timeout=s.navigation_timeout_s * 1000)
    if response is None:
        raise CaptureError("no response")
    if response.headers.get("x-egress-refused"):
        raise CaptureError(_refusal_error(response.headers["x-egress-refused"]))
    if response.status >= 400:
        raise CaptureError(f"HTTP {response.status}")
    if s.load_timeout_s:
        try:
            page.wait_for_load_state("load", timeout=s.load_timeout_s * 1000)
        except Exception:  # slow third-party assets: shoot what has rendered
            log.debug("load event not reached for %s", url)
    note = dismiss_cookie_banner(page) if s.dismiss_cookie_banners else None
    scroll = {"maxHeight": s.max_height, "pauseMs": s.scroll_pause_s * 1000}
    height = int(_evaluate(page, _SCROLL_JS, scroll, s))
    if s.settle_s:
        page.wait_for_timeout(s.settle_s * 1000)
    _check_still_usable(page, main)
    if viewport_path is not None:
        page.screenshot(path=str(viewport_path), timeout=s.screenshot_timeout_s * 1000)
    clip_height = max(s.viewport_height, min(height, s.max_height))
    page.screenshot(
        path=str(full_path),
        full_page=True,
        clip={"x": 0, "y": 0, "width": s.viewport_width, "height": clip_height},
        timeout=s.screenshot_timeout_s * 1000,
    )
    _check_still_usable(page, main)
    with Image.open(full_path) as image:
        width, real_height = image.size
        if _single_colour(image):
            raise CaptureError("blank page")
    return {"width": width, "height": real_height, "note": note}


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


def _single_colour(image: Image.Image) -> bool:
    extrema = image.convert("RGB").getextrema()
    return all(low == high for low, high in extrema)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
