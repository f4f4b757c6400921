"""Which leads a page, a bulk action or a render is about: a Selection and the one query for it.

Why one module: "select all matching" on the Leads and Videos pages must act on exactly
the leads the page lists, and the task behind a bulk action (render fan-out, assign,
delete, export) must re-run the request's selection with the user's scope as it is when
the task runs, not as it was at the click. All of them build their query here, and the
assistant's tools should too (see :mod:`leadreel.services.leads`).

A lead's latest video is its Video with the highest id: one lookup in ``ix_videos_lead_id``
(SQLite's index entries carry the row id, PostgreSQL reads one or two heap rows). Filters on
that video's status are EXISTS / NOT EXISTS on the same index, so both planners walk the
leads in id order and stop after a page (a 51-row page of 100,000 leads: about 1-3 ms on
either database; counting a status over all of them 40-120 ms). No denormalised "latest"
column to keep right when samples are rejected and their Video rows deleted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import Boolean

from leadreel.errors import PermissionDenied, ValidationError
from leadreel.models import Company, ImportBatch, Lead, User, Video
from leadreel.models.video import VIDEO_STATUSES
from leadreel.services.leads.custom_fields import check_key, extra_text
from leadreel.services.leads.search import search
from leadreel.services.permissions import can, require, scope_leads

NO_VIDEO = "none"
VIDEO_FILTERS = (NO_VIDEO, *VIDEO_STATUSES)
MAX_NAMED = 100_000  # explicit lead ids one selection may name
_CHUNK = 5_000  # ids per IN list (SQLite binds at most 32,766 parameters)


@dataclass
class Selection:
    """Leads by id, or by filters. Every field narrows (AND); empty fields do not filter.

    - ``q``: case-insensitive substring of the name, email, company name or domain;
    - ``batch_id``, ``owner_id`` (0: leads without an owner), ``status`` (the lead's own),
      ``tag``;
    - ``video_status``: the latest video's status (``none`` = no video yet);
    - ``has_email`` / ``has_phone`` / ``has_website``: True (has one) or False (has none);
    - ``imported_from`` / ``imported_to``: ISO dates, both inclusive;
    - ``custom``: ``{extra key: value}``, exact match of a custom field's value.

    ``everything`` says "all the leads I may see" out loud, so an empty form is never
    taken for it. JSON-safe (:meth:`to_json`), because tasks store it.
    """

    lead_ids: list[int] = field(default_factory=list)
    batch_id: int | None = None
    q: str = ""
    status: str = ""
    video_status: str = ""
    everything: bool = False
    #: Leads created after this id are not part of it (a run fixes it at the click).
    max_lead_id: int | None = None
    owner_id: int | None = None
    tag: str = ""
    has_email: bool | None = None
    has_phone: bool | None = None
    has_website: bool | None = None
    imported_from: str = ""
    imported_to: str = ""
    custom: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.q = self.q.strip()
        self.tag = self.tag.strip()
        if self.video_status and self.video_status not in VIDEO_FILTERS:
            known = ", ".join(VIDEO_FILTERS)
            raise ValidationError(f"unknown video status {self.video_status!r} (use {known})")
        for name in ("imported_from", "imported_to"):
            value = getattr(self, name).strip()
            if value:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise ValidationError(f"{name} must be a date like 2026-01-31") from None
            setattr(self, name, value)
        self.custom = {check_key(k): str(v) for k, v in (self.custom or {}).items() if str(v)}

    def filters(self) -> bool:
        """Whether anything but ``everything`` narrows the selection."""
        return bool(
            self.lead_ids
            or self.batch_id
            or self.q
            or self.status
            or self.video_status
            or self.owner_id is not None
            or self.tag
            or self.has_email is not None
            or self.has_phone is not None
            or self.has_website is not None
            or self.imported_from
            or self.imported_to
            or self.custom
        )

    def is_empty(self) -> bool:
        return not (self.filters() or self.everything)

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


class _VideoStatusIs(ColumnElement[bool]):
    """The lead's latest video has ``status``, in the form each planner runs best."""

    type = Boolean()
    _is_implicitly_boolean = True  # no "= 1" around it in WHERE on SQLite
    inherit_cache = False

    def __init__(self, status: str) -> None:
        self.status = status


def _exists_form(status: str) -> ColumnElement[bool]:
    video = aliased(Video)
    if status == NO_VIDEO:
        return ~exists(select(1).where(video.lead_id == Lead.id))
    newer = aliased(Video)
    # ``status || ''`` keeps SQLite on ix_videos_lead_id: without ANALYZE statistics it was
    # seen to pick ix_videos_status instead, reading every failed video once per lead
    # (426 s for one capped count of a 50,000-lead batch at 1M)
    return exists(
        select(1).where(
            video.lead_id == Lead.id,
            video.status.concat("") == status,
            ~exists(select(1).where(newer.lead_id == video.lead_id, newer.id > video.id)),
        )
    )


def _scalar_form(status: str) -> ColumnElement[bool]:
    if status == NO_VIDEO:
        return latest_video_id().is_(None)
    video = aliased(Video)
    latest = (
        select(video.status)
        .where(video.lead_id == Lead.id)
        .order_by(video.id.desc())
        .limit(1)
        .correlate(Lead)
        .scalar_subquery()
    )
    # coalesce(...) hides the comparison from the estimator, which would otherwise guess
    # 0.5% of rows match and sort a whole batch instead of walking its index in order.
    return func.coalesce(latest == status, False)


@compiles(_VideoStatusIs, "sqlite")
def _compile_sqlite(element: _VideoStatusIs, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(_exists_form(element.status), **kw))


@compiles(_VideoStatusIs)
def _compile_default(element: _VideoStatusIs, compiler: Any, **kw: Any) -> str:
    """PostgreSQL flattens the EXISTS form into a hash anti-join over every video (a
    full scan of ``videos`` per page); a scalar subquery stays one index probe per lead."""
    return str(compiler.process(_scalar_form(element.status), **kw))


def video_status_is(status: str) -> ColumnElement[bool]:
    """The lead's latest video has ``status`` (``none``: the lead has no video)."""
    return _VideoStatusIs(status)


def _day_start(value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)


def _present(column: Any, wanted: bool) -> ColumnElement[bool]:
    return (column.is_not(None) & (column != "")) if wanted else (column.is_(None) | (column == ""))


def lead_query(
    user: User, selection: Selection, *columns: Any, inner_company: bool = False
) -> Select[Any]:
    """``select(*columns)`` of the selected leads ``user`` may see (Company outer-joined).

    Every part of the selection narrows it: named ids AND batch AND search AND statuses
    AND the other filters. No ORDER BY: callers add theirs (see ``services.leads.query``).
    """
    query = select(*(columns or (Lead.id,))).select_from(Lead)
    if inner_company:  # only leads with a company; lets a planner walk companies first
        query = query.join(Company, Company.id == Lead.company_id)
    else:
        query = query.outerjoin(Company, Company.id == Lead.company_id)
    query = scope_leads(query, user)
    if selection.lead_ids:
        query = query.where(Lead.id.in_(sorted(set(selection.lead_ids))))
    if selection.max_lead_id is not None:
        query = query.where(Lead.id <= selection.max_lead_id)
    if selection.batch_id:
        query = query.where(Lead.batch_id == selection.batch_id)
    if selection.q:
        query = query.where(search(selection.q))
    if selection.status:
        query = query.where(Lead.status == selection.status)
    if selection.video_status:
        query = query.where(video_status_is(selection.video_status))
    if selection.owner_id is not None:
        owner = selection.owner_id or None
        query = query.where(Lead.owner_id.is_(None) if owner is None else Lead.owner_id == owner)
    if selection.tag:
        query = query.where(Lead.tag == selection.tag)
    if selection.has_email is not None:
        query = query.where(_present(Lead.email, selection.has_email))
    if selection.has_phone is not None:
        phone = _present(Lead.phone, True) | _present(Lead.mobile_phone, True)
        query = query.where(phone if selection.has_phone else ~phone)
    if selection.has_website is not None:
        query = query.where(_present(Company.website, selection.has_website))
    if selection.imported_from:
        query = query.where(Lead.created_at >= _day_start(selection.imported_from))
    if selection.imported_to:
        end = _day_start(selection.imported_to) + timedelta(days=1)
        query = query.where(Lead.created_at < end)
    for key, value in selection.custom.items():
        query = query.where(extra_text(key) == value)
    return query


def check_access(
    session: Session, user: User, selection: Selection, action: str = "renders.start"
) -> None:
    """Refuse (PermissionDenied) a selection naming a lead or batch that is not the user's;
    a filter is not refused, it simply sees only the user's leads."""
    require(user, action)
    if selection.is_empty():
        raise ValidationError("select leads, a batch or a filter first")
    ids = sorted(set(selection.lead_ids))
    if len(ids) > MAX_NAMED:
        raise ValidationError(f"more than {MAX_NAMED:,} leads named; use a filter instead")
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found = session.scalar(
            scope_leads(select(func.count(Lead.id)).where(Lead.id.in_(chunk)), user)
        )
        if found != len(chunk):
            raise PermissionDenied("some of the selected leads are not yours")
    if selection.batch_id:
        batch = session.get(ImportBatch, selection.batch_id)
        if batch is None or not can(user, action, batch):
            raise PermissionDenied("this batch is not yours")


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
