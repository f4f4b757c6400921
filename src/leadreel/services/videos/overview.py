"""The Videos page's read model: every lead the user may see, with its latest video.

Why a read model of its own: the page is where a user follows rendering for all their
leads (those without a video too), on tables of 100,000 leads. So a page is three
indexed queries whatever the table size, and none per row:

1. the leads of the page, walked in id order (newest first) with keyset pagination
   (``after``/``before`` a lead id, never OFFSET), each with its latest video's id from a
   correlated subquery (:func:`selection.latest_video_id`);
2. those videos by primary key;
3. the count of matching leads ("select all N matching"), one scan, filters included.

Filtering is :func:`selection.lead_query`, the very query a run re-executes, so "select
all matching" renders exactly what the page lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from leadreel.models import Company, Lead, User, Video
from leadreel.services.leads import selection as sel
from leadreel.services.leads.selection import Selection

PAGE_SIZE = 50
DONE_STATUSES = ("rendered", "uploading", "ready")


@dataclass(frozen=True)
class Row:
    """One lead of the page and its latest video (None: no video yet)."""

    lead_id: int
    first_name: str | None
    last_name: str | None
    full_name: str | None
    email: str | None
    company: str | None
    batch_id: int | None
    video: Video | None

    @property
    def display_name(self) -> str:
        """As ``Lead.display_name``, from the columns the page loaded."""
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or self.full_name or self.company or self.email or f"Lead {self.lead_id}"

    @property
    def done(self) -> bool:
        return bool(self.video and self.video.status in DONE_STATUSES and self.video.file_path)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    #: Lead ids for the "older" (next) and "newer" (previous) links; None: no such page.
    after: int | None
    before: int | None
    #: Sorted by views: the last row's view count, the keyset's other half.
    after_views: int | None = None


def latest_views() -> Any:
    """Correlated: the view count of the lead's latest video (0 without one)."""
    video = aliased(Video)
    return func.coalesce(
        select(video.view_count).where(video.id == sel.latest_video_id()).scalar_subquery(), 0
    )


def list_page(
    session: Session,
    user: User,
    selection: Selection,
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
    sort: str = "",
    after_views: int | None = None,
) -> Page:
    """One page of leads, newest first: those older than ``after`` or, going back, the
    ``size`` just newer than ``before``. ``sort="views"``: most viewed first, keyset on
    (views, lead id), forward only."""
    query = sel.lead_query(
        user,
        selection,
        Lead.id,
        Lead.first_name,
        Lead.last_name,
        Lead.full_name,
        Lead.email,
        Company.name,
        Lead.batch_id,
        sel.latest_video_id().label("video_id"),
    )
    if sort == "views":
        return _by_views(session, user, selection, query, size, after, after_views)
    if before is not None:
        query = query.where(Lead.id > before).order_by(Lead.id.asc())
    else:
        if after is not None:
            query = query.where(Lead.id < after)
        query = query.order_by(Lead.id.desc())
    found = session.execute(query.limit(size + 1)).all()
    more = len(found) > size
    found = found[:size]
    if before is not None:
        found.reverse()
    rows = _rows(session, found)
    first, last = (rows[0].lead_id, rows[-1].lead_id) if rows else (None, None)
    if before is not None:  # came back from an older page: there is always a next one
        newer, older = (first if more else None), last
    else:
        newer, older = (first if after is not None else None), (last if more else None)
    return Page(rows=rows, total=sel.count(session, user, selection), after=older, before=newer)


def _rows(session: Session, found: list[Any]) -> list[Row]:
    ids = [r.video_id for r in found if r.video_id is not None]
    videos = {}
    if ids:
        videos = {v.id: v for v in session.scalars(select(Video).where(Video.id.in_(ids)))}
    return [
        Row(
            *(r.id, r.first_name, r.last_name, r.full_name, r.email, r.name, r.batch_id),
            video=videos.get(r.video_id),
        )
        for r in found
    ]


def _by_views(
    session: Session,
    user: User,
    selection: Selection,
    query: Any,
    size: int,
    after: int | None,
    after_views: int | None,
) -> Page:
    views = latest_views()
    query = query.add_columns(views.label("views"))
    if after is not None and after_views is not None:
        query = query.where(or_(views < after_views, and_(views == after_views, Lead.id < after)))
    found = session.execute(query.order_by(views.desc(), Lead.id.desc()).limit(size + 1)).all()
    more = len(found) > size
    found = found[:size]
    rows = _rows(session, found)
    return Page(
        rows=rows,
        total=sel.count(session, user, selection),
        after=rows[-1].lead_id if more and rows else None,
        before=None,
        after_views=int(found[-1].views) if more and found else None,
    )
