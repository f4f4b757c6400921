"""Start renders and follow them: the service the Videos views and scripts call.

Starting goes through a render run (:mod:`~leadreel.services.videos.runs`): the web request
records the run and one fan-out task creates the per-lead chains in the worker
(``queue_renders``); ``start_renders`` prepares a run inline and returns the video ids, for
scripts and tests. Either way each lead gets a Video row and one ``screenshot ->
render_video`` chain (:mod:`~leadreel.services.videos.chains`), created in batches that
commit with the run's cursor.

Also here: a video's access check, a lead's latest video and its text variables, the
editor's preview renders, and ``reconcile`` for videos whose chain stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadreel.errors import NotFound, ValidationError
from leadreel.models import Lead, ProcessingTask, RenderRun, User, Video
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.services.leads.selection import Selection
from leadreel.services.permissions import can, require
from leadreel.services.videos import runs, template_store
from leadreel.services.videos.chains import active_leads
from leadreel.services.videos.names import (
    ACTIVE_STATUSES,
    PREVIEW_PRIORITY,
    RENDER,
    SCREENSHOT,
)
from leadreel.services.videos.runs import StartResult
from leadreel.tasks.queue import enqueue

__all__ = ["Selection", "StartResult"]

PREVIEW_OUTPUT = {"width": 480, "height": 270, "fps": 15}


def queue_renders(
    session: Session,
    user: User,
    selection: Selection,
    template_id: int | None = None,
    *,
    samples: int = 0,
    refresh_screenshots: bool = False,
) -> RenderRun:
    """Record a run and enqueue its fan-out task (the request returns at once); the caller
    commits. The checks that can fail the click (role, named leads, count, template) run now."""
    return runs.create_run(
        session, user, selection, template_id, samples=samples, refresh=refresh_screenshots
    )


def start_renders(
    session: Session,
    user: User,
    selection: Selection,
    template_id: int | None = None,
    *,
    samples: int = 0,
    refresh_screenshots: bool = False,
) -> StartResult:
    """Create Video rows and enqueue their chains now, in the caller's transaction; the
    caller commits. Same checks and batches as the fan-out task, without the task."""
    return runs.prepare_now(
        session, user, selection, template_id, samples=samples, refresh=refresh_screenshots
    )


def _rerender_template(session: Session, video: Video) -> int | None:
    """The video's template (its current version), or None (the default) if it was deleted."""
    template_id = video.template_id
    if template_id is not None and session.get(TemplateRow, template_id) is None:
        return None
    return template_id


def rerender(session: Session, user: User, video_id: int) -> StartResult:
    """Render a video's lead again with the current version of its template (or the default)."""
    video = get_video(session, user, video_id)
    return start_renders(
        session,
        user,
        Selection(lead_ids=[video.lead_id]),
        _rerender_template(session, video),
        refresh_screenshots=True,
    )


def queue_rerender(session: Session, user: User, video_id: int) -> RenderRun | None:
    """``rerender`` through a run and its fan-out task; None when the lead is rendering already."""
    video = get_video(session, user, video_id)
    if active_leads(session, [video.lead_id]):
        return None
    return queue_renders(
        session,
        user,
        Selection(lead_ids=[video.lead_id]),
        _rerender_template(session, video),
        refresh_screenshots=True,
    )


def get_video(session: Session, user: User, video_id: int) -> Video:
    """A video whose lead the user may see; NotFound otherwise (ids do not leak)."""
    video = session.get(Video, video_id)
    lead = session.get(Lead, video.lead_id) if video else None
    if video is None or lead is None or not can(user, "renders.start", lead):
        raise NotFound(f"video {video_id} not found")
    return video


def latest_video(session: Session, lead_id: int) -> Video | None:
    """The lead's most recent video (for the lead's page: status and screenshot source)."""
    return session.scalars(
        select(Video).where(Video.lead_id == lead_id).order_by(Video.id.desc()).limit(1)
    ).first()


def start_preview(session: Session, user: User, spec: str | dict[str, Any], lead_id: int) -> int:
    """Queue a low-res render of an (unsaved) spec for one lead; returns the task id.

    No Video row: the result lives on the task (``result``), so previews never show up
    as a lead's video. One pending preview per user: a newer click replaces its spec.
    """
    require(user, "templates.manage")
    lead = session.get(Lead, lead_id)
    if lead is None or not can(user, "renders.start", lead):
        raise NotFound(f"lead {lead_id} not found")
    model = template_store.parse_spec(spec, session=session)
    low = model.model_copy(update={"output": model.output.model_copy(update=PREVIEW_OUTPUT)})
    payload = {
        "preview": True,
        "lead_id": lead.id,
        "spec": low.model_dump(mode="json"),
        "allow_fallback": True,
        "preset": "ultrafast",
    }
    task = enqueue(
        session,
        RENDER,
        payload,
        dedupe_key=f"preview:user:{user.id}",
        priority=PREVIEW_PRIORITY,
        lead_id=lead.id,
        company_id=lead.company_id,
        created_by_id=user.id,
    )
    if task is None:
        raise ValidationError("a preview is being rendered; try again in a moment")
    if task.status == "pending":
        task.payload = payload
    session.flush()
    return task.id


def get_preview(session: Session, user: User, task_id: int) -> ProcessingTask:
    task = session.get(ProcessingTask, task_id)
    if (
        task is None
        or task.type != RENDER
        or not (task.payload or {}).get("preview")
        or (task.created_by_id != user.id and not can(user, "leads.view_all"))
    ):
        raise NotFound(f"preview {task_id} not found")
    return task


def reconcile(session: Session, videos: Sequence[Video]) -> int:
    """Fail videos left active after their chain stopped (worker died, task cancelled).

    The chain's next task is created atomically with the previous one's success, so an
    active Video whose lead has no pending or running task can no longer progress.
    """
    active = [v for v in videos if v.status in ACTIVE_STATUSES]
    if not active:
        return 0
    lead_ids = {v.lead_id for v in active}
    alive = set(
        session.scalars(
            select(ProcessingTask.lead_id).where(
                ProcessingTask.lead_id.in_(lead_ids),
                ProcessingTask.type.in_((SCREENSHOT, RENDER)),
                ProcessingTask.status.in_(("pending", "running")),
            )
        )
    )
    stuck = [v.id for v in active if v.lead_id not in alive]
    if stuck:
        session.execute(
            update(Video)
            .where(Video.id.in_(stuck), Video.status.in_(ACTIVE_STATUSES))
            .values(status="failed", error="stopped: its task failed or was cancelled")
        )
        session.expire_all()
    return len(stuck)
