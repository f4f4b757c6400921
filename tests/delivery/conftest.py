"""Fixtures for Drive delivery: a fake Google on https://127.0.0.1, an app pointed at it,
an admin who connected an account through the real OAuth flow, rendered videos, and a
real worker drained on a thread."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from leadreel.extensions import db as _db
from leadreel.models import (
    Company,
    DriveAccount,
    ImportBatch,
    Lead,
    User,
    Video,
)
from tests import worker_drain
from tests.conftest import PASSWORD
from tests.fakes.google_server import FakeGoogle


@pytest.fixture
def google(tmp_path: Path) -> Iterator[FakeGoogle]:
    with FakeGoogle(tmp_path / "tls") as fake:
        yield fake


@pytest.fixture
def app(make_app: Callable[..., Flask], google: FakeGoogle) -> Flask:
    app = make_app(**google.settings())
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("admin", email="boss@example.com")


@pytest.fixture
def admin_client(app: Flask, admin: User) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def run_oauth(client: FlaskClient, google: FakeGoogle) -> tuple[str, Any]:
    """Click "Connect", let the fake Google consent, follow its redirect back to the app.
    Returns the consent URL and the app's answer to the callback."""
    start = client.post("/storage/connect")
    assert start.status_code == 302, start.get_data(as_text=True)[:300]
    consent = start.headers["Location"]
    assert consent.startswith(google.url + "/o/oauth2/auth?")
    answer = requests.get(consent, allow_redirects=False, verify=str(google.cert), timeout=10)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/storage/oauth/callback"
    return consent, client.get(f"{back.path}?{back.query}")


@pytest.fixture
def account(app: Flask, admin_client: FlaskClient, google: FakeGoogle) -> int:
    """A connected account, chosen as the workspace's destination."""
    _, done = run_oauth(admin_client, google)
    assert done.status_code == 302
    with app.app_context():
        account_id = _db.session.scalar(select(DriveAccount.id))
    assert account_id is not None
    response = admin_client.post(
        "/storage/destination", data={"destination": f"drive:{account_id}"}
    )
    assert response.status_code == 302
    return account_id


@pytest.fixture
def rendered(app: Flask, tmp_path: Path) -> Callable[..., int]:
    """A lead (in a batch) with a rendered video: a file of random bytes in the data dir."""

    def make(
        owner: User | None = None,
        *,
        size: int = 700 * 1024,
        lead_id: int | None = None,
        batch: str = "Spring outreach",
    ) -> int:
        settings = app.config["SETTINGS"]
        with app.app_context():
            session = _db.session
            if lead_id is None:
                row = session.scalar(select(ImportBatch).where(ImportBatch.name == batch))
                if row is None:
                    row = ImportBatch(
                        name=batch,
                        filename="x.csv",
                        stored_path="x.csv",
                        owner_id=owner.id if owner else None,
                    )
                    session.add(row)
                    session.flush()
                company = Company(
                    name="Acme", name_key=f"acme-{os.urandom(3).hex()}", domain="acme.test"
                )
                session.add(company)
                session.flush()
                lead = Lead(
                    first_name="Ann",
                    last_name="Lee",
                    company_id=company.id,
                    batch_id=row.id,
                    owner_id=owner.id if owner else None,
                )
                session.add(lead)
                session.flush()
                lead_id = lead.id
            video = Video(lead_id=lead_id, status="rendered", progress=1.0)
            session.add(video)
            session.flush()
            path = settings.data_dir / "videos" / str(lead_id) / str(video.id) / "video.mp4"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(size))
            video.file_path = str(path)
            session.commit()
            return video.id

    return make


def video(app: Flask, video_id: int) -> Video:
    with app.app_context():
        row = _db.session.get(Video, video_id)
        assert row is not None
        _db.session.expunge(row)
        return row


def drain(app: Flask, types: tuple[str, ...] = ("upload_video",), timeout: float = 60.0) -> None:
    """A real worker on a thread until no due task of ``types`` is pending or running."""
    worker_drain.drain(app, types, timeout=timeout)
