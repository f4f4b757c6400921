"""Which leads a render (or the Videos page) is about: a Selection and the one query for it.

Why one module: "select all matching" on the Videos page must render exactly the leads the
page lists, and the fan-out task must re-run the request's selection with the user's scope
as it is when the task runs, not as it was at the click. Both build their query here.

A lead's latest video is its Video with the highest id: one lookup in ``ix_videos_lead_id``
(SQLite's index entries carry the row id, PostgreSQL reads one or two heap rows). Filters on
that video's status are EXISTS / NOT EXISTS on the same index, so both planners walk the
leads in id order and stop after a page (a 51-row page of 100,000 leads: about 1-3 ms on
either database; counting a status over all of them 40-120 ms). No denormalised "latest"
column to keep right when samples are rejected and their Video rows deleted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from leadreel.errors import PermissionDenied, ValidationError
from leadreel.models import Company, ImportBatch, Lead, User, Video
from leadreel.models.video import VIDEO_STATUSES
from leadreel.services.permissions import can, require, scope_leads

NO_VIDEO = "none"
VIDEO_FILTERS = (NO_VIDEO, *VIDEO_STATUSES)
MAX_NAMED = 100_000  # explicit lead ids one selection may name
_CHUNK = 5_000  # ids per IN list (SQLite binds at most 32,766 parameters)


@dataclass
class Selection:
    """Leads by id, or by filters: import batch, search, the lead's own status (leads page)
    and its latest video's status (``none`` = no video yet). ``everything`` says "all the
    leads I may see" out loud, so an empty form is never taken for it."""

    lead_ids: list[int] = field(default_factory=list)
    batch_id: int | None = None
    q: str = ""
    status: str = ""
    video_status: str = ""
    everything: bool = False
    #: Leads created after this id are not part of it (a run fixes it at the click).
    max_lead_id: int | None = None

    def __post_init__(self) -> None:
        self.q = self.q.strip()
        if self.video_status and self.video_status not in VIDEO_FILTERS:
            known = ", ".join(VIDEO_FILTERS)
            raise ValidationError(f"unknown video status {self.video_status!r} (use {known})")

    def is_empty(self) -> bool:
        return not (
            self.lead_ids
            or self.batch_id
            or self.q
            or self.status
            or self.video_status
            or self.everything
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selection:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def latest_video_id() -> Any:
    """Correlated scalar subquery: the id of the current lead's latest video (or NULL)."""
    other = aliased(Video)
    return (
        select(func.max(other.id)).where(other.lead_id == Lead.id).correlate(Lead).scalar_subquery()
    )


def video_status_is(status: str) -> ColumnElement[bool]:
    """The lead's latest video has ``status`` (``none``: the lead has no video)."""
    video = aliased(Video)
    if status == NO_VIDEO:
        return ~exists(select(1).where(video.lead_id == Lead.id))
    newer = aliased(Video)
    return exists(
        select(1).where(
            video.lead_id == Lead.id,
            video.status == status,
            ~exists(select(1).where(newer.lead_id == video.lead_id, newer.id > video.id)),
        )
    )


def _search(q: str) -> ColumnElement[bool]:
    like = f"%{q.lower()}%"
    return or_(
        func.lower(Lead.first_name).like(like),
        func.lower(Lead.last_name).like(like),
        func.lower(Lead.full_name).like(like),
        func.lower(Lead.email).like(like),
        func.lower(Company.name).like(like),
        func.lower(Company.domain).like(like),
    )


def lead_query(user: User, selection: Selection, *columns: Any) -> Select[Any]:
    """``select(*columns)`` of the selected leads ``user`` may see (Company outer-joined).

    Every part of the selection narrows it: named ids AND batch AND search AND statuses.
    """
    query = select(*(columns or (Lead.id,))).select_from(Lead)
    query = query.outerjoin(Company, Company.id == Lead.company_id)
    query = scope_leads(query, user)
    if selection.lead_ids:
        query = query.where(Lead.id.in_(sorted(set(selection.lead_ids))))
    if selection.max_lead_id is not None:
        query = query.where(Lead.id <= selection.max_lead_id)
    if selection.batch_id:
        query = query.where(Lead.batch_id == selection.batch_id)
    if selection.q:
        query = query.where(_search(selection.q))
    if selection.status:
        query = query.where(Lead.status == selection.status)
    if selection.video_status:
        query = query.where(video_status_is(selection.video_status))
    return query


def check_access(session: Session, user: User, selection: Selection) -> None:
    """Refuse (PermissionDenied) a selection naming a lead or batch that is not the user's;
    a filter is not refused, it simply sees only the user's leads."""
    require(user, "renders.start")
    if selection.is_empty():
        raise ValidationError("select leads, a batch or a filter to render")
    ids = sorted(set(selection.lead_ids))
    if len(ids) > MAX_NAMED:
        raise ValidationError(f"more than {MAX_NAMED:,} leads named; use a filter instead")
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found = session.scalar(
            scope_leads(select(func.count(Lead.id)).where(Lead.id.in_(chunk)), user)
        )
        if found != len(chunk):
            raise PermissionDenied("some of the selected leads are not yours to render")
    if selection.batch_id:
        batch = session.get(ImportBatch, selection.batch_id)
        if batch is None or not can(user, "renders.start", batch):
            raise PermissionDenied("this batch is not yours to render")


def count(session: Session, user: User, selection: Selection, *, limit: int | None = None) -> int:
    """How many leads the selection matches for ``user`` (stops counting past ``limit``)."""
    if selection.lead_ids and len(selection.lead_ids) > _CHUNK:
        ids = sorted(set(selection.lead_ids))
        total = 0
        for start in range(0, len(ids), _CHUNK):
            part = Selection(**{**selection.to_json(), "lead_ids": ids[start : start + _CHUNK]})
            total += count(session, user, part)
        return total
    query = lead_query(user, selection, Lead.id)
    if limit is not None:
        query = query.limit(limit)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0
