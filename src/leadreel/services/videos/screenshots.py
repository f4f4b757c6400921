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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, Field

from leadreel.integrations.browser import Browser
from leadreel.render.cards import title_card
from leadreel.services.videos.page_capture import (
    DEFAULT_ADS_PATTERN,
    CaptureError,
    PageJob,
    ScreenshotSettings,
    capture_page,
    capture_pages,
)

__all__ = [
    "DEFAULT_ADS_PATTERN",
    "CaptureError",
    "CaptureResult",
    "CaptureTarget",
    "CapturedImage",
    "ScreenshotSettings",
    "capture_company",
    "capture_page",
]

log = logging.getLogger("leadreel.screenshots")

Source = Literal["live", "previous", "card"]
ImageKey = Literal["website", "website_viewport", "ads"]


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
    ads_path = out_dir / "ads.png"
    ads_url = ads_url_for(target, settings)
    # the website and the ads page load side by side in the one browser
    jobs = {"website": PageJob(url, full, view)} if url is not None else {}
    if settings.capture_ads:
        jobs["ads"] = PageJob(ads_url, ads_path, None)
    capture_pages(browser, list(jobs.values()), settings)

    site_job = jobs.get("website")
    if site_job is not None and site_job.result is not None:
        shot = site_job.result
        website = CapturedImage(path=str(full), source="live", url=url, **shot)
        viewport = CapturedImage(
            path=str(view),
            source="live",
            url=url,
            width=settings.viewport_width,
            height=settings.viewport_height,
            note=shot.get("note"),
        )
    else:
        error = str(site_job.error) if site_job is not None else "no website"
        log.info("website capture failed for %s: %s", target.name, error)
        website = _fallback(target, "website", full, previous, error, url, settings)
        viewport = _fallback(target, "website_viewport", view, previous, error, url, settings)

    ads: CapturedImage | None = None
    ads_job = jobs.get("ads")
    if ads_job is not None and ads_job.result is not None:
        ads = CapturedImage(path=str(ads_path), source="live", url=ads_url, **ads_job.result)
    elif ads_job is not None:
        log.info("ads capture failed for %s: %s", target.name, ads_job.error)
        ads = _fallback(target, "ads", ads_path, previous, str(ads_job.error), ads_url, settings)
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
