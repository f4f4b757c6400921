"""Fixtures for exports: an app on SQLite or PostgreSQL, users, and leads with companies
and videos made directly in the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from leadreel.extensions import db as _db
from leadreel.models import Company, Lead, User, Video
from leadreel.services.setup import create_user

PASSWORD = "correct horse battery"


@pytest.fixture
def db_app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    app = make_app(database_url=db_url, public_url="https://send.example")
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def session(db_app: Flask) -> Iterator[Session]:
    with _db.new_session() as s:
        yield s


@pytest.fixture
def settings(db_app: Flask) -> Any:
    return db_app.config["SETTINGS"]


@pytest.fixture
def users(session: Session) -> dict[str, User]:
    made = {
        role: create_user(session, f"{role}@example.com", PASSWORD, role)
        for role in ("admin", "manager", "rep")
    }
    made["rep2"] = create_user(session, "rep2@example.com", PASSWORD, "rep")
    session.commit()
    return made


@pytest.fixture
def add_lead(session: Session) -> Callable[..., Lead]:
    def add(
        owner: User | None = None, company: dict[str, Any] | None = None, **fields: Any
    ) -> Lead:
        comp = Company(**company) if company else None
        if comp is not None:
            session.add(comp)
        lead = Lead(owner_id=owner.id if owner else None, company=comp, **fields)
        session.add(lead)
        session.commit()
        return lead

    return add


@pytest.fixture
def add_video(session: Session) -> Callable[..., Video]:
    def add(lead: Lead, **fields: Any) -> Video:
        values: dict[str, Any] = {
            "status": "ready",
            "share_token": f"tok{lead.id}x{fields.pop('n', 0)}",
            "thumbnail_path": "/tmp/t.jpg",
            "preview_path": "/tmp/p.gif",
            "view_count": 3,
            "play_count": 2,
            "last_viewed_at": datetime(2026, 11, 30, 9, 15, 0, tzinfo=UTC),
        }
        values.update(fields)
        video = Video(lead_id=lead.id, **values)
        session.add(video)
        session.commit()
        return video

    return add


def drain(app: Flask, timeout: float = 60.0) -> None:
    """Run a real worker on a thread until no ``export_leads`` task is pending or running."""
    import threading
    import time

    from sqlalchemy import func, select

    from leadreel.models import ProcessingTask
    from leadreel.tasks.worker import Worker

    engine = _db.engine
    assert engine is not None
    worker = Worker(
        engine,
        types=["export_leads"],
        settings=app.config["SETTINGS"],
        concurrency=1,
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
            with Session(engine) as s:
                busy = s.scalar(
                    select(func.count(ProcessingTask.id)).where(
                        ProcessingTask.status.in_(("pending", "running")),
                        ProcessingTask.type == "export_leads",
                    )
                )
            if not busy:
                return
        raise AssertionError("export tasks did not finish in time")
    finally:
        stop.set()
        thread.join(30)
