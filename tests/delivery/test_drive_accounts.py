"""Connecting Drive accounts through Google's OAuth web flow (the real google-auth-oauthlib
against the fake), disconnecting, and who may do it."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import AppSetting, DriveAccount
from leadreel.security import SecretBox
from tests.conftest import PASSWORD
from tests.delivery.conftest import run_oauth


def test_connect_asks_offline_drive_file_with_state_and_pkce_and_stores_the_token_encrypted(
    app, admin_client, google, caplog
):
    caplog.set_level(logging.DEBUG)
    consent, done = run_oauth(admin_client, google)
    asked = {k: v[0] for k, v in parse_qs(urlsplit(consent).query).items()}
    assert asked["client_id"] == google.client_id
    assert asked["access_type"] == "offline"
    assert asked["scope"] == "https://www.googleapis.com/auth/drive.file"
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert len(asked["state"]) >= 20
    assert done.status_code == 302 and done.headers["Location"].endswith("/storage/")
    (token,) = google.refresh_tokens
    with app.app_context():
        account = db.session.scalar(select(DriveAccount))
        assert account.email == google.email and account.status == "connected"
        assert token.encode() not in account.encrypted_refresh_token
        box = SecretBox(app.config["SETTINGS"].resolved_encryption_key())
        assert box.decrypt(account.encrypted_refresh_token) == token
    page = admin_client.get("/storage/").get_data(as_text=True)
    assert google.email in page and "Connected" in page
    assert token not in page and token not in caplog.text


def test_a_callback_with_another_state_is_refused(app, admin_client, google):
    start = admin_client.post("/storage/connect")
    consent = start.headers["Location"]
    code = google.codes  # nothing issued yet: the attacker brings their own code and state
    assert not code
    forged = admin_client.get("/storage/oauth/callback?code=stolen&state=not-the-one")
    assert forged.status_code == 302
    page = admin_client.get("/storage/").get_data(as_text=True)
    assert "does not belong to this sign-in" in page
    with app.app_context():
        assert db.session.scalar(select(DriveAccount)) is None
    assert consent  # the real consent URL was built, just never answered


def test_google_error_answer_is_shown(admin_client):
    admin_client.post("/storage/connect")
    answer = admin_client.get("/storage/oauth/callback?error=access_denied&state=x")
    assert answer.status_code == 302
    assert "access_denied" in admin_client.get("/storage/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_only_admins_manage_storage(app, make_user, role):
    user = make_user(role)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/storage/").status_code == 403
    assert client.post("/storage/connect").status_code == 403
    assert client.get("/storage/oauth/callback?code=x&state=y").status_code == 403
    assert client.post("/storage/destination", data={"destination": "local"}).status_code == 403
    assert client.post("/storage/accounts/1/disconnect").status_code == 403


def test_disconnect_revokes_at_google_and_deletes_the_token(app, admin_client, google, account):
    (token,) = google.refresh_tokens
    response = admin_client.post(f"/storage/accounts/{account}/disconnect")
    assert response.status_code == 302
    assert google.refresh_tokens[token] is False  # revoked at Google
    assert google.count("POST", "/revoke") == 1
    with app.app_context():
        row = db.session.get(DriveAccount, account)
        assert row.encrypted_refresh_token is None and row.status == "disconnected"
        # it was the workspace destination: videos stay local now
        assert db.session.get(AppSetting, "storage.destination").value == "local"
    page = admin_client.get("/storage/").get_data(as_text=True)
    assert "The account is disconnected." in page
    assert 'data-testid="drive-accounts"' not in page  # no account listed any more


def test_page_says_how_to_configure_when_no_client_is_set(make_app, make_user):
    app = make_app()
    app.config["WTF_CSRF_ENABLED"] = False
    admin = make_user("admin")
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    page = client.get("/storage/").get_data(as_text=True)
    assert "LEADREEL_GOOGLE_CLIENT_ID" in page
    client.post("/storage/connect")
    assert "not configured" in client.get("/storage/").get_data(as_text=True)
