"""Real task handlers for the queue's tests, registered under ``test_*`` names.

Workers started as subprocesses import this module with ``--import-module
tests.queue.handlers``. Executions are recorded in ``queue_test_runs`` through
``ctx.session``, so a record commits together with the task's success: a count of records
per task is a count of successful executions.
"""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from leadreel.tasks import PermanentError, RetryPolicy, TaskContext, task_type

metadata = MetaData()
runs = Table(
    "queue_test_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("note", String(200), nullable=False, default=""),
)
FAST_RETRY = RetryPolicy(base=0.05, cap=0.2, jitter=0.5)


def record(ctx: TaskContext, note: str = "") -> None:
    ctx.session.execute(
        insert(runs).values(task_id=ctx.id, attempt=ctx.attempt, pid=os.getpid(), note=note)
    )


@task_type("test_noop", priority=50)
def noop(ctx: TaskContext) -> dict[str, Any]:
    record(ctx)
    return {"ok": True}


@task_type("test_slow", priority=50, timeout=30, retry=FAST_RETRY)
def slow(ctx: TaskContext) -> dict[str, Any]:
    seconds = float(ctx.payload.get("seconds", 2.0))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.05)
        ctx.set_progress(1 - (end - time.monotonic()) / seconds)
    record(ctx, "slow")
    return {"slept": seconds}


@task_type("test_permanent", priority=50, max_attempts=5, retry=FAST_RETRY)
def permanent(ctx: TaskContext) -> None:
    raise PermanentError(f"row 3: not a CSV file ({ctx.payload.get('name', 'x')})")


@task_type("test_flaky", priority=50, max_attempts=3, retry=FAST_RETRY)
def flaky(ctx: TaskContext) -> dict[str, Any]:
    if ctx.attempt < int(ctx.payload.get("succeed_on", 99)):
        raise ConnectionError(f"provider unavailable (attempt {ctx.attempt})")
    record(ctx, "flaky")
    return {"attempt": ctx.attempt}


@task_type("test_sleep_process", priority=50, max_attempts=1, timeout=1.0)
def sleep_process(ctx: TaskContext) -> None:
    process = ctx.register_process(subprocess.Popen(["sleep", "60"], start_new_session=True))
    with open(ctx.payload["pid_file"], "w") as fh:
        fh.write(str(process.pid))
    process.wait()


@task_type("test_spin", priority=50, max_attempts=1, timeout=0.5)
def spin(ctx: TaskContext) -> None:
    n = 0
    while True:  # pure-Python runaway work
        n += 1


@task_type("test_step", priority=20)
def step(ctx: TaskContext) -> dict[str, Any]:
    if ctx.payload.get("fail"):
        raise PermanentError(f"step {ctx.payload.get('name')} failed: no screenshot")
    record(ctx, str(ctx.payload.get("name", "")))
    return {"step": ctx.payload.get("name")}


@task_type("test_step2", priority=30)
def step2(ctx: TaskContext) -> dict[str, Any]:
    return step(ctx)
