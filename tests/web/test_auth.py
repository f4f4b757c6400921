"""Login, logout, CSRF, rate limiting, cookies and headers."""

from __future__ import annotations

import re

import pytest
from tests.conftest import PASSWORD


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="email"' in response.data and b'name="password"' in response.data


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_and_logout(client, make_user):
    user = make_user("rep")
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused(client, make_user):
    user = make_user("rep")
    response = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    assert response.status_code == 401
    assert b"Wrong email or password" in response.data
    assert client.get("/").status_code == 302


def test_deactivated_user_cannot_log_in(app, client, make_user):
    from leadreel.extensions import db
    from leadreel.models import User

    user = make_user("rep")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    )


def test_password_is_argon2_hashed(app, make_user):
    from leadreel.extensions import db
    from leadreel.models import User

    user = make_user("rep")
    with app.app_context():
        stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_open_redirect_is_refused(client, make_user):
    user = make_user("rep")
    response = client.post(
        "/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_login_rate_limited(make_app, make_user):
    app = make_app(login_rate_limit=3)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    from leadreel.extensions import db
    from leadreel.services.setup import create_user

    with app.app_context():
        create_user(db.session, "victim@example.com", PASSWORD, "rep")
        db.session.commit()
    for _ in range(3):
        assert (
            client.post(
                "/login", data={"email": "victim@example.com", "password": "bad-guess"}
            ).status_code
            == 401
        )
    blocked = client.post("/login", data={"email": "victim@example.com", "password": PASSWORD})
    assert blocked.status_code == 429


def test_csrf_required_on_forms(make_app):
    app = make_app()  # CSRF on
    client = app.test_client()
    assert (
        client.post("/login", data={"email": "a@b.c", "password": "whatever1"}).status_code == 400
    )
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"email": "a@b.c", "password": "whatever1", "csrf_token": token}
    )
    assert response.status_code == 401  # got past CSRF, failed on credentials


def test_logout_needs_csrf(make_app):
    from leadreel.extensions import db
    from leadreel.services.setup import create_user

    app = make_app()
    client = app.test_client()
    with app.app_context():
        create_user(db.session, "u@example.com", PASSWORD, "rep")
        db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert (
        client.post(
            "/login", data={"email": "u@example.com", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_session_cookie_flags(make_app, make_user):
    app = make_app(session_cookie_secure=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    from leadreel.extensions import db
    from leadreel.services.setup import create_user

    with app.app_context():
        create_user(db.session, "c@example.com", PASSWORD, "rep")
        db.session.commit()
    response = client.post("/login", data={"email": "c@example.com", "password": PASSWORD})
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/imports/", "/videos/", "/exports/", "/chat/"])
def test_pages_render_for_rep_without_external_links(client, make_user, login, path):
    login(make_user("rep"))
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html), "pages must not load anything external"
