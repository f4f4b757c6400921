"""`leadreel storage list | use | rotate-key`, run as an operator would (settings from the
environment), and the MultiFernet key list behind rotate-key."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select

from leadreel.app import create_app
from leadreel.cli import main
from leadreel.extensions import db
from leadreel.models import AppSetting, DriveAccount, ImportBatch
from leadreel.security import SecretBox

TOKEN = "1//refresh-token-that-must-never-show"
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADREEL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LEADREEL_SECRET_KEY", "cli-test")
    monkeypatch.setenv("LEADREEL_ENCRYPTION_KEY", OLD)
    create_app()
    with db.new_session() as session:
        session.add(
            DriveAccount(
                email="owner@example.com", encrypted_refresh_token=SecretBox(OLD).encrypt(TOKEN)
            )
        )
        session.add(
            AppSetting(
                key="secret.example",
                value=SecretBox(OLD).encrypt("s3cret").decode(),
                encrypted=True,
            )
        )
        session.add(ImportBatch(name="Q1", filename="q1.csv", stored_path="q1.csv"))
        session.commit()
    yield CliRunner()
    db.dispose()


def stored() -> tuple[bytes, str, str | None]:
    with db.new_session() as session:
        account = session.scalar(select(DriveAccount))
        setting = session.get(AppSetting, "secret.example")
        batch = session.scalar(select(ImportBatch))
        return account.encrypted_refresh_token, setting.value, batch.storage_destination


def test_list_and_use(runner):
    result = runner.invoke(main, ["storage", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["destination"] == "local"
    assert [(a["email"], a["status"]) for a in data["accounts"]] == [
        ("owner@example.com", "connected")
    ]
    assert TOKEN not in result.output

    result = runner.invoke(main, ["storage", "use", "drive:Owner@Example.com"])
    assert result.exit_code == 0, result.output
    assert "drive:owner@example.com" in result.output
    result = runner.invoke(main, ["storage", "use", "local", "--batch", "Q1"])
    assert result.exit_code == 0, result.output
    assert stored()[2] == "local"
    data = json.loads(runner.invoke(main, ["storage", "list", "--json"]).output)
    assert data["destination"] == "drive:owner@example.com" and data["accounts"][0]["is_default"]
    assert data["batches"] == [{"batch": "Q1", "id": 1, "destination": "local"}]
    text = runner.invoke(main, ["storage", "list"]).output
    assert "Videos go to: drive:owner@example.com" in text and TOKEN not in text

    result = runner.invoke(main, ["storage", "use", "default", "--batch", "Q1"])
    assert result.exit_code == 0 and stored()[2] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["drive:nobody@example.com"], "no connected Drive account"),
        (["ftp:somewhere"], "use `local` or `drive:ACCOUNT_EMAIL`"),
        (["local", "--batch", "Nope"], "0 batches are named 'Nope'"),
    ],
)
def test_use_refuses_bad_input_clearly(runner, args, message):
    result = runner.invoke(main, ["storage", "use", *args])
    assert result.exit_code != 0 and message in result.output


def test_rotate_key_re_encrypts_every_secret_with_the_newest_key(runner, monkeypatch):
    monkeypatch.setenv("LEADREEL_ENCRYPTION_KEY", f"{NEW},{OLD}")  # new key first, old kept
    result = runner.invoke(main, ["storage", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "1 Drive token(s) and 1 secret setting(s)" in result.output
    token, setting, _ = stored()
    assert SecretBox(NEW).decrypt(token) == TOKEN
    assert SecretBox(NEW).decrypt(setting.encode()) == "s3cret"
    with pytest.raises(ValueError):
        SecretBox(OLD).decrypt(token)  # the old key can be dropped now


def test_rotate_key_without_the_old_key_changes_nothing(runner, monkeypatch):
    before = stored()
    monkeypatch.setenv("LEADREEL_ENCRYPTION_KEY", NEW)
    result = runner.invoke(main, ["storage", "rotate-key"])
    assert result.exit_code != 0
    assert "list the old key after the new one" in result.output
    assert stored() == before


def test_secret_box_key_list_decrypts_old_and_encrypts_with_the_first():
    old_token = SecretBox(OLD).encrypt("x")
    both = SecretBox(f"{NEW}, {OLD}")
    assert both.decrypt(old_token) == "x"
    assert SecretBox(NEW).decrypt(both.encrypt("y")) == "y"
    assert SecretBox("not-a-fernet-key,").decrypt(SecretBox("not-a-fernet-key").encrypt("z")) == "z"
    assert "hidden" in repr(both)
