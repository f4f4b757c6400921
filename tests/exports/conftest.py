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
from tests import worker_drain

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
    worker_drain.drain(
        app, ("export_leads",), timeout=timeout, due_before=lambda: datetime(8000, 1, 1, tzinfo=UTC)
    )
