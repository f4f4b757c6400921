"""The video task types: ``screenshot`` (per company) then ``render_video`` (per lead).

Task bodies stay thin: they load rows in short transactions, call the screenshotter and
the renderer, and write the outcome. The final write goes through ``ctx.session`` so it
commits atomically with the task's success; progress and status changes along the way go
through their own short sessions (SQLite has a single write lock: never hold it during a
capture or an encode).

One Chromium and its egress proxy serve every screenshot task of a worker process; see
:mod:`~leadreel.services.videos.browser_service` for why it lives on a thread of its own.

Bad input (an invalid spec, a missing clip, a site that could only be a title card when the
template forbids fallbacks) raises ``PermanentError``: retrying cannot help.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pydantic
from sqlalchemy import update
from sqlalchemy.orm import Session

from leadreel.config import Settings, load_settings
from leadreel.integrations.browser import Browser, BrowserUnavailable
from leadreel.integrations.ffmpeg import SubprocessRunner, find_ffmpeg
from leadreel.models import Company, Lead, RenderRun, User, Video
from leadreel.render.cards import title_card
from leadreel.render.engine import render_video
from leadreel.render.graph import EncodeSettings
from leadreel.render.plan import RenderError
from leadreel.render.templates import VideoTemplate
from leadreel.services.delivery import shares
from leadreel.services.permissions import can
from leadreel.services.videos import files as video_files
from leadreel.services.videos import library, runs
from leadreel.services.videos.browser_service import BROWSER, allow_list, allow_paths
from leadreel.services.videos.names import FANOUT, FANOUT_PRIORITY, RENDER, SCREENSHOT
from leadreel.services.videos.screenshots import (
    CapturedImage,
    CaptureResult,
    CaptureTarget,
    ScreenshotSettings,
    capture_company,
)
from leadreel.services.videos.template_store import images_used, screenshot_source
from leadreel.services.videos.variables import lead_variables
from leadreel.tasks.context import TaskCancelled, TaskContext
from leadreel.tasks.registry import PRIORITY_RENDER, task_type
from leadreel.tasks.retry import PermanentError

log = logging.getLogger("leadreel.videos.tasks")
T = TypeVar("T")
FRESH_SECONDS = 900  # leads of one company in one batch share a capture this recent
KEEP_CAPTURES = 2
_RECENT: dict[str, CaptureResult] = {}  # company dir -> capture; used on the browser thread
PROGRESS_EVERY = 0.5


# -- helpers -------------------------------------------------------------------------------


def _settings(ctx: TaskContext) -> Settings:
    return ctx.settings if isinstance(ctx.settings, Settings) else load_settings()


@contextmanager
def _short(ctx: TaskContext) -> Iterator[Session]:
    """A short transaction of its own, committed at once.

    On SQLite it begins IMMEDIATE: a read transaction that later writes fails at once
    ("database is locked") if another worker thread wrote in between.
    """
    with Session(ctx.engine, expire_on_commit=False) as session:
        if ctx.engine.dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        yield session
        session.commit()


def _set_video(ctx: TaskContext, video_id: int | None, **values: Any) -> None:
    if video_id:
        with _short(ctx) as session:
            session.execute(update(Video).where(Video.id == video_id).values(**values))


def previous_capture(data: dict[str, Any] | None) -> CaptureResult | None:
    if not data:
        return None
    try:
        return CaptureResult.from_json(data)
    except pydantic.ValidationError:
        return None


def _fresh(capture: CaptureResult | None) -> bool:
    if capture is None or time.time() - capture.captured_at > FRESH_SECONDS:
        return False
    images = [capture.website, capture.website_viewport, capture.ads]
    return all(Path(i.path).is_file() for i in images if i is not None)


def _offline_capture(
    target: CaptureTarget, out_dir: Path, previous: CaptureResult | None, error: str
) -> CaptureResult:
    """No browser: reuse the last good images, else title cards (same chain as a failed capture)."""
    out_dir.mkdir(parents=True, exist_ok=True)

    def one(key: str) -> CapturedImage:
        old = getattr(previous, key, None)
        if isinstance(old, CapturedImage) and old.source != "card" and Path(old.path).is_file():
            shutil.copyfile(old.path, out_dir / f"{key}.png")
            return old.model_copy(
                update={"path": str(out_dir / f"{key}.png"), "source": "previous", "error": error}
            )
        path = title_card(target.name, target.domain, out_dir / f"{key}.png")
        return CapturedImage(path=str(path), source="card", error=error, width=1280, height=720)

    return CaptureResult(
        website=one("website"), website_viewport=one("website_viewport"), ads=one("ads")
    )


def _prune(company_dir: Path, keep: Path) -> None:
    """Keep the newest captures (the current one and the fallback it may have copied from)."""
    if not company_dir.is_dir():
        return
    dirs = sorted((d for d in company_dir.iterdir() if d.is_dir()), key=lambda d: d.stat().st_mtime)
    for old in dirs[:-KEEP_CAPTURES]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def _prune_previews(root: Path, max_age: float = 86_400) -> None:
    """Editor previews are throwaway: drop those older than a day."""
    if root.is_dir():
        cutoff = time.time() - max_age
        for old in root.iterdir():
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)


# -- screenshot ----------------------------------------------------------------------------


@task_type(SCREENSHOT, priority=PRIORITY_RENDER, max_attempts=2, timeout=180)
def screenshot(ctx: TaskContext) -> dict[str, Any]:
    """Capture a company's website and ads page, storing the CaptureResult on the company."""
    settings = _settings(ctx)
    payload = ctx.payload
    video_id, company_id = payload.get("video_id"), payload.get("company_id")
    with _short(ctx) as session:
        company = session.get(Company, company_id) if company_id else None
        video = session.get(Video, video_id) if video_id else None
        if video_id and video is None:
            return {"skipped": "video deleted"}
        if video is not None:
            video.status, video.progress, video.error = "capturing", 0.02, None
        if company is None:
            return {"company": None}
        target = CaptureTarget(
            name=company.name or company.domain or "",
            domain=company.domain,
            website=company.website,
            ads_url=company.ads_url,
        )
        previous = previous_capture(company.screenshots)
    if _fresh(previous) and not payload.get("refresh"):  # shared by leads of one company
        return {"company": company_id, "reused": True}
    company_dir = settings.data_dir / "screenshots" / str(company_id)
    out_dir = company_dir / f"{int(time.time())}-{uuid.uuid4().hex[:6]}"
    options = ScreenshotSettings.model_validate({"ads_url_pattern": settings.ads_url_pattern})
    refresh, key = bool(payload.get("refresh")), str(company_dir)

    def capture(browser: Browser) -> CaptureResult:
        # On the browser thread, which serializes captures: a lead of a company captured a
        # moment ago by another task of this worker reuses that capture.
        recent = _RECENT.get(key)
        if recent is not None and not refresh and _fresh(recent):
            return recent
        result = capture_company(browser, target, out_dir, previous=previous, settings=options)
        for stale in [k for k, value in _RECENT.items() if not _fresh(value)]:
            del _RECENT[stale]
        _RECENT[key] = result
        return result

    try:
        result = BROWSER.call(
            capture,
            chromium_path=settings.chromium_path,
            allow=allow_list(settings),
            allow_paths=allow_paths(settings),
            timeout=max(5.0, ctx.remaining() - 5),
        )
    except BrowserUnavailable as exc:
        log.warning("no browser for screenshots: %s", exc)
        result = _offline_capture(target, out_dir, previous, f"browser unavailable: {exc}")
    except (TaskCancelled, PermanentError):
        raise
    except Exception as exc:  # the browser itself failed (crash, hang): retry, then fall back
        if ctx.attempt < ctx.task.max_attempts:
            raise
        log.warning("screenshot of %s failed on its last attempt: %s", target.name, exc)
        result = _offline_capture(target, out_dir, previous, f"capture failed: {exc}"[:300])
    ctx.check()
    _prune(company_dir, out_dir)
    ctx.session.execute(
        update(Company).where(Company.id == company_id).values(screenshots=result.to_json())
    )
    sources = {"website": result.website.source, "ads": result.ads.source if result.ads else None}
    return {"company": company_id, "sources": sources}


