"""The Leads page's read model: one page of leads with company, owner, batch, video and progress.

Why this shape: the page must cost the same at a thousand or a million leads. So a page
is a keyset walk for its ids (:func:`query.keyset_page`, one index range), then a handful
of primary-key lookups for those ids (leads with their companies, latest videos, owners,
batches, latest tasks). The total is the one part that must read every match: for a
filter it is counted only up to ``COUNT_CAP`` (beyond that the page says "1,000+"), the
whole view exactly, and both are cached for ``TOTAL_TTL`` seconds per scope and filter,
so paging through a view counts once. Bulk actions count exactly, at the click.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadreel.models import ImportBatch, Lead, User, Video
from leadreel.services.leads import query as lq
from leadreel.services.leads import selection as sel
from leadreel.services.leads.progress import LeadProgress, progress_for
from leadreel.services.leads.selection import Selection

COUNT_CAP = 1_000
TOTAL_TTL = 30.0
_totals: dict[str, tuple[float, Total]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Total:
    """How many leads match: exact, or at least ``value`` (``exact`` False)."""

    value: int
    exact: bool

    def __str__(self) -> str:
        return f"{self.value:,}" if self.exact else f"{self.value:,}+"


@dataclass
class LeadRow:
    lead: Lead
    video: Video | None
    owner: User | None
    batch: ImportBatch | None
    progress: LeadProgress


@dataclass
class Page:
    rows: list[LeadRow]
    total: Total
    next_cursor: str | None
    sort: str
    desc: bool
    size: int
    indexed: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def count_capped(session: Session, user: User, selection: Selection, cap: int = COUNT_CAP) -> Total:
    """Matching leads, counted up to ``cap`` (then "cap+")."""
    inner = sel.lead_query(user, selection, Lead.id).limit(cap + 1).subquery()
    n = session.scalar(select(func.count()).select_from(inner)) or 0
    return Total(min(n, cap), n <= cap)


def _cache_key(session: Session, user: User, selection: Selection) -> str:
    everyone = user.role in ("admin", "manager")
    scope = "all" if everyone else f"user{user.id}"
    filters = json.dumps(selection.to_json(), sort_keys=True) if selection.filters() else ""
    return f"{session.get_bind().url}|{scope}|{filters}"


def total(session: Session, user: User, selection: Selection) -> Total:
    """The page's total, cached for ``TOTAL_TTL`` seconds per scope and filter: for the whole
    view an exact count, for a filter a count capped at ``COUNT_CAP`` ("1,000+")."""
    key = _cache_key(session, user, selection)
    now = time.monotonic()
    with _lock:
        cached = _totals.get(key)
    if cached and now - cached[0] < TOTAL_TTL:
        return cached[1]
    if selection.filters():
        found = count_capped(session, user, selection)
    else:
        inner = sel.lead_query(user, selection).subquery()
        found = Total(session.scalar(select(func.count()).select_from(inner)) or 0, True)
    with _lock:
        if len(_totals) > 10_000:
            _totals.clear()
        _totals[key] = (now, found)
    return found


def forget_totals() -> None:
    """Drop cached totals (after an import, a delete; tests)."""
    with _lock:
        _totals.clear()


def load_rows(session: Session, ids: list[int]) -> list[LeadRow]:
    """The leads ``ids`` (already checked), in that order, with what their row shows."""
    if not ids:
        return []
    leads = {lead.id: lead for lead in session.scalars(select(Lead).where(Lead.id.in_(ids)))}
    latest = dict(
        session.execute(
            select(Video.lead_id, func.max(Video.id))
            .where(Video.lead_id.in_(ids))
            .group_by(Video.lead_id)
        ).all()
    )
    videos = {}
    if latest:
        videos = {
            v.id: v for v in session.scalars(select(Video).where(Video.id.in_(latest.values())))
        }
    owner_ids = {lead.owner_id for lead in leads.values() if lead.owner_id}
    owners = {u.id: u for u in session.scalars(select(User).where(User.id.in_(owner_ids)))}
    batch_ids = {lead.batch_id for lead in leads.values() if lead.batch_id}
    batches = {
        b.id: b for b in session.scalars(select(ImportBatch).where(ImportBatch.id.in_(batch_ids)))
    }
    by_video = {lead_id: videos.get(vid) for lead_id, vid in latest.items()}
    progress = progress_for(session, ids, by_video)
    return [
        LeadRow(
            lead=leads[i],
            video=by_video.get(i),
            owner=owners.get(leads[i].owner_id or 0),
            batch=batches.get(leads[i].batch_id or 0),
            progress=progress[i],
        )
        for i in ids
        if i in leads
    ]


def list_page(
    session: Session,
    user: User,
    selection: Selection,
    *,
    sort: str = lq.DEFAULT_SORT,
    desc: bool | None = None,
    after: str | None = None,
    size: int = 50,
) -> Page:
    """One page of the overview. ``desc`` None: the sort's natural direction."""
    key = lq.prepare_sort(session, sort)
    desc = key.default_desc if desc is None else desc
    size = size if size in lq.PAGE_SIZES else 50
    found = lq.keyset_page(session, user, selection, key, desc=desc, after=after, size=size)
    return Page(
        rows=load_rows(session, found.ids),
        total=total(session, user, selection),
        next_cursor=found.next_cursor,
        sort=key.key,
        desc=desc,
        size=size,
        indexed=key.indexed,
    )
