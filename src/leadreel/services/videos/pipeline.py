"""Start renders: Video rows plus their task chain, in the caller's one transaction.

Why here: a render is two tasks (``screenshot`` of the company, then ``render_video`` of
the lead, chained so the second is created when the first succeeds) and a Video row that
the UI follows. They are created together in the request's session and committed by the
caller, so a committed Video always has its tasks and a failed request leaves neither.

Double-clicks: a lead whose video is queued, capturing or rendering is skipped, and both
tasks carry ``dedupe_key=lead:<id>`` so even two concurrent requests enqueue one chain
(the loser's Video row is dropped again).

Samples first: the first N leads render at once (``is_sample``, a higher priority); the
rest get their chain too, but held: the first task's ``run_after`` is far in the future and
its payload says ``held``. Approving sets ``run_after`` to now; rejecting cancels the held
tasks and deletes their never-rendered Video rows. The run id in the payload groups them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from leadreel.errors import NotFound, PermissionDenied, ValidationError
from leadreel.models import Company, ImportBatch, Lead, ProcessingTask, User, Video
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.services.permissions import can, require, scope_leads
from leadreel.services.videos import tasks as video_tasks  # registers the task types
from leadreel.services.videos import template_store
from leadreel.services.videos.samples import (
    ACTIVE_STATUSES,
    HOLD_UNTIL,
)
from leadreel.tasks.queue import chain, enqueue
from leadreel.tasks.registry import PRIORITY_RENDER

SAMPLE_PRIORITY = PRIORITY_RENDER - 5
PREVIEW_PRIORITY = PRIORITY_RENDER - 10
MAX_LEADS_PER_START = 10_000
PREVIEW_OUTPUT = {"width": 480, "height": 270, "fps": 15}


@dataclass
class Selection:
    """Which leads to render: explicit ids, an import batch, or the leads page's filter."""

    lead_ids: list[int] = field(default_factory=list)
    batch_id: int | None = None
    q: str = ""
    status: str = ""

    def is_empty(self) -> bool:
        return not (self.lead_ids or self.batch_id or self.q or self.status)


@dataclass
class StartResult:
    run_id: str
    started: list[int] = field(default_factory=list)  # video ids rendering now
    held: list[int] = field(default_factory=list)  # video ids waiting for sample approval
    skipped: list[int] = field(default_factory=list)  # lead ids already being rendered

    @property
    def samples(self) -> list[int]:
        return self.started if self.held else []


def select_leads(session: Session, user: User, selection: Selection) -> list[Lead]:
    """The selected leads the user may render; naming a lead or batch of someone else's is
    refused (PermissionDenied), a filter simply sees only the user's leads."""
    require(user, "renders.start")
    if selection.is_empty():
        raise ValidationError("select leads, a batch or a filter to render")
    query = select(Lead).outerjoin(Company, Lead.company_id == Company.id)
    if selection.lead_ids:
        ids = sorted(set(selection.lead_ids))
        leads = list(session.scalars(query.where(Lead.id.in_(ids)).order_by(Lead.id)))
        if len(leads) != len(ids) or not all(can(user, "renders.start", lead) for lead in leads):
            raise PermissionDenied("some of the selected leads are not yours to render")
        return leads
    if selection.batch_id:
        batch = session.get(ImportBatch, selection.batch_id)
        if batch is None or not can(user, "renders.start", batch):
            raise PermissionDenied("this batch is not yours to render")
        query = query.where(Lead.batch_id == selection.batch_id)
    if selection.q.strip():
        like = f"%{selection.q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Lead.first_name).like(like),
                func.lower(Lead.last_name).like(like),
                func.lower(Lead.email).like(like),
                func.lower(Company.name).like(like),
                func.lower(Company.domain).like(like),
            )
        )
    if selection.status:
        query = query.where(Lead.status == selection.status)
    query = scope_leads(query, user).order_by(Lead.id).limit(MAX_LEADS_PER_START + 1)
    leads = list(session.scalars(query).unique())
    if len(leads) > MAX_LEADS_PER_START:
        raise ValidationError(
            f"more than {MAX_LEADS_PER_START:,} leads selected; narrow the selection"
        )
    return leads


