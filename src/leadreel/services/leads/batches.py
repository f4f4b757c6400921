"""The batches page: each import batch with its counts and the progress of its videos.

Why counted per page of batches, not stored: a batch's progress is its leads' latest
videos, which the render pipeline already keeps; one grouped query over the listed
batches' leads (``ix_leads_batch_id``, ``ix_videos_lead_id``) reads them. Changes go
through the services that own them: priority through the task queue, re-render through
``services.videos.pipeline``, deleting a batch's leads through a bulk task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from leadreel.errors import NotFound, ValidationError
from leadreel.models import ImportBatch, Lead, RenderRun, User, Video
from leadreel.services.leads import bulk
from leadreel.services.leads.selection import Selection
from leadreel.services.permissions import can, require, scope_batches
from leadreel.services.videos import pipeline
from leadreel.tasks.status import set_batch_priority

SHOT_DONE = ("rendering", "rendered", "uploading", "ready")
RENDER_DONE = ("rendered", "uploading", "ready")


@dataclass
class BatchRow:
    batch: ImportBatch
    owner: User | None
    leads: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def _share(self, statuses: tuple[str, ...]) -> float:
        n = sum(self.by_status.get(s, 0) for s in statuses)
        return n / self.leads if self.leads else 0.0

    @property
    def screenshots(self) -> float:
        return self._share(SHOT_DONE)

    @property
    def renders(self) -> float:
        return self._share(RENDER_DONE)

    @property
    def uploads(self) -> float:
        return self._share(("ready",))

    @property
    def failed(self) -> int:
        return self.by_status.get("failed", 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.batch.id,
            "leads": self.leads,
            "screenshots": round(self.screenshots, 4),
            "renders": round(self.renders, 4),
            "uploads": round(self.uploads, 4),
            "failed": self.failed,
        }


def list_batches(session: Session, user: User, limit: int = 100) -> list[BatchRow]:
    """The user's batches, newest first, with lead counts and video progress."""
    batches = list(
        session.scalars(
            scope_batches(select(ImportBatch), user).order_by(ImportBatch.id.desc()).limit(limit)
        )
    )
    ids = [b.id for b in batches]
    owners = {
        u.id: u
        for u in session.scalars(select(User).where(User.id.in_({b.owner_id for b in batches})))
    }
    rows = {b.id: BatchRow(b, owners.get(b.owner_id or 0)) for b in batches}
    if not ids:
        return []
    for batch_id, n in session.execute(
        select(Lead.batch_id, func.count()).where(Lead.batch_id.in_(ids)).group_by(Lead.batch_id)
    ):
        rows[batch_id].leads = n
    newer = aliased(Video)
    latest = ~exists(select(1).where(newer.lead_id == Video.lead_id, newer.id > Video.id))
    for batch_id, status, n in session.execute(
        select(Lead.batch_id, Video.status, func.count())
        .join(Video, Video.lead_id == Lead.id)
        .where(Lead.batch_id.in_(ids), latest)
        .group_by(Lead.batch_id, Video.status)
    ):
        rows[batch_id].by_status[status] = n
    return [rows[i] for i in ids]


def get_batch(
    session: Session, user: User, batch_id: int, action: str = "leads.edit"
) -> ImportBatch:
    batch = session.get(ImportBatch, batch_id)
    if batch is None or not can(user, action, batch):
        raise NotFound(f"batch {batch_id} not found")
    return batch


def rename(session: Session, user: User, batch_id: int, name: str) -> ImportBatch:
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("a batch name is 1 to 200 characters")
    batch = get_batch(session, user, batch_id)
    batch.name = name
    return batch


def set_priority(session: Session, user: User, batch_id: int, priority: int) -> int:
    """Set the batch's priority and re-prioritise its pending tasks (lower runs first)."""
    if not -100 <= priority <= 100:
        raise ValidationError("priority is between -100 and 100")
    batch = get_batch(session, user, batch_id)
    batch.priority = priority
    return set_batch_priority(session, batch.id, priority)


def rerender_failed(
    session: Session, user: User, batch_id: int, template_id: int | None = None
) -> RenderRun:
    """Render again the batch's leads whose latest video failed (fresh screenshots)."""
    get_batch(session, user, batch_id, "renders.start")
    selection = Selection(batch_id=batch_id, video_status="failed")
    return pipeline.queue_renders(session, user, selection, template_id, refresh_screenshots=True)


def delete_batch(session: Session, user: User, batch_id: int) -> bulk.Started | None:
    """Delete the batch with its leads: a bulk delete task (with its undo window) that
    removes the batch row after its last lead. None: the batch had no leads (deleted now)."""
    batch = get_batch(session, user, batch_id, "leads.delete")
    require(user, "leads.delete", batch)
    has_leads = session.scalar(
        select(func.count()).select_from(
            select(Lead.id).where(Lead.batch_id == batch.id).limit(1).subquery()
        )
    )
    if not has_leads:
        session.delete(batch)
        return None
    return bulk.start(
        session, user, Selection(batch_id=batch.id), "delete", {"delete_batch": batch.id}
    )
