"""The login limiter behind a proxy: keyed by account and address, a ceiling per address,
counts in the database shared by app instances and kept across restarts; ProxyFix gives
X-Forwarded-For's address only when LEADREEL_PROXY_HOPS trusts a proxy."""

from __future__ import annotations

from tests.conftest import PASSWORD

from leadreel.extensions import db
from leadreel.services.setup import create_user


def users(app, *emails: str) -> None:
    with app.app_context():
        for email in emails:
            create_user(db.session, email, PASSWORD, "rep")
        db.session.commit()


def attempt(client, email: str, password: str = "bad-guess", ip: str | None = None) -> int:
    headers = {"X-Forwarded-For": ip} if ip else {}
    response = client.post("/login", data={"email": email, "password": password}, headers=headers)
    client.post("/logout", data={})
    client.delete_cookie("session")
    return response.status_code


def app_for(make_app, **overrides):
    app = make_app(**overrides)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_one_person_guessing_does_not_lock_out_another_account_from_the_same_address(make_app):
    app = app_for(make_app)
    users(app, "alice@example.com", "bob@example.com")
    client = app.test_client()
    for _ in range(10):
        assert attempt(client, "alice@example.com") == 401
    assert attempt(client, "alice@example.com", PASSWORD) == 429  # even the right password
    assert attempt(client, "bob@example.com", PASSWORD) == 302  # a colleague behind the same NAT


def test_one_address_trying_many_accounts_meets_the_address_ceiling(make_app):
    app = app_for(make_app, login_rate_limit=3, login_rate_limit_per_address=8)
    users(app, "carol@example.com")
    client = app.test_client()
    for i in range(8):
        assert attempt(client, f"guess{i}@example.com") == 401
    assert attempt(client, "carol@example.com", PASSWORD) == 429


def test_two_app_instances_share_counts_and_a_restart_forgets_none(make_app, db_url):
    first = app_for(make_app, login_rate_limit=6, database_url=db_url)
    users(first, "dave@example.com")
    for _ in range(3):
        assert attempt(first.test_client(), "dave@example.com") == 401
    # another `serve` process on the same database
    second = app_for(make_app, login_rate_limit=6, database_url=db_url)
    for _ in range(3):
        assert attempt(second.test_client(), "dave@example.com") == 401
    assert attempt(first.test_client(), "dave@example.com", PASSWORD) == 429
    restarted = app_for(make_app, login_rate_limit=6, database_url=db_url)
    assert attempt(restarted.test_client(), "dave@example.com", PASSWORD) == 429


def test_forwarded_address_is_ignored_without_trusted_hops(make_app):
    app = app_for(make_app, login_rate_limit=3)
    users(app, "erin@example.com")
    client = app.test_client()
    for i in range(3):  # a forged header per attempt does not buy more guesses
        assert attempt(client, "erin@example.com", ip=f"10.0.0.{i}") == 401
    assert attempt(client, "erin@example.com", PASSWORD, ip="10.0.0.99") == 429


def test_with_one_trusted_hop_the_client_address_and_scheme_come_from_the_proxy(make_app):
    app = app_for(make_app, login_rate_limit=3, proxy_hops=1)
    users(app, "frank@example.com")
    client = app.test_client()
    for _ in range(3):
        assert attempt(client, "frank@example.com", ip="203.0.113.7") == 401
    assert attempt(client, "frank@example.com", PASSWORD, ip="203.0.113.7") == 429
    assert attempt(client, "frank@example.com", PASSWORD, ip="198.51.100.2") == 302


def test_proxy_fix_gives_the_forwarded_address_scheme_and_host_only_with_hops(make_app):
    forwarded = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "videos.example.com",
    }
    for hops, expected in (
        (1, {"addr": "203.0.113.7", "url": "https://videos.example.com/login"}),
        (0, {"addr": "127.0.0.1", "url": "http://localhost/login"}),
    ):
        app = app_for(make_app, proxy_hops=hops)
        seen: dict[str, str] = {}

        @app.get("/_whoami")
        def whoami(seen: dict[str, str] = seen):  # type: ignore[no-untyped-def]
            from flask import request, url_for

            seen.update(addr=request.remote_addr, url=url_for("auth.login", _external=True))
            return "ok"

        assert app.test_client().get("/_whoami", headers=forwarded).status_code == 200
        assert seen == expected
