"""Video templates, uploaded presenter media, the rendered video of each lead and render runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, TimestampMixin

VIDEO_STATUSES = ("queued", "capturing", "rendering", "rendered", "uploading", "ready", "failed")
RUN_STATUSES = ("preparing", "started", "failed")


class VideoTemplate(TimestampMixin, Base):
    __tablename__ = "video_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_default: Mapped[bool] = mapped_column(default=False)
    #: Render with a fallback screenshot (title card) or stop when a site cannot be captured.
    allow_fallback: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class MediaAsset(TimestampMixin, Base):
    __tablename__ = "media_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # clip | image
    name: Mapped[str] = mapped_column(String(300))
    path: Mapped[str] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    duration: Mapped[float | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    has_audio: Mapped[bool] = mapped_column(default=False)
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Video(TimestampMixin, Base):
    __tablename__ = "videos"
    __table_args__ = (Index("ix_videos_lead_id", "lead_id"), Index("ix_videos_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("video_templates.id", ondelete="SET NULL")
    )
    template_version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(default=0.0)
    file_path: Mapped[str | None] = mapped_column(String(1000))
    thumbnail_path: Mapped[str | None] = mapped_column(String(1000))
    preview_path: Mapped[str | None] = mapped_column(String(1000))
    duration: Mapped[float | None]
    screenshot_source: Mapped[str | None] = mapped_column(String(20))  # live | previous | card
    share_url: Mapped[str | None] = mapped_column(String(2048))
    #: The prospect's link is ``{public_url}/v/{share_token}`` (see services/delivery/links.py);
    #: at least 128 random bits, never the id. A re-render keeps the lead's token.
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    share_enabled: Mapped[bool] = mapped_column(default=True)
    #: Counters kept with the row so lists sort by them; the events live with delivery.
    view_count: Mapped[int] = mapped_column(default=0)
    play_count: Mapped[int] = mapped_column(default=0)
    first_viewed_at: Mapped[datetime | None]
    last_viewed_at: Mapped[datetime | None]
    drive_file_id: Mapped[str | None] = mapped_column(String(200))
    drive_url: Mapped[str | None] = mapped_column(String(2048))
    drive_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("drive_accounts.id", ondelete="SET NULL")
    )
    #: The Drive copy: NULL (none asked), pending, uploading, uploaded, paused (the account
    #: needs reconnecting) or failed. ``status`` says "uploading" while bytes are sent.
    upload_status: Mapped[str | None] = mapped_column(String(20))
    upload_error: Mapped[str | None] = mapped_column(Text)
    is_sample: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text)


class RenderRun(TimestampMixin, Base):
    """One "start rendering" request: what was asked, and how far its fan-out task got.

    The request only records this row and enqueues one ``render_fanout`` task; the task
    creates the per-lead Video rows and chains in batches, each committed together with
    ``cursor`` (the last lead id handled), so a retried task resumes instead of repeating.
    ``spec`` is the template as it was when the user clicked (a later edit does not change
    a run half-way).
    """

    __tablename__ = "render_runs"
    __table_args__ = (
        CheckConstraint("status IN ('preparing', 'started', 'failed')", name="status"),
        Index("ix_render_runs_status", "status"),
        Index("ix_render_runs_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("video_templates.id", ondelete="SET NULL")
    )
    template_version: Mapped[int] = mapped_column(default=1)
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)
    allow_fallback: Mapped[bool] = mapped_column(default=True)
    #: The Selection (ids, batch, search, statuses) as JSON; re-run with the user's scope.
    selection: Mapped[dict[str, Any]] = mapped_column(default=dict)
    samples: Mapped[int] = mapped_column(default=0)
    refresh: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="preparing")
    #: Leads matched when the user clicked; ``processed`` counts those handled since.
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    started: Mapped[int] = mapped_column(default=0)
    held: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    cursor: Mapped[int] = mapped_column(default=0)
    sample_video_ids: Mapped[list[Any]] = mapped_column(default=list)
    task_id: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
