"""An upload over the size limit gets the app's own message naming the limit (HTML and JSON),
with CSRF on, as in production: the CSRF check reads the form before any view runs."""

from __future__ import annotations

import io
import re

import pytest
from tests.conftest import PASSWORD

from leadreel.extensions import db as _db
from leadreel.services.setup import create_user


@pytest.fixture
def small_app(make_app):  # type: ignore[no-untyped-def]
    app = make_app(max_upload_mb=1)
    with app.app_context():
        create_user(_db.session, "rep@example.com", PASSWORD, "rep")
        _db.session.commit()
    return app


def _logged_in(app):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": "rep@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    page = client.get("/imports/").get_data(as_text=True)
    return client, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _upload(client, token, **headers):  # type: ignore[no-untyped-def]
    big = b"Name,Email\n" + b"Ann Lee,ann@example.com\n" * 60_000  # about 1.4 MB
    return client.post(
        "/imports/upload",
        data={"csrf_token": token, "file": (io.BytesIO(big), "big.csv")},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_too_large_upload_page_names_the_limit(small_app) -> None:  # type: ignore[no-untyped-def]
    client, token = _logged_in(small_app)
    response = _upload(client, token)
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "larger than the 1 MB limit" in page and "LEADREEL_MAX_UPLOAD_MB" in page
    assert "Request Entity Too Large" not in page


def test_too_large_upload_json_names_the_limit(small_app) -> None:  # type: ignore[no-untyped-def]
    client, token = _logged_in(small_app)
    response = _upload(client, token, Accept="application/json")
    assert response.status_code == 413
    body = response.get_json()
    assert body["error"] == "file_too_large" and body["limit_mb"] == 1
    assert "1 MB" in body["message"]
