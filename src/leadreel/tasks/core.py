"""Shared pieces of the queue's statements: the lease, status predicates, transactions, NOTIFY.

Why a module of its own: ``queue`` (the task's life) and ``rescue`` (the workers' life)
both need them, and neither should import the other's internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, text, update
from sqlalchemy.orm import Session

from leadreel.models.tasks import ProcessingTask as T

NOTIFY_CHANNEL = "leadreel_tasks"
PENDING = text("processing_tasks.status = 'pending'")
RUNNING = text("processing_tasks.status = 'running'")
ACTIVE = text("processing_tasks.status IN ('pending', 'running')")
MAX_ERRORS_KEPT = 20
ERROR_CHARS = 4000


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ClaimedTask:
    """What a worker holds after a claim. ``(id, worker_id, attempt)`` is the lease."""

    id: int
    type: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    priority: int
    worker_id: str
    lead_id: int | None = None
    company_id: int | None = None
    batch_id: int | None = None
    created_by_id: int | None = None


def owned(lease: ClaimedTask) -> Any:
    """The lease condition. ``status`` is bound, not literal, on purpose: the planner must
    look the row up by primary key, not through the partial ``ix_tasks_worker`` (whose
    dead entries a busy worker would scan on every finish)."""
    return and_(
        T.id == lease.id,
        T.status == "running",
        T.worker_id == lease.worker_id,
        T.attempts == lease.attempt,
    )


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A short write transaction; ``BEGIN IMMEDIATE`` on SQLite so it never upgrades a read lock."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn


def notify(conn: Connection | Session, task_type: str) -> None:
    """Wake listening workers when the surrounding transaction commits (PostgreSQL only)."""
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_notify(:channel, :type)"),
            {"channel": NOTIFY_CHANNEL, "type": task_type},
        )


def chain(*steps: tuple[str, dict[str, Any]] | dict[str, Any]) -> dict[str, Any] | None:
    """Nest steps into a ``next_task`` spec: ``chain(("render_video", {...}), ("upload", {...}))``.

    A step may also be a dict with ``type``, ``payload`` and optional ``dedupe_key``/``priority``.
    """
    spec: dict[str, Any] | None = None
    for step in reversed(steps):
        item = dict(step) if isinstance(step, dict) else {"type": step[0], "payload": step[1]}
        item["next"] = spec
        spec = item
    return spec


def chain_types(spec: dict[str, Any] | None) -> list[str]:
    """The types still to run in a ``next_task`` spec, in order."""
    names: list[str] = []
    while spec:
        names.append(spec["type"])
        spec = spec.get("next")
    return names


def error_entry(attempt: int, worker_id: str | None, error: str, now: datetime) -> dict[str, Any]:
    return {
        "attempt": attempt,
        "at": now.isoformat(),
        "worker": worker_id,
        "error": error[-ERROR_CHARS:],
    }


def set_progress(engine: Engine, lease: ClaimedTask, fraction: float) -> bool:
    """Store progress in [0, 1]; False means the lease was lost (cancelled or rescued)."""
    fraction = min(1.0, max(0.0, float(fraction)))
    with write_tx(engine) as conn:
        return bool(conn.execute(update(T).where(owned(lease)).values(progress=fraction)).rowcount)
