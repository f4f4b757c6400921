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
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Integer, String, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadreel.models.tasks import ProcessingTask as T
from leadreel.tasks.core import (
    ACTIVE,
    ERROR_CHARS,
    MAX_ERRORS_KEPT,
    NOTIFY_CHANNEL,
    PENDING,
    RUNNING,
    ClaimedTask,
    as_utc,
    chain,
    chain_types,
    error_entry,
    notify,
    set_progress,
    utcnow,
    write_tx,
)
from leadreel.tasks.core import owned as _owned
from leadreel.tasks.listen import wake_on_commit
from leadreel.tasks.registry import REGISTRY, Registry
from leadreel.tasks.rescue import heartbeat, register_worker, rescue_stale, stop_worker
from leadreel.tasks.retry import DEFAULT_POLICY, RetryPolicy

__all__ = [
    "ACTIVE",
    "NOTIFY_CHANNEL",
    "PENDING",
    "RUNNING",
    "ClaimedTask",
    "as_utc",
    "chain",
    "chain_types",
    "claim",
    "enqueue",
    "fail",
    "finish",
    "finish_many",
    "heartbeat",
    "notify",
    "register_worker",
    "release",
    "rescue_stale",
    "set_progress",
    "stop_worker",
    "utcnow",
    "write_tx",
]


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
        type=type,
        payload=payload or {},
        status="pending",
        priority=task_type.priority if priority is None else priority,
        attempts=0,
        max_attempts=task_type.max_attempts,
        run_after=run_after or now,
        dedupe_key=key,
        next_task=next_task,
        lead_id=lead_id,
        company_id=company_id,
        batch_id=batch_id,
        created_by_id=created_by_id,
        created_at=now,
        progress=0.0,
        errors=[],
        result={},
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


_CLAIM: dict[str, Any] = {}


def _claim_statement(dialect: str) -> Any:
    """Built once per dialect (statement construction is most of a claim's CPU)."""
    pick = (
        select(T.id)
        .where(
            PENDING,
            T.run_after <= bindparam("now", type_=T.run_after.type),
            T.type.in_(bindparam("types", expanding=True)),
        )
        .order_by(T.priority, T.id)
        .limit(bindparam("limit", type_=Integer))
    )
    values = {
        "status": "running",
        "worker_id": bindparam("b_worker", type_=String),
        "attempts": T.attempts + 1,
        "started_at": bindparam("now"),
        "progress": 0.0,
    }
    cols = (
        T.id,
        T.type,
        T.payload,
        T.attempts,
        T.max_attempts,
        T.priority,
        T.lead_id,
        T.company_id,
        T.batch_id,
        T.created_by_id,
    )
    if dialect == "postgresql":
        picked = pick.with_for_update(skip_locked=True).cte("picked")
        return update(T).where(T.id == picked.c.id).values(values).returning(*cols)
    return update(T).where(T.id.in_(pick.scalar_subquery())).values(values).returning(*cols)


