"""The Worker in this process (threads), against SQLite and PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from leadreel.models import ProcessingTask
from leadreel.tasks import chain, enqueue
from leadreel.tasks import status as st
from leadreel.tasks.worker import Worker
from tests.queue import handlers


@pytest.fixture
def start(engine: Engine) -> Iterator[Callable[..., Worker]]:
    """Start Workers on threads; stop and join them after the test."""
    started: list[tuple[Worker, threading.Thread]] = []

    def _start(**kwargs: object) -> Worker:
        options = {
            "poll_interval": 0.05,
            "heartbeat_interval": 0.2,
            "stale_after": 1.0,
            "grace_period": 5.0,
            **kwargs,
        }
        worker = Worker(engine, **options)  # type: ignore[arg-type]
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        started.append((worker, thread))
        return worker

    yield _start
    for worker, thread in started:
        worker.request_stop()
        thread.join(timeout=10)
        assert not thread.is_alive()


def add(engine: Engine, type_: str, payload: dict[str, object] | None = None, **kw: object) -> int:
    with Session(engine) as session:
        task = enqueue(session, type_, payload or {}, **kw)  # type: ignore[arg-type]
        session.commit()
        assert task is not None
        return task.id


def wait_for(
    engine: Engine, task_id: int, statuses: tuple[str, ...], timeout: float = 10
) -> ProcessingTask:
    end = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            task = session.get(ProcessingTask, task_id)
            assert task is not None
            if task.status in statuses:
                session.expunge(task)
                return task
        assert time.monotonic() < end, f"task {task_id} still {task.status}"
        time.sleep(0.02)


def runs(engine: Engine, task_id: int) -> int:
    with engine.connect() as conn:
        return (
            conn.scalar(
                select(func.count())
                .select_from(handlers.runs)
                .where(handlers.runs.c.task_id == task_id)
            )
            or 0
        )


def test_runs_tasks_and_their_chain_promptly(engine: Engine, start: Callable[..., Worker]) -> None:
    start(concurrency=2, types=["test_step", "test_step2", "test_noop"], poll_interval=1.0)
    time.sleep(0.2)
    began = time.monotonic()
    first = add(
        engine,
        "test_step",
        {"name": "shot"},
        lead_id=None,
        next_task=chain(("test_step2", {"name": "render"})),
    )
    wait_for(engine, first, ("succeeded",))
    assert time.monotonic() - began < 0.9  # woken by NOTIFY or the commit hook, not the 1 s poll
    with Session(engine) as session:
        second = session.scalar(select(ProcessingTask).where(ProcessingTask.type == "test_step2"))
        assert second is not None
    assert wait_for(engine, second.id, ("succeeded",)).result == {"step": "render"}
    assert runs(engine, first) == 1 and runs(engine, second.id) == 1


def test_transient_errors_retry_and_permanent_ones_fail_at_once(
    engine: Engine, start: Callable[..., Worker]
) -> None:
    start(concurrency=2, types=["test_flaky", "test_permanent"])
    flaky = add(engine, "test_flaky", {"succeed_on": 3})
    bad = add(engine, "test_permanent", {"name": "leads.xlsx"})
    done = wait_for(engine, flaky, ("succeeded", "failed"))
    assert done.status == "succeeded" and done.attempts == 3
    assert [e["error"].split("\n")[0] for e in done.errors] == [
        "ConnectionError: provider unavailable (attempt 1)",
        "ConnectionError: provider unavailable (attempt 2)",
    ]
    failed = wait_for(engine, bad, ("failed",))
    assert failed.attempts == 1 and failed.max_attempts == 5
    assert (failed.last_error or "").startswith(
        "PermanentError: row 3: not a CSV file (leads.xlsx)"
    )


def test_hard_timeout_kills_the_subprocess_and_fails_the_attempt(
    engine: Engine, start: Callable[..., Worker], tmp_path: Path
) -> None:
    start(types=["test_sleep_process"])
    pid_file = tmp_path / "pid"
    task_id = add(engine, "test_sleep_process", {"pid_file": str(pid_file)})
    failed = wait_for(engine, task_id, ("failed",), timeout=5)
    assert "hard timeout of 1s" in (failed.last_error or "")
    pid = int(pid_file.read_text())
    end = time.monotonic() + 3
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"sleep {pid} survived the timeout")


def test_hard_timeout_interrupts_pure_python_work(
    engine: Engine, start: Callable[..., Worker]
) -> None:
    worker = start(types=["test_spin", "test_noop"])
    spin = add(engine, "test_spin")
    assert "hard timeout" in (wait_for(engine, spin, ("failed",), timeout=5).last_error or "")
    noop = add(engine, "test_noop")  # the slot came back
    wait_for(engine, noop, ("succeeded",), timeout=5)
    assert not worker.running


def test_cancel_stops_a_running_task(engine: Engine, start: Callable[..., Worker]) -> None:
    start(types=["test_slow"])
    task_id = add(engine, "test_slow", {"seconds": 5})
    wait_for(engine, task_id, ("running",))
    with Session(engine) as session:
        assert st.cancel(session, task_id)
        session.commit()
    time.sleep(1.0)
    assert wait_for(engine, task_id, ("cancelled",)).status == "cancelled"
    assert runs(engine, task_id) == 0


def test_stop_lets_the_running_task_finish(engine: Engine, start: Callable[..., Worker]) -> None:
    worker = start(types=["test_slow"])
    task_id = add(engine, "test_slow", {"seconds": 0.6})
    wait_for(engine, task_id, ("running",))
    worker.request_stop()
    assert wait_for(engine, task_id, ("succeeded",)).status == "succeeded"


def test_stop_releases_what_outlives_the_grace_period(
    engine: Engine, start: Callable[..., Worker]
) -> None:
    worker = start(types=["test_slow"], grace_period=0.3)
    task_id = add(engine, "test_slow", {"seconds": 10})
    wait_for(engine, task_id, ("running",))
    worker.request_stop()
    released = wait_for(engine, task_id, ("pending",))
    assert released.attempts == 0 and released.worker_id is None


def test_worker_rejects_unknown_types(engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown task types: nope"):
        Worker(engine, types=["nope"])


def test_a_task_owned_but_not_run_here_is_released_and_run(
    engine: Engine, start: Callable[..., Worker]
) -> None:
    from datetime import timedelta

    from leadreel.tasks import claim
    from leadreel.tasks.queue import utcnow

    worker = start(types=["test_noop"])
    later = utcnow() + timedelta(hours=1)
    task_id = add(engine, "test_noop", run_after=later)  # not due: the worker leaves it alone
    (lost,) = claim(engine, worker.id, ["test_noop"], now=later)  # a claim whose reply was lost
    assert lost.id == task_id
    done = wait_for(engine, task_id, ("succeeded",))
    assert done.attempts == 1 and runs(engine, task_id) == 1  # released without using an attempt
