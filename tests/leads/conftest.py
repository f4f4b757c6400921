"""Fixtures for the leads overview: an app on SQLite or PostgreSQL with a known set of leads,
and a real worker drained on a thread for bulk tasks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from leadreel.extensions import db as _db
from leadreel.models import Company, ImportBatch, Lead, User, Video
from leadreel.services.leads import overview
from leadreel.services.setup import create_user
from tests import worker_drain

BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
FIRST = ["ada", "Bob", "cy", None, "Dee", "eve", "Fay", "gus"]
LAST = ["Zed", None, "abe", "Moe", "moe", None, "Öz", "Ng"]
TITLES = ["CEO", None, "CTO", "cto", "Head of Sales"]
CITIES = ["Berlin", None, "Austin", "berlin", "Zürich"]


@dataclass
class World:
    admin: User
    alice: User
    bob: User
    batches: list[int] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)


@pytest.fixture
def db_app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    overview.forget_totals()
    app = make_app(database_url=db_url)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def seed(app: Flask, n: int = 48) -> World:
    """``n`` leads with NULLs, ties, mixed case, three owners, two batches, companies with
    and without leads, custom fields and videos in several states."""
    with app.app_context():
        s = _db.session
        admin = create_user(s, "admin@example.com", "correct horse battery", "admin")
        alice = create_user(s, "alice@example.com", "correct horse battery", "rep")
        bob = create_user(s, "bob@example.com", "correct horse battery", "rep")
        s.flush()
        b1 = ImportBatch(name="First", filename="a.csv", stored_path="a", owner_id=alice.id)
        b2 = ImportBatch(name="Second", filename="b.csv", stored_path="b", owner_id=bob.id)
        s.add_all([b1, b2])
        companies = [
            Company(name=n, name_key=n.lower(), domain=d, website=w)
            for n, d, w in [
                ("Acme Widgets", "acme.io", "https://acme.io"),
                ("globex", "globex.com", None),
                ("Initech", None, "https://initech.test"),
            ]
        ]
        s.add_all(companies)
        s.flush()
        world = World(admin, alice, bob, [b1.id, b2.id])
        statuses = [None, "queued", "rendering", "failed", "ready", None]
        for i in range(n):
            owner = [alice, bob, None][i % 3]
            lead = Lead(
                first_name=FIRST[i % len(FIRST)],
                last_name=LAST[i % len(LAST)],
                email=None if i % 5 == 0 else f"p{i:03d}@mail{i % 4}.test",
                phone="+1 555" if i % 4 == 0 else None,
                job_title=TITLES[i % len(TITLES)],
                city=CITIES[i % len(CITIES)],
                country=["US", "DE", None][i % 3],
                company_id=None if i % 6 == 0 else companies[i % 3].id,
                owner_id=owner.id if owner else None,
                batch_id=[b1.id, b2.id, None][i % 3],
                tag="hot" if i % 7 == 0 else None,
                extra={"Score": str(i % 4)} if i % 2 else {},
                created_at=BASE_TIME + timedelta(hours=i // 3),  # ties on purpose
            )
            s.add(lead)
            s.flush()
            world.lead_ids.append(lead.id)
            status = statuses[i % len(statuses)]
            if status:
                s.add(Video(lead_id=lead.id, status=status, view_count=i % 3))
        s.commit()
        for user in (admin, alice, bob):
            s.expunge(user)
    return world


def drain(app: Flask, types: tuple[str, ...], timeout: float = 60.0) -> None:
    """Run a real worker on a thread until no due task of ``types`` is pending or running."""
    worker_drain.drain(app, types, timeout=timeout)