def claim(
    engine: Engine,
    worker_id: str,
    types: Sequence[str],
    now: datetime | None = None,
    limit: int = 1,
) -> list[ClaimedTask]:
    """Mark up to ``limit`` due pending tasks of ``types`` running for ``worker_id``, in one go."""
    if limit < 1 or not types:
        return []
    params = {"now": now or utcnow(), "types": list(types), "limit": limit, "b_worker": worker_id}
    with write_tx(engine) as conn:
        dialect = conn.dialect.name
        if dialect == "postgresql":
            # Losing a claim in a server crash only returns the task to pending (the run's
            # finish then fails its lease check): claims need no fsync of their own.
            # A generic plan (psycopg prepares repeated statements) cannot see LIMIT's value
            # and joins the CTE back with a sequential scan: plan each claim for its values.
            conn.exec_driver_sql(
                "SET LOCAL synchronous_commit = off; SET LOCAL plan_cache_mode = force_custom_plan"
            )
        if dialect not in _CLAIM:
            _CLAIM[dialect] = _claim_statement(dialect)
        rows = conn.execute(_CLAIM[dialect], params).all()
    return sorted(
        (
            ClaimedTask(
                id=r.id,
                type=r.type,
                payload=r.payload or {},
                attempt=r.attempts,
                max_attempts=r.max_attempts,
                priority=r.priority,
                worker_id=worker_id,
                lead_id=r.lead_id,
                company_id=r.company_id,
                batch_id=r.batch_id,
                created_by_id=r.created_by_id,
            )
            for r in rows
        ),
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


_FINISH = (
    update(T)
    .where(
        T.id == bindparam("b_id", type_=Integer),
        T.status == "running",  # bound: see core.owned
        T.worker_id == bindparam("b_worker_id", type_=String),
        T.attempts == bindparam("b_attempt", type_=Integer),
    )
    .values(
        status="succeeded",
        finished_at=bindparam("b_now", type_=T.finished_at.type),
        progress=1.0,
        result=bindparam("b_result", type_=T.result.type),
    )
    .returning(T.next_task, T.type, T.priority)
)


def _finish_in(
    session: Session,
    lease: ClaimedTask,
    result: dict[str, Any] | None,
    now: datetime,
    reg: Registry,
) -> bool:
    if not session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    if not _mark_succeeded(session, lease, result, now, reg):
        session.rollback()
        return False
    session.commit()
    return True


def finish_many(
    engine: Engine,
    items: Sequence[tuple[ClaimedTask, dict[str, Any] | None]],
    *,
    now: datetime | None = None,
    registry: Registry | None = None,
) -> list[int]:
    """Finish several tasks in one transaction (one fsync); returns the ids still owned.

    For handlers that wrote nothing through ``ctx.session``: the worker's completer batches
    their successes, as River's does.
    """
    now, reg = now or utcnow(), registry or REGISTRY
    with Session(engine) as session:
        if engine.dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        done = [
            lease.id for lease, result in items if _mark_succeeded(session, lease, result, now, reg)
        ]
        session.commit()
    return done


def _mark_succeeded(
    session: Session,
    lease: ClaimedTask,
    result: dict[str, Any] | None,
    now: datetime,
    reg: Registry,
) -> bool:
    row = (
        session.connection()
        .execute(
            _FINISH,
            {
                "b_id": lease.id,
                "b_worker_id": lease.worker_id,
                "b_attempt": lease.attempt,
                "b_now": now,
                "b_result": result or {},
            },
        )
        .first()
    )
    if row is None:
        return False
    spec = row.next_task
    if spec:
        priority = spec.get("priority")
        if priority is None:  # carry a raised batch priority down the chain
            boost = row.priority - _default_priority(reg, row.type, row.priority)
            priority = _default_priority(reg, spec["type"], row.priority) + boost
        enqueue(
            session,
            spec["type"],
            spec.get("payload") or {},
            dedupe_key=spec.get("dedupe_key"),
            priority=priority,
            lead_id=lease.lead_id,
            company_id=lease.company_id,
            batch_id=lease.batch_id,
            created_by_id=lease.created_by_id,
            next_task=spec.get("next"),
            registry=reg,
            now=now,
        )
    return True


def _default_priority(reg: Registry, name: str, fallback: int) -> int:
    task_type = reg.types.get(name)
    return task_type.priority if task_type else fallback


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
        errors = [*(row.errors or []), error_entry(lease.attempt, lease.worker_id, error, now)]
        values: dict[str, Any] = {
            "errors": errors[-MAX_ERRORS_KEPT:],
            "last_error": error[-ERROR_CHARS:],
        }
        if not permanent and lease.attempt < lease.max_attempts:
            delay = (policy or DEFAULT_POLICY).delay(lease.attempt, rng)
            values |= {"status": "pending", "worker_id": None, "run_after": now + delay}
        else:
            values |= {
                "status": "failed",
                "finished_at": now,
                "result": {"chain_stopped": chain_types(row.next_task)},
            }
        conn.execute(update(T).where(_owned(lease)).values(values))
    return values["status"]


def release(engine: Engine, lease: ClaimedTask, *, now: datetime | None = None) -> bool:
    """Give a claimed task back at shutdown without spending an attempt."""
    now = now or utcnow()
    with write_tx(engine) as conn:
        done = conn.execute(
            update(T)
            .where(_owned(lease))
            .values(
                status="pending",
                worker_id=None,
                attempts=T.attempts - 1,
                run_after=now,
                started_at=None,
                progress=0.0,
            )
        ).rowcount
        if done:
            notify(conn, lease.type)
    return bool(done)
