"""The queue's statements: enqueue, claim, finish, fail, rescue, release, heartbeat.

Why the database is the queue: a task is enqueued in the caller's own transaction, next to
the records it concerns, so a committed import always has its task and a rolled-back one
never does. The design follows procrastinate / River / Oban:

* Claim is one statement. PostgreSQL: a CTE picks the next due pending tasks by priority
  then id ``FOR UPDATE SKIP LOCKED`` and ``UPDATE ... RETURNING`` marks them running; two
  workers never wait on or take the same row. SQLite: the same ``UPDATE ... RETURNING``
  inside ``BEGIN IMMEDIATE`` (one writer at a time does the rest). No lock is held while a
  task runs: the claim commits at once.
* A claim is a lease ``(task id, worker id, attempt)``. Finish, fail, progress and release
  only touch the row ``WHERE status='running' AND worker_id=:me AND attempts=:attempt``, so a
  worker whose task was rescued (or cancelled) cannot overwrite the run that replaced it.
* Workers heartbeat in ``workers``; ``rescue_stale`` retries (or fails, with a named error)
  the running tasks of workers whose heartbeat stopped. Heartbeats decide, not run time:
  a slow task of a live worker is never run twice.
* Status literals are written into the SQL (not bound) so both planners can use the
  partial indexes ``ix_tasks_claim`` and ``uq_tasks_active_dedupe``.

Times are timezone-aware UTC; every function takes ``now=`` so tests can pin the clock.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadreel.models.tasks import ProcessingTask as T
from leadreel.models.tasks import WorkerRecord as W
from leadreel.tasks.listen import wake_on_commit
from leadreel.tasks.registry import REGISTRY, Registry
from leadreel.tasks.retry import DEFAULT_POLICY, RetryPolicy

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


def _owned(lease: ClaimedTask) -> Any:
    return and_(T.id == lease.id, RUNNING, T.worker_id == lease.worker_id,
                T.attempts == lease.attempt)


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
        conn.execute(text("SELECT pg_notify(:channel, :type)"),
                     {"channel": NOTIFY_CHANNEL, "type": task_type})


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


def enqueue(
    session: Session,
    type: str,
    payload: dict[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
    force: bool = False,
    priority: int | None = None,
    run_after: datetime | None = None,
    lead_id: int | None = None,
    company_id: int | None = None,
    batch_id: int | None = None,
    next_task: dict[str, Any] | None = None,
    created_by_id: int | None = None,
    registry: Registry | None = None,
    now: datetime | None = None,
) -> T | None:
    """Add a task to the caller's session; the caller commits it with its own records.

    With a ``dedupe_key`` at most one pending or running task exists per (type, key): a
    second call returns the active one instead (``force=True`` adds another, unkeyed).
    Returns ``None`` only if a concurrent duplicate was committed and finished meanwhile.
    """
    reg = registry or REGISTRY
    task_type = reg.get(type)
    for name in chain_types(next_task):
        reg.get(name)  # a typo in a chain fails here, not after the first step succeeded
    now = now or utcnow()
    key = None if force else dedupe_key
    if key is not None:
        existing = _active_duplicate(session, type, key)
        if existing is not None:
            return existing
    task = T(
        type=type, payload=payload or {}, status="pending",
        priority=task_type.priority if priority is None else priority,
        attempts=0, max_attempts=task_type.max_attempts, run_after=run_after or now,
        dedupe_key=key, next_task=next_task, lead_id=lead_id, company_id=company_id,
        batch_id=batch_id, created_by_id=created_by_id, created_at=now, progress=0.0,
        errors=[], result={},
    )
    if key is None:
        session.add(task)
    else:
        session.flush()  # the caller's own records, outside the savepoint
        try:
            with session.begin_nested():
                session.add(task)
        except IntegrityError:  # a concurrent enqueue won the unique partial index
            return _active_duplicate(session, type, key)
    notify(session, type)
    wake_on_commit(session)
    return task


def _active_duplicate(session: Session, type: str, key: str) -> T | None:
    return session.scalar(select(T).where(T.type == type, T.dedupe_key == key, ACTIVE))


def claim(
    engine: Engine,
    worker_id: str,
    types: Sequence[str],
    now: datetime | None = None,
    limit: int = 1,
) -> list[ClaimedTask]:
    """Mark up to ``limit`` due pending tasks of ``types`` running for ``worker_id``, in one statement."""
    if limit < 1 or not types:
        return []
    now = now or utcnow()
    pick = (
        select(T.id)
        .where(PENDING, T.run_after <= now, T.type.in_(list(types)))
        .order_by(T.priority, T.id)
        .limit(limit)
    )
    values = {"status": "running", "worker_id": worker_id, "attempts": T.attempts + 1,
              "started_at": now, "progress": 0.0}
    cols = (T.id, T.type, T.payload, T.attempts, T.max_attempts, T.priority, T.lead_id,
            T.company_id, T.batch_id, T.created_by_id)
    with write_tx(engine) as conn:
        if conn.dialect.name == "postgresql":
            picked = pick.with_for_update(skip_locked=True).cte("picked")
            stmt = update(T).where(T.id == picked.c.id).values(values).returning(*cols)
        else:
            stmt = update(T).where(T.id.in_(pick.scalar_subquery())).values(values).returning(*cols)
        rows = conn.execute(stmt).all()
    return sorted(
        (ClaimedTask(id=r.id, type=r.type, payload=r.payload or {}, attempt=r.attempts,
                     max_attempts=r.max_attempts, priority=r.priority, worker_id=worker_id,
                     lead_id=r.lead_id, company_id=r.company_id, batch_id=r.batch_id,
                     created_by_id=r.created_by_id) for r in rows),
        key=lambda t: (t.priority, t.id),
    )


def finish(
    bind: Engine | Session,
    lease: ClaimedTask,
    result: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
    registry: Registry | None = None,
) -> bool:
    """Mark the task succeeded and create its chained task, in one transaction.

    Given a Session (the handler's), whatever the handler left uncommitted in it commits
    atomically with the success. Returns False, and rolls back, if the lease was lost.
    """
    if isinstance(bind, Session):
        return _finish_in(bind, lease, result, now or utcnow(), registry or REGISTRY)
    with Session(bind) as session:
        return _finish_in(session, lease, result, now or utcnow(), registry or REGISTRY)


def _finish_in(session: Session, lease: ClaimedTask, result: dict[str, Any] | None,
               now: datetime, reg: Registry) -> bool:
    if not session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    row = session.execute(
        update(T).where(_owned(lease))
        .values(status="succeeded", finished_at=now, progress=1.0, result=result or {})
        .returning(T.next_task, T.type, T.priority)
    ).first()
    if row is None:
        session.rollback()
        return False
    spec = row.next_task
    if spec:
        priority = spec.get("priority")
        if priority is None:  # carry a raised batch priority down the chain
            boost = row.priority - _default_priority(reg, row.type, row.priority)
            priority = _default_priority(reg, spec["type"], row.priority) + boost
        enqueue(session, spec["type"], spec.get("payload") or {},
                dedupe_key=spec.get("dedupe_key"), priority=priority, lead_id=lease.lead_id,
                company_id=lease.company_id, batch_id=lease.batch_id,
                created_by_id=lease.created_by_id, next_task=spec.get("next"),
                registry=reg, now=now)
    session.commit()
    return True


def _default_priority(reg: Registry, name: str, fallback: int) -> int:
    task_type = reg.types.get(name)
    return task_type.priority if task_type else fallback


def _error_entry(attempt: int, worker_id: str | None, error: str, now: datetime) -> dict[str, Any]:
    return {"attempt": attempt, "at": now.isoformat(), "worker": worker_id,
            "error": error[-ERROR_CHARS:]}


def fail(
    engine: Engine,
    lease: ClaimedTask,
    error: str,
    *,
    permanent: bool = False,
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> str | None:
    """Record a failed attempt: back to pending after a backoff, or failed when out of attempts.

    Returns the new status (``"pending"`` or ``"failed"``), or None if the lease was lost.
    """
    now = now or utcnow()
    with write_tx(engine) as conn:
        query = select(T.errors, T.next_task).where(_owned(lease))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            return None
        errors = [*(row.errors or []), _error_entry(lease.attempt, lease.worker_id, error, now)]
        values: dict[str, Any] = {"errors": errors[-MAX_ERRORS_KEPT:], "last_error": error[-ERROR_CHARS:]}
        if not permanent and lease.attempt < lease.max_attempts:
            delay = (policy or DEFAULT_POLICY).delay(lease.attempt, rng)
            values |= {"status": "pending", "worker_id": None, "run_after": now + delay}
        else:
            values |= {"status": "failed", "finished_at": now,
                       "result": {"chain_stopped": chain_types(row.next_task)}}
        conn.execute(update(T).where(_owned(lease)).values(values))
    return values["status"]


def release(engine: Engine, lease: ClaimedTask, *, now: datetime | None = None) -> bool:
    """Give a claimed task back at shutdown without spending an attempt."""
    now = now or utcnow()
    with write_tx(engine) as conn:
        done = conn.execute(
            update(T).where(_owned(lease)).values(
                status="pending", worker_id=None, attempts=T.attempts - 1, run_after=now,
                started_at=None, progress=0.0)
        ).rowcount
        if done:
            notify(conn, lease.type)
    return bool(done)


def set_progress(engine: Engine, lease: ClaimedTask, fraction: float) -> bool:
    """Store progress in [0, 1]; False means the lease was lost (cancelled or rescued)."""
    fraction = min(1.0, max(0.0, float(fraction)))
    with write_tx(engine) as conn:
        return bool(conn.execute(update(T).where(_owned(lease)).values(progress=fraction)).rowcount)


def register_worker(engine: Engine, worker_id: str, *, hostname: str, pid: int,
                    types: Sequence[str], concurrency: int, now: datetime | None = None) -> None:
    now = now or utcnow()
    with write_tx(engine) as conn:
        conn.execute(W.__table__.insert().values(
            id=worker_id, hostname=hostname, pid=pid, types=list(types), concurrency=concurrency,
            started_at=now, heartbeat_at=now, stopped_at=None))


def heartbeat(engine: Engine, worker_id: str, now: datetime | None = None) -> set[int]:
    """Say this worker is alive; returns the ids of the running tasks it still owns."""
    now = now or utcnow()
    with write_tx(engine) as conn:
        conn.execute(update(W).where(W.id == worker_id).values(heartbeat_at=now, stopped_at=None))
        owned = conn.execute(select(T.id).where(RUNNING, T.worker_id == worker_id)).scalars()
        return set(owned)


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
        query = select(T.id, T.worker_id, T.attempts, T.max_attempts, T.errors, T.next_task,
                       T.type).where(RUNNING, T.worker_id.not_in(alive))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for row in conn.execute(query).all():
            beat = conn.scalar(select(W.heartbeat_at).where(W.id == row.worker_id))
            why = (f"worker {row.worker_id} stopped heartbeating"
                   + (f" (last heartbeat {as_utc(beat).isoformat()})" if beat else "")
                   + f" during attempt {row.attempts} of {row.max_attempts}")
            errors = [*(row.errors or []), _error_entry(row.attempts, row.worker_id, why, now)]
            values: dict[str, Any] = {"errors": errors[-MAX_ERRORS_KEPT:], "last_error": why}
            if row.attempts < row.max_attempts:
                values |= {"status": "pending", "worker_id": None, "run_after": now}
            else:
                values |= {"status": "failed", "finished_at": now,
                           "last_error": why + "; attempts exhausted",
                           "result": {"chain_stopped": chain_types(row.next_task)}}
            owned = and_(T.id == row.id, RUNNING, T.worker_id == row.worker_id)
            if conn.execute(update(T).where(owned).values(values)).rowcount:
                rescued.append(row.id)
                notify(conn, row.type)
        conn.execute(update(W).where(W.heartbeat_at < cutoff, W.stopped_at.is_(None))
                     .values(stopped_at=now))
        conn.execute(delete(W).where(or_(W.stopped_at < now - forget_after,
                                         W.heartbeat_at < now - forget_after)))
    return rescued