# -- render_video --------------------------------------------------------------------------


class _ProgressWriter:
    """Writes render progress to the task row (via ctx) and the Video row, throttled."""

    def __init__(self, ctx: TaskContext, video_id: int | None, start: float = 0.1) -> None:
        self.ctx, self.video_id, self.start, self.last = ctx, video_id, start, 0.0

    def __call__(self, fraction: float) -> None:
        overall = self.start + (1 - self.start) * min(1.0, max(0.0, fraction))
        self.ctx.set_progress(overall)
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            _set_video(self.ctx, self.video_id, progress=round(overall, 3))


# A render whose screenshot is done goes before the screenshots still waiting: a worker
# running 2 tasks then encodes one lead while the browser captures the next company,
# instead of both slots queueing on the one browser (bench/batch.py).
@task_type(RENDER, priority=PRIORITY_RENDER - 1, max_attempts=2, timeout=900)
def render_lead_video(ctx: TaskContext) -> dict[str, Any]:
    """Render one lead's video (or an editor preview) and record files and progress."""
    video_id = ctx.payload.get("video_id")
    try:
        return _render(ctx, video_id)
    except TaskCancelled:
        if ctx.stop_reason == "cancelled":
            _set_video(ctx, video_id, status="failed", error="cancelled")
        else:  # shutdown or rescued: another attempt will come
            _set_video(ctx, video_id, status="queued")
        raise
    except BaseException as exc:
        last = isinstance(exc, PermanentError) or ctx.attempt >= ctx.task.max_attempts
        message = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__
        if last:
            _set_video(ctx, video_id, status="failed", error=message)
        else:
            _set_video(
                ctx,
                video_id,
                status="queued",
                error=f"attempt {ctx.attempt} failed, retrying: {message}",
            )
        raise


