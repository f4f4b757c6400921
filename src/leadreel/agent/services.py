"""The seams between the assistant and the product's services: ONE small function each.

Why a seam module: the leads overview, exports, Drive uploads and share pages are being
rebuilt in parallel; tools call only these functions, so wiring a new service is a one-line
change here. Every function takes the user and runs with the user's own permissions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.errors import NotFound, PermissionDenied, ValidationError
from leadreel.models import (
    DriveAccount,
    ImportBatch,
    Lead,
    ProcessingTask,
    User,
    Video,
    VideoTemplate,
)
from leadreel.services.delivery import uploads
from leadreel.services.delivery.storage import UPLOAD_VIDEO
from leadreel.services.exports import start as export_start
from leadreel.services.exports import templates as export_templates
from leadreel.services.leads import selection as sel
from leadreel.services.leads.selection import Selection, latest_video_id
from leadreel.services.permissions import can, require, scope_batches
from leadreel.services.videos import pipeline, template_store
from leadreel.services.videos.names import RENDER, SCREENSHOT

#: Up to this many leads a render starts inline (Video rows at once); more go through a run.
INLINE_RENDER_LIMIT = 250


# ---- leads --------------------------------------------------------------------------------
def count_leads(session: Session, user: User, selection: Selection) -> int:
    """Leads of the selection the user may see (the Videos page's own count)."""
    return sel.count(session, user, selection)


def check_named(session: Session, user: User, selection: Selection) -> None:
    """Refuse named leads or a batch that are not the user's (a filter just narrows)."""
    sel.check_access(session, user, selection)


def find_leads(
    session: Session, user: User, selection: Selection, limit: int
) -> list[tuple[Lead, Video | None]]:
    """The first ``limit`` leads of the selection with their latest video."""
    query = sel.lead_query(user, selection, Lead, latest_video_id().label("video_id"))
    rows = session.execute(query.order_by(Lead.id).limit(limit)).all()
    out = []
    for lead, video_id in rows:
        out.append((lead, session.get(Video, video_id) if video_id else None))
    return out


def video_status_counts(session: Session, user: User, selection: Selection) -> dict[str, int]:
    """How many of the selection's leads have their latest video in each status."""
    sub = sel.lead_query(user, selection, Lead.id, latest_video_id().label("vid")).subquery()
    rows = session.execute(
        select(func.coalesce(Video.status, sel.NO_VIDEO), func.count())
        .select_from(sub)
        .outerjoin(Video, Video.id == sub.c.vid)
        .group_by(func.coalesce(Video.status, sel.NO_VIDEO))
    ).all()
    return {status: n for status, n in rows}


def latest_videos(session: Session, user: User, selection: Selection) -> Iterator[Video]:
    """The selection's latest videos (leads without one are left out)."""
    sub = sel.lead_query(user, selection, latest_video_id().label("vid")).subquery()
    yield from session.scalars(
        select(Video).where(Video.id.in_(select(sub.c.vid))).order_by(Video.id)
    )


def assign_leads(session: Session, user: User, selection: Selection, owner: User) -> int:
    """Give the selection's leads to ``owner``: managers and admins only, as on a lead's page."""
    require(user, "leads.assign")
    ids = list(session.scalars(sel.lead_query(user, selection, Lead.id)))
    for start in range(0, len(ids), 1000):
        for lead in session.scalars(select(Lead).where(Lead.id.in_(ids[start : start + 1000]))):
            lead.owner_id = owner.id
    session.flush()
    return len(ids)


def assignable_users(session: Session, user: User) -> list[User]:
    if not can(user, "leads.assign"):
        return []
    return list(session.scalars(select(User).where(User.active).order_by(User.name, User.email)))


# ---- batches ------------------------------------------------------------------------------
def visible_batches(session: Session, user: User, limit: int = 200) -> list[ImportBatch]:
    query = scope_batches(select(ImportBatch), user).order_by(ImportBatch.id.desc())
    return list(session.scalars(query.limit(limit)))


def get_batch(session: Session, user: User, batch_id: int) -> ImportBatch:
    batch = session.get(ImportBatch, batch_id)
    if batch is None or not can(user, "leads.edit", batch):
        raise NotFound(f"batch {batch_id} not found")
    return batch


def failed_tasks(
    session: Session, user: User, selection: Selection, limit: int = 200
) -> list[ProcessingTask]:
    """Failed screenshot, render and upload tasks of the selection's leads."""
    ids = select(sel.lead_query(user, selection, Lead.id).subquery().c.id)
    return list(
        session.scalars(
            select(ProcessingTask)
            .where(
                ProcessingTask.lead_id.in_(ids),
                ProcessingTask.status == "failed",
                ProcessingTask.type.in_((SCREENSHOT, RENDER, UPLOAD_VIDEO)),
            )
            .order_by(ProcessingTask.id.desc())
            .limit(limit)
        )
    )


def task_counts(session: Session, user: User, selection: Selection) -> dict[str, dict[str, int]]:
    """The selection's leads' tasks by type and status (screenshots, renders, uploads)."""
    ids = select(sel.lead_query(user, selection, Lead.id).subquery().c.id)
    rows = session.execute(
        select(ProcessingTask.type, ProcessingTask.status, func.count())
        .where(ProcessingTask.lead_id.in_(ids))
        .group_by(ProcessingTask.type, ProcessingTask.status)
    ).all()
    out: dict[str, dict[str, int]] = {}
    for kind, status, n in rows:
        out.setdefault(kind, {})[status] = n
    return out


# ---- renders ------------------------------------------------------------------------------
def video_templates(session: Session) -> list[VideoTemplate]:
    return template_store.list_templates(session)


def start_renders(
    session: Session, user: User, selection: Selection, template_id: int | None, samples: int
) -> dict[str, Any]:
    """Start renders as the Videos page does: inline for a few leads, else through a run."""
    total = sel.count(session, user, selection, limit=INLINE_RENDER_LIMIT + 1)
    if total <= INLINE_RENDER_LIMIT:
        result = pipeline.start_renders(session, user, selection, template_id, samples=samples)
        return {
            "run": result.run_id,
            "started": len(result.started),
            "held_for_samples": len(result.held),
            "skipped_already_rendering": len(result.skipped),
            "video_ids": result.started[:50],
        }
    run = pipeline.queue_renders(session, user, selection, template_id, samples=samples)
    return {"run": run.id, "queued": run.total, "status": run.status}


def rerender_videos(session: Session, user: User, video_ids: list[int]) -> dict[str, Any]:
    """Render each video's lead again with its template (what the video page's button does)."""
    started, skipped = 0, 0
    for video_id in video_ids:
        run = pipeline.queue_rerender(session, user, video_id)
        if run is None:
            skipped += 1
        else:
            started += 1
    return {"rerendering": started, "skipped_already_rendering": skipped}


# ---- uploads ------------------------------------------------------------------------------
def start_uploads(session: Session, user: User, selection: Selection) -> dict[str, Any]:
    """Queue Drive uploads of the selection's rendered videos (the Videos page's service).

    Each lead's batch decides where its videos go; when the assistant is asked to upload
    leads whose batch keeps videos local and exactly one account is connected, they go to
    that account (asking to upload is choosing Drive).
    """
    connected = list(
        session.scalars(select(DriveAccount.id).where(DriveAccount.status == "connected"))
    )
    if not connected:
        raise ValidationError(
            "no Drive account connected: an admin connects one on the Storage page first"
        )
    out = uploads.start_uploads(session, user, selection)
    if out.local_only and len(connected) == 1:
        rest = Selection(lead_ids=out.local_only)
        again = uploads.start_uploads(session, user, rest, account_id=connected[0])
        out.queued += again.queued
        out.local_only = again.local_only
    return {
        "queued": len(out.queued),
        "kept_local": len(out.local_only),
        "not_rendered_yet": len(out.not_rendered),
    }


# ---- exports ------------------------------------------------------------------------------
def export_template_names(session: Session) -> list[str]:
    return [template.name for template in export_templates.list_templates(session)]


def export_selection(
    session: Session,
    settings: Settings,
    user: User,
    selection: Selection,
    template_name: str,
    fmt: str,
    base_url: str,
) -> dict[str, Any]:
    """Export the selection through the Exports service (recorded, listed on the Exports page).

    Small exports are written at once; big ones run as a background task and the reply says
    so. Either way the download is the Exports page's own route for that record.
    """
    export = export_start.export_selection(
        session, settings, user, template_name, selection, format=fmt, base_url=base_url
    )
    return {
        "export_id": export.id,
        "status": export.status,
        "rows": export.row_count if export.status == "done" else export.total,
        "template": export.template_name,
        "format": export.format,
        "download_url": f"{base_url}/exports/{export.id}/download",
    }


# ---- views --------------------------------------------------------------------------------
def watched_since(
    session: Session, user: User, selection: Selection, since: datetime, limit: int
) -> tuple[int, list[tuple[Lead, Video]]]:
    """Leads whose video was viewed since ``since`` (SEAM: share pages fill the counters)."""
    ids = select(sel.lead_query(user, selection, Lead.id).subquery().c.id)
    base = select(Lead, Video).join(Video, Video.lead_id == Lead.id).where(
        Lead.id.in_(ids), Video.last_viewed_at.is_not(None), Video.last_viewed_at >= since
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(Video.last_viewed_at.desc()).limit(limit)).all()
    return total, [(lead, video) for lead, video in rows]


def refuse_unless(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)