def start_renders(
    session: Session,
    user: User,
    selection: Selection,
    template_id: int | None = None,
    *,
    samples: int = 0,
    refresh_screenshots: bool = False,
) -> StartResult:
    """Create Video rows and enqueue their chains; the caller commits."""
    leads = select_leads(session, user, selection)
    row = _template_row(session, template_id)
    model = template_store.to_model(row)
    result = StartResult(run_id=uuid.uuid4().hex[:16])
    busy = _leads_with_active_video(session, [lead.id for lead in leads])
    todo = [lead for lead in leads if lead.id not in busy]
    result.skipped = [lead.id for lead in leads if lead.id in busy]
    hold = 0 < samples < len(todo)
    # All Video rows in one flush (one multi-row INSERT), then one chain per lead.
    videos = [
        Video(
            lead_id=lead.id,
            template_id=row.id,
            template_version=row.version,
            status="queued",
            progress=0.0,
            is_sample=hold and i < samples,
        )
        for i, lead in enumerate(todo)
    ]
    session.add_all(videos)
    session.flush()
    render_spec = model.model_dump(mode="json")
    sample_ids = [v.id for v in videos if v.is_sample]
    for lead, video in zip(todo, videos, strict=True):
        held = hold and not video.is_sample
        if not _enqueue_chain(
            session,
            user,
            lead,
            video,
            render_spec,
            row.allow_fallback,
            run_id=result.run_id,
            held=held,
            sample_ids=sample_ids,
            refresh=refresh_screenshots,
        ):
            result.skipped.append(lead.id)
        elif held:
            result.held.append(video.id)
        else:
            result.started.append(video.id)
    return result


def rerender(session: Session, user: User, video_id: int) -> StartResult:
    """Render a video's lead again with the current version of its template (or the default)."""
    video = get_video(session, user, video_id)
    template_id = video.template_id
    if template_id is not None and session.get(TemplateRow, template_id) is None:
        template_id = None
    return start_renders(
        session, user, Selection(lead_ids=[video.lead_id]), template_id, refresh_screenshots=True
    )


def _template_row(session: Session, template_id: int | None) -> TemplateRow:
    row = (
        template_store.get_template(session, template_id)
        if template_id
        else template_store.get_default(session)
    )
    if row is None:
        raise ValidationError("no video template exists yet; create one first")
    return row


def _leads_with_active_video(session: Session, lead_ids: Sequence[int]) -> set[int]:
    busy: set[int] = set()
    for start in range(0, len(lead_ids), 500):
        chunk = list(lead_ids[start : start + 500])
        busy.update(
            session.scalars(
                select(Video.lead_id).where(
                    Video.lead_id.in_(chunk), Video.status.in_(ACTIVE_STATUSES)
                )
            )
        )
    return busy


def _enqueue_chain(
    session: Session,
    user: User,
    lead: Lead,
    video: Video,
    spec: dict[str, Any],
    allow_fallback: bool,
    *,
    run_id: str,
    held: bool,
    sample_ids: list[int],
    refresh: bool,
) -> bool:
    """Enqueue screenshot -> render_video for one lead; False (and the Video dropped) when a
    concurrent request queued this lead first."""
    render_payload = {
        "video_id": video.id,
        "lead_id": lead.id,
        "spec": spec,
        "allow_fallback": allow_fallback,
    }
    payload: dict[str, Any] = {
        "video_id": video.id,
        "lead_id": lead.id,
        "company_id": lead.company_id,
        "run": run_id,
        "refresh": refresh,
    }
    if held:
        payload |= {"held": True, "samples": sample_ids}
    task = enqueue(
        session,
        video_tasks.SCREENSHOT,
        payload,
        dedupe_key=f"lead:{lead.id}",
        priority=SAMPLE_PRIORITY if video.is_sample else None,
        run_after=HOLD_UNTIL if held else None,
        lead_id=lead.id,
        company_id=lead.company_id,
        batch_id=lead.batch_id,
        created_by_id=user.id,
        next_task=chain(
            {"type": video_tasks.RENDER, "payload": render_payload, "dedupe_key": f"lead:{lead.id}"}
        ),
    )
    if task is None or (task.payload or {}).get("video_id") != video.id:
        session.delete(video)
        session.flush()
        return False
    return True


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


def lead_variables(lead: Lead) -> dict[str, str]:
    """Text-overlay variables of a lead: its fields, its company's, then extra columns."""
    company = lead.company
    values: dict[str, Any] = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "full_name": lead.full_name or " ".join(p for p in (lead.first_name, lead.last_name) if p),
        "email": lead.email,
        "phone": lead.phone or lead.mobile_phone,
        "job_title": lead.job_title,
        "city": lead.city,
        "state": lead.state,
        "country": lead.country,
        "company_name": company.name if company else None,
        "company": company.name if company else None,
        "domain": company.domain if company else None,
        "website": company.website if company else None,
        "industry": company.industry if company else None,
        "company_city": company.city if company else None,
    }
    for key, value in (lead.extra or {}).items():
        name = "".join(c if c.isalnum() else "_" for c in str(key).strip().lower())
        if name and name.isidentifier() and name not in values and value not in (None, ""):
            values[name] = value
    return {k: "" if v is None else str(v) for k, v in values.items()}


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
        video_tasks.RENDER,
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
        or task.type != video_tasks.RENDER
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
                ProcessingTask.type.in_((video_tasks.SCREENSHOT, video_tasks.RENDER)),
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