def _render(ctx: TaskContext, video_id: int | None) -> dict[str, Any]:
    settings = _settings(ctx)
    payload = ctx.payload
    try:
        model = VideoTemplate.model_validate(payload.get("spec") or {})
    except pydantic.ValidationError as exc:
        raise PermanentError(f"invalid template: {exc.errors()[0]['msg']}") from None
    with _short(ctx) as session:
        video = session.get(Video, video_id) if video_id else None
        if video_id and video is None:
            return {"skipped": "video deleted"}
        lead = session.get(Lead, payload.get("lead_id"))
        if lead is None:
            raise PermanentError(f"lead {payload.get('lead_id')} no longer exists")
        variables = lead_variables(lead)
        company = lead.company
        capture = previous_capture(company.screenshots) if company else None
        assets, missing = library.resolve_assets(session, model.asset_ids())
        if video is not None:
            video.status, video.progress, video.error = "rendering", 0.1, None
    if missing:
        raise PermanentError(f"media missing for this template: {', '.join(missing)}")
    used = images_used(model)
    source = screenshot_source(capture, used)
    name = (company.name if company else "") or variables.get("company_name") or "this lead"
    if not payload.get("allow_fallback", True) and "website" in used and source == "card":
        why = capture.website.error if capture and capture.website.error else "no screenshot"
        raise PermanentError(
            f"the website of {name} could not be captured ({why}) and the template does not "
            "allow a fallback title card"
        )
    if video_id is None:
        _prune_previews(settings.data_dir / "previews")
    out_dir = (
        settings.data_dir / "previews" / str(ctx.id)
        if video_id is None
        else settings.data_dir / "videos" / str(lead.id) / str(video_id)
    )
    out = model.output
    card = title_card(
        name,
        company.domain if company else None,
        out_dir / "card.png",
        size=(max(64, out.width), max(64, out.height)),
    )

    def image(key: str) -> Path | None:
        item = getattr(capture, key, None) if capture else None
        return Path(item.path) if item is not None and Path(item.path).is_file() else None

    binary = find_ffmpeg(settings.ffmpeg_path) if settings.ffmpeg_path else None
    try:
        result = render_video(
            model,
            variables=variables,
            assets=assets,
            out_dir=out_dir,
            cache_dir=settings.data_dir / "cache" / "segments",
            website_full=image("website"),
            website_view=image("website_viewport"),
            ads=image("ads"),
            fallback_image=card,
            on_progress=_ProgressWriter(ctx, video_id),
            timeout=max(10.0, ctx.remaining() - 5),
            settings=EncodeSettings(
                preset=payload.get("preset") or settings.render_preset,
                threads=settings.render_threads,
            ),
            runner=SubprocessRunner(binary),
        )
    except RenderError as exc:
        raise PermanentError(str(exc)) from None
    files = {
        "file_path": str(result.video),
        "thumbnail_path": str(result.thumbnail),
        "preview_path": str(result.preview),
        "duration": round(result.duration, 3),
    }
    if video_id:
        ctx.session.execute(
            update(Video)
            .where(Video.id == video_id)
            .values(status="rendered", progress=1.0, error=None, screenshot_source=source, **files)
        )
        # The lead's earlier renders: unlinked now, their files deleted once this commits.
        old = video_files.supersede(ctx.session, settings.data_dir, lead.id, video_id)
        video_files.delete_after_commit(ctx.session, old)
        # The prospect's link: the lead's existing one moves to this video, else a new one.
        shares.assign_token(ctx.session, lead.id, video_id)
    return {
        **files,
        "screenshot_source": source,
        "video_id": video_id,
        "cached_segments": result.used_cached_segments,
    }


# -- render_fanout: a run's Video rows and chains, a committed batch at a time -----------------


@task_type(FANOUT, priority=FANOUT_PRIORITY, max_attempts=3, timeout=3600)
def fan_out(ctx: TaskContext) -> dict[str, Any]:
    """Create the Video rows and chains of one run (see :mod:`runs` for why a task)."""
    run_id = str(ctx.payload.get("run") or "")
    try:
        return _fan_out(ctx, run_id)
    except TaskCancelled:
        raise
    except BaseException as exc:
        if isinstance(exc, PermanentError) or ctx.attempt >= ctx.task.max_attempts:
            message = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else repr(exc)
            runs.mark_failed(ctx.engine, run_id, message)
        raise


def _fan_out(ctx: TaskContext, run_id: str) -> dict[str, Any]:
    while True:
        ctx.check()
        with runs.write_session(ctx.engine) as session:
            run = session.get(RenderRun, run_id, with_for_update=True)
            if run is None:
                return {"skipped": "run deleted"}
            if run.status != "preparing":
                return {"run": run_id, "status": run.status}
            user = session.get(User, run.created_by_id) if run.created_by_id else None
            if user is None or not can(user, "renders.start"):
                raise PermanentError("the user who started this run may no longer render videos")
            out = runs.advance(session, run, user)
            session.commit()
            counts = {"started": run.started, "held": run.held, "skipped": run.skipped}
            processed, total = run.processed, run.total
        if out is None:
            return {"run": run_id, "leads": processed, **counts}
        ctx.set_progress(min(0.99, processed / max(total, 1)))
