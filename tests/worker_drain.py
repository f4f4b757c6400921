"""One helper for every test that lets a real worker run queued tasks to the end."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadreel.extensions import db as _db
from leadreel.models import ProcessingTask
from leadreel.tasks.worker import Worker


def drain(
    app: Flask,
    types: tuple[str, ...],
    *,
    timeout: float = 60.0,
    concurrency: int = 1,
    due_before: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Run a real worker on a thread until no task of ``types`` that is due before
    ``due_before()`` (default: now) is pending or running."""
    engine = _db.engine
    assert engine is not None
    worker = Worker(
        engine,
        types=list(types),
        settings=app.config["SETTINGS"],
        concurrency=concurrency,
        poll_interval=0.05,
        heartbeat_interval=1.0,
        stale_after=30,
        listen=False,
        grace_period=5,
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            time.sleep(0.1)
            with Session(engine) as session:
                busy = session.scalar(
                    select(func.count(ProcessingTask.id)).where(
                        ProcessingTask.status.in_(("pending", "running")),
                        ProcessingTask.type.in_(types),
                        ProcessingTask.run_after <= due_before(),
                    )
                )
            if not busy:
                return
        raise AssertionError(f"{', '.join(types)} tasks did not finish in time")
    finally:
        stop.set()
        thread.join(30)
