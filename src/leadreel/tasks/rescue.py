"""Workers' liveness: registration, heartbeats, and the sweep that rescues their tasks.

Why heartbeats decide and not run time: a slow task of a live worker must not run twice;
only a worker that stopped heartbeating (killed, frozen, its machine gone) loses its
tasks. The sweep runs in every worker, so no extra process is needed; concurrent sweeps
are harmless (``SKIP LOCKED`` and the owner check in each ``UPDATE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, or_, select, update

from leadreel.models.tasks import ProcessingTask as T
from leadreel.models.tasks import WorkerRecord as W
from leadreel.tasks.core import (
    MAX_ERRORS_KEPT,
    RUNNING,
    as_utc,
    chain_types,
    error_entry,
    notify,
    utcnow,
    write_tx,
)


def register_worker(
    engine: Engine,
    worker_id: str,
    *,
    hostname: str,
    pid: int,
    types: Sequence[str],
    concurrency: int,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    with write_tx(engine) as conn:
        conn.execute(
            insert(W).values(
                id=worker_id,
                hostname=hostname,
                pid=pid,
                types=list(types),
                concurrency=concurrency,
                started_at=now,
                heartbeat_at=now,
                stopped_at=None,
            )
        )


def heartbeat(
    engine: Engine, worker_id: str, now: datetime | None = None
) -> dict[int, tuple[int, str]]:
    """Say this worker is alive; returns ``{task id: (attempt, type)}`` of the running tasks
    it owns, so the worker can stop what it lost and release what it owns but does not run."""
    now = now or utcnow()
    with write_tx(engine) as conn:
        conn.execute(update(W).where(W.id == worker_id).values(heartbeat_at=now, stopped_at=None))
        rows = conn.execute(
            select(T.id, T.attempts, T.type).where(RUNNING, T.worker_id == worker_id)
        )
        return {row.id: (row.attempts, row.type) for row in rows}


def stop_worker(engine: Engine, worker_id: str, now: datetime | None = None) -> None:
    with write_tx(engine) as conn:
        conn.execute(update(W).where(W.id == worker_id).values(stopped_at=now or utcnow()))


def rescue_stale(
    engine: Engine,
    now: datetime | None = None,
    stale_after: float = 30.0,
    *,
    forget_after: timedelta = timedelta(days=1),
) -> list[int]:
    """Retry, or fail with a named error, the running tasks of workers that stopped heartbeating.

    A worker counts as gone when its heartbeat is older than ``stale_after`` seconds, it
    said it stopped, or its row is missing. Returns the ids of the tasks rescued.
    """
    now = now or utcnow()
    cutoff = now - timedelta(seconds=stale_after)
    alive = select(W.id).where(W.heartbeat_at >= cutoff, W.stopped_at.is_(None))
    rescued: list[int] = []
    with write_tx(engine) as conn:
        query = select(
            T.id, T.worker_id, T.attempts, T.max_attempts, T.errors, T.next_task, T.type
        ).where(RUNNING, T.worker_id.not_in(alive))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for row in conn.execute(query).all():
            beat = conn.scalar(select(W.heartbeat_at).where(W.id == row.worker_id))
            why = (
                f"worker {row.worker_id} stopped heartbeating"
                + (f" (last heartbeat {as_utc(beat).isoformat()})" if beat else "")
                + f" during attempt {row.attempts} of {row.max_attempts}"
            )
            errors = [*(row.errors or []), error_entry(row.attempts, row.worker_id, why, now)]
            values: dict[str, Any] = {"errors": errors[-MAX_ERRORS_KEPT:], "last_error": why}
            if row.attempts < row.max_attempts:
                values |= {"status": "pending", "worker_id": None, "run_after": now}
            else:
                values |= {
                    "status": "failed",
                    "finished_at": now,
                    "last_error": why + "; attempts exhausted",
                    "result": {"chain_stopped": chain_types(row.next_task)},
                }
            owned = and_(T.id == row.id, RUNNING, T.worker_id == row.worker_id)
            if conn.execute(update(T).where(owned).values(values)).rowcount:
                rescued.append(row.id)
                notify(conn, row.type)
        conn.execute(
            update(W).where(W.heartbeat_at < cutoff, W.stopped_at.is_(None)).values(stopped_at=now)
        )
        conn.execute(
            delete(W).where(
                or_(W.stopped_at < now - forget_after, W.heartbeat_at < now - forget_after)
            )
        )
    return rescued
