"""The task queue lives in the database: one row per unit of background work.

Why in the database: a task is enqueued in the same transaction as the records it concerns,
so nothing is lost between them. The claim, finish and rescue statements live in
``leadreel.tasks.queue``; the indexes and CHECK constraints here are shaped for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, utcnow

TASK_STATUSES = ("pending", "running", "succeeded", "failed", "cancelled")


class ProcessingTask(Base):
    __tablename__ = "processing_tasks"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')", name="status"
        ),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("max_attempts >= 1", name="max_attempts"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
        # A running task always has an owner: finish/fail check ownership against it.
        CheckConstraint("status <> 'running' OR worker_id IS NOT NULL", name="running_owner"),
        # The claim query: next due pending task by priority then id.
        Index(
            "ix_tasks_claim",
            "priority",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # At most one pending or running task per (type, subject).
        Index(
            "uq_tasks_active_dedupe",
            "type",
            "dedupe_key",
            unique=True,
            postgresql_where=text("status IN ('pending', 'running') AND dedupe_key IS NOT NULL"),
            sqlite_where=text("status IN ('pending', 'running') AND dedupe_key IS NOT NULL"),
        ),
        Index("ix_tasks_worker", "worker_id", postgresql_where=text("status = 'running'"),
              sqlite_where=text("status = 'running'")),
        Index("ix_tasks_lead", "lead_id"),
        Index("ix_tasks_batch", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    #: Lower runs first.
    priority: Mapped[int] = mapped_column(default=100)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    worker_id: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    progress: Mapped[float] = mapped_column(default=0.0)
    last_error: Mapped[str | None] = mapped_column(Text)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    #: The task to create when this one succeeds: {"type": ..., "payload": ..., "next": ...}.
    next_task: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerRecord(Base):
    """A live (or dead) worker process; heartbeats decide which tasks need rescue."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(default=0)
    types: Mapped[list[Any]] = mapped_column(default=list)
    concurrency: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
