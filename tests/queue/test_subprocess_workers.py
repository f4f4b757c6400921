"""Real worker subprocesses: drain, SIGKILL rescue, SIGTERM grace; and competing claims.

PostgreSQL: 4 workers drain 2,000 no-op tasks. SQLite (the embedded default): 2 workers.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from leadreel.models import ProcessingTask
from leadreel.tasks import claim, enqueue
from tests.queue import handlers
from tests.queue.conftest import start_worker

pytestmark = pytest.mark.slow


def add_many(
    engine: Engine, type_: str, n: int, payload: dict[str, object] | None = None
) -> list[int]:
    with Session(engine) as session:
        tasks = [enqueue(session, type_, payload or {}) for _ in range(n)]
        session.commit()
        return [t.id for t in tasks if t is not None]


def statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                select(ProcessingTask.status, func.count()).group_by(ProcessingTask.status)
            ).all()
        )  # type: ignore[arg-type]


def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def task(engine: Engine, task_id: int) -> ProcessingTask:
    with Session(engine) as session:
        row = session.get(ProcessingTask, task_id)
        assert row is not None
        session.expunge(row)
        return row


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_workers_drain_the_queue_executing_each_task_exactly_once(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    postgres = engine.dialect.name == "postgresql"
    n, workers = (2000, 4) if postgres else (300, 2)
    ids = add_many(engine, "test_noop", n)
    procs = [
        start_worker(db_url, "--concurrency", "2", log_path=tmp_path / "workers.log")
        for _ in range(workers)
    ]
    try:
        wait_until(lambda: statuses(engine).get("succeeded", 0) == n, 90, f"{n} tasks")
    finally:
        stop_all(procs)
    assert all(p.returncode == 0 for p in procs), (tmp_path / "workers.log").read_text()[-3000:]
    with engine.connect() as conn:
        per_task = dict(
            conn.execute(
                select(handlers.runs.c.task_id, func.count()).group_by(handlers.runs.c.task_id)
            ).all()
        )  # type: ignore[arg-type]
        pids = conn.scalar(select(func.count(func.distinct(handlers.runs.c.pid))))
        attempts = conn.scalar(select(func.max(ProcessingTask.attempts)))
    assert per_task == dict.fromkeys(ids, 1)
    assert attempts == 1
    assert pids == workers  # every worker took a share


def test_sigkilled_workers_task_is_rescued_and_completed_by_another(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    (task_id,) = add_many(engine, "test_slow", 1, {"seconds": 1.5})
    log = tmp_path / "workers.log"
    doomed = start_worker(db_url, log_path=log)
    try:
        wait_until(lambda: task(engine, task_id).status == "running", 20, "the claim")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        rescuer = start_worker(db_url, log_path=log)
        try:
            wait_until(lambda: task(engine, task_id).status == "succeeded", 30, "the rescue")
        finally:
            stop_all([rescuer])
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait()
    done = task(engine, task_id)
    assert done.attempts == 2
    assert "stopped heartbeating" in done.errors[0]["error"]
    with engine.connect() as conn:
        recorded = (
            conn.execute(select(handlers.runs.c.pid).where(handlers.runs.c.task_id == task_id))
            .scalars()
            .all()
        )
    assert recorded == [rescuer.pid]


def test_sigterm_lets_the_running_task_finish(db_url: str, engine: Engine, tmp_path: Path) -> None:
    (task_id,) = add_many(engine, "test_slow", 1, {"seconds": 1.5})
    proc = start_worker(db_url, "--grace-period", "20", log_path=tmp_path / "worker.log")
    try:
        wait_until(lambda: task(engine, task_id).status == "running", 20, "the claim")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        stop_all([proc])
    done = task(engine, task_id)
    assert done.status == "succeeded" and done.attempts == 1


@pytest.mark.postgres
def test_a_locked_task_is_skipped_not_waited_for(pg_engine: Engine) -> None:
    engine = pg_engine
    first, second = add_many(engine, "test_noop", 2)
    with engine.connect() as holder:
        holder.execute(
            text("SELECT id FROM processing_tasks WHERE id = :id FOR UPDATE"), {"id": first}
        )
        began = time.monotonic()
        (got,) = claim(engine, "w2", ["test_noop"])
        assert got.id == second and time.monotonic() - began < 1
        holder.rollback()
    with engine.connect() as conn:
        plan = " ".join(
            conn.execute(
                text(
                    "EXPLAIN SELECT id FROM processing_tasks WHERE status = 'pending' "
                    "AND run_after <= now() AND type IN ('test_noop') "
                    "ORDER BY priority, id LIMIT 1 FOR UPDATE SKIP LOCKED"
                )
            ).scalars()
        )
    assert "ix_tasks_claim" in plan or "Seq Scan" in plan  # tiny tables may still scan


@pytest.mark.postgres
def test_concurrent_claimers_never_get_the_same_task(pg_engine: Engine) -> None:
    engine = pg_engine
    n = 600
    add_many(engine, "test_noop", n)
    got: dict[str, list[int]] = {"a": [], "b": [], "c": []}

    def drain(name: str) -> None:
        while batch := claim(engine, name, ["test_noop"], limit=3):
            got[name].extend(t.id for t in batch)

    threads = [threading.Thread(target=drain, args=(name,)) for name in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for ids in got.values() for i in ids]
    assert len(every) == len(set(every)) == n
    assert all(got.values())
