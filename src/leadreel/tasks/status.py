"""The queue seen from the product: counts, progress, failures, and the UI's retry/cancel.

Why apart from ``queue``: these are read models and user actions, called from views and
the leads overview with the request's session; the caller commits. The worker never
imports this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadreel.models.tasks import TASK_STATUSES
from leadreel.models.tasks import ProcessingTask as T
from leadreel.tasks.listen import wake_on_commit
from leadreel.tasks.queue import ACTIVE, notify, utcnow


def cancel(session: Session, task_id: int, *, now: datetime | None = None) -> bool:
    """Cancel a pending or running task. A running one is stopped by its worker at its next
    heartbeat or progress report, and its result is discarded. The caller commits."""
    done = session.execute(
        update(T)
        .where(T.id == task_id, ACTIVE)
        .values(status="cancelled", finished_at=now or utcnow(), last_error="cancelled by a user")
    ).rowcount  # type: ignore[attr-defined]
    return bool(done)


def retry(session: Session, task_id: int, *, now: datetime | None = None) -> bool:
    """Run a failed or cancelled task again with fresh attempts. False if it is not failed or
    cancelled, or if an equivalent task is already pending or running. The caller commits."""
    now = now or utcnow()
    task = session.get(T, task_id)
    if task is None or task.status not in ("failed", "cancelled"):
        return False
    try:
        with session.begin_nested():
            session.execute(
                update(T)
                .where(T.id == task_id, T.status.in_(("failed", "cancelled")))
                .values(
                    status="pending",
                    attempts=0,
                    run_after=now,
                    worker_id=None,
                    started_at=None,
                    finished_at=None,
                    progress=0.0,
                    result={},
                )
            )
    except IntegrityError:  # the unique partial index: the same work is already queued
        return False
    session.expire(task)
    notify(session, task.type)
    wake_on_commit(session)
    return True


def set_batch_priority(session: Session, batch_id: int, priority: int) -> int:
    """Give the batch's waiting tasks ``priority`` (lower runs first); chained steps keep the
    raise. Returns how many tasks changed. The caller commits."""
    return session.execute(
        update(T).where(T.batch_id == batch_id, T.status == "pending").values(priority=priority)
    ).rowcount  # type: ignore[attr-defined]


def counts_by_type_status(session: Session) -> dict[str, dict[str, int]]:
    """``{type: {status: n}}`` with every status present (zeros included)."""
    counts: dict[str, dict[str, int]] = {}
    for type_, status, n in session.execute(
        select(T.type, T.status, func.count()).group_by(T.type, T.status)
    ):
        counts.setdefault(type_, dict.fromkeys(TASK_STATUSES, 0))[status] = n
    return dict(sorted(counts.items()))


def recent_failures(session: Session, limit: int = 20) -> list[T]:
    """The latest failed tasks, newest first, with their errors."""
    return list(
        session.scalars(
            select(T)
            .where(T.status == "failed")
            .order_by(T.finished_at.desc(), T.id.desc())
            .limit(limit)
        )
    )


def batch_progress(session: Session, batch_id: int) -> dict[str, Any]:
    """Counts by status and an overall fraction for one import batch's tasks."""
    by_status = dict.fromkeys(TASK_STATUSES, 0)
    running_progress = 0.0
    for status, n, progress in session.execute(
        select(T.status, func.count(), func.coalesce(func.sum(T.progress), 0.0))
        .where(T.batch_id == batch_id)
        .group_by(T.status)
    ):
        by_status[status] = n
        if status == "running":
            running_progress = float(progress)
    total = sum(by_status.values())
    finished = by_status["succeeded"] + by_status["failed"] + by_status["cancelled"]
    return {
        "batch_id": batch_id,
        "total": total,
        "by_status": by_status,
        "done": finished == total,
        "progress": round((finished + running_progress) / total, 4) if total else 1.0,
    }


def lead_progress(session: Session, lead_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The latest task of each lead: ``{lead_id: {type, status, progress, error, chain_stopped}}``.

    A failed step names the steps it stopped (``chain_stopped``) so the overview can say why
    a lead has no video.
    """
    ids = list(set(lead_ids))
    if not ids:
        return {}
    latest = select(func.max(T.id)).where(T.lead_id.in_(ids)).group_by(T.lead_id)
    rows = session.execute(
        select(T.id, T.lead_id, T.type, T.status, T.progress, T.last_error, T.result).where(
            T.id.in_(latest)
        )
    )
    return {
        r.lead_id: {
            "task_id": r.id,
            "type": r.type,
            "status": r.status,
            "progress": r.progress,
            "error": (r.last_error or "").split("\n", 1)[0] if r.status == "failed" else None,
            "chain_stopped": (r.result or {}).get("chain_stopped", []),
        }
        for r in rows
    }
