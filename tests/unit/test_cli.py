"""The leadreel command's set-up and user management."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from leadreel.cli import main


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADREEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LEADREEL_SECRET_KEY", "cli-test")
    yield CliRunner()
    from leadreel.extensions import db

    db.dispose()


def test_init_and_users(runner):
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        main,
        [
            "users",
            "create",
            "--email",
            "Boss@Example.com",
            "--password",
            "longpassword",
            "--role",
            "admin",
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        main, ["users", "set-role", "--email", "boss@example.com", "--role", "manager"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["users", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"id": 1, "email": "boss@example.com", "role": "manager", "active": True}
    ]


def test_users_create_rejects_bad_input(runner):
    result = runner.invoke(
        main, ["users", "create", "--email", "x@example.com", "--password", "short"]
    )
    assert result.exit_code != 0 and "at least 8" in result.output
    result = runner.invoke(
        main,
        [
            "users",
            "create",
            "--email",
            "x@example.com",
            "--password",
            "longenough",
            "--role",
            "god",
        ],
    )
    assert result.exit_code != 0


def test_demo_prints_logins_and_is_idempotent(runner):
    first = runner.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.leadreel.local" in first.output
    second = runner.invoke(main, ["demo"])
    assert second.exit_code == 0, second.output
    users = json.loads(runner.invoke(main, ["users", "list", "--json"]).output)
    assert sorted(u["role"] for u in users) == ["admin", "manager", "rep"]
