"""What happened on a share page: one visit per page open, and the events its script sent.

Why two tables: a page open is not a view. Link scanners and chat unfurlers fetch every
link they see, so an open only becomes a view when the page's own script reports back
(``confirmed``); HEAD requests and known scanner user agents are stored as ``prefetch``
visits and never counted. The counters on ``Video`` (``view_count``, ``play_count``...)
are kept in step in the same transaction, so lists sort by them without a join.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, utcnow

VISIT_KINDS = ("open", "view", "prefetch")
EVENT_KINDS = ("open", "play", "progress", "cta")


class ShareVisit(Base):
    """One load of a share page. ``kind``: ``open`` (no script activity yet: shown as
    prefetched), ``view`` (confirmed by the page's script) or ``prefetch`` (HEAD or a
    scanner user agent, with ``reason``)."""

    __tablename__ = "share_visits"
    __table_args__ = (Index("ix_share_visits_video_id_created_at", "video_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    video_id: Mapped[int] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    #: Handed to the page's script; an event must name a visit of the same video.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="open")
    reason: Mapped[str | None] = mapped_column(String(100))
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    played: Mapped[bool] = mapped_column(default=False)
    progress: Mapped[int] = mapped_column(default=0)  # highest of 25/50/75/100 reached
    cta_clicks: Mapped[int] = mapped_column(default=0)
    events: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]


class ShareEvent(Base):
    """One thing the page's script reported: ``play``, ``progress`` (``value`` 25..100),
    ``cta`` or ``open`` (the script started)."""

    __tablename__ = "share_events"
    __table_args__ = (Index("ix_share_events_visit_id", "visit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("share_visits.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
