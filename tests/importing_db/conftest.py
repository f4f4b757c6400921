"""Fixtures for the importer on a real database: a configured app per database, a CLI
runner pointed at it, sessions, and a fake task context to run the handler directly."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy.orm import Session

from leadreel.cli import main
from leadreel.extensions import db as _db

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLES = sorted(DATA.glob("*.csv"))


@pytest.fixture
def db_app(make_app: Callable[..., Flask], db_url: str) -> Flask:
    """An app on SQLite or PostgreSQL (the `db_url` fixture is parametrized over both)."""
    app = make_app(database_url=db_url)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def session(db_app: Flask) -> Iterator[Session]:
    # No app context held here: requests must push their own (flask-login caches in `g`).
    with _db.new_session() as s:
        yield s


@pytest.fixture
def settings(db_app: Flask) -> Any:
    return db_app.config["SETTINGS"]


@pytest.fixture
def cli(db_app: Flask, db_url: str, tmp_path: Path) -> Callable[..., Result]:
    """Invoke `leadreel ...` against the test database; asserts success unless told not to."""
    env = {
        "LEADREEL_DATA_DIR": str(tmp_path / "data"),
        "LEADREEL_DATABASE_URL": db_url,
        "LEADREEL_SECRET_KEY": "test-secret",
    }

    def run(*args: str, ok: bool = True) -> Result:
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def cli_json(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str, name: str = "leads.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@dataclass
class FakeTask:
    id: int = 1
    max_attempts: int = 3


@dataclass
class FakeContext:
    """What `import_csv` uses of a TaskContext: payload, engine, settings, progress."""

    payload: dict[str, Any]
    engine: Any
    settings: Any
    attempt: int = 1
    task: FakeTask = field(default_factory=FakeTask)
    progress: list[float] = field(default_factory=list)

    def set_progress(self, fraction: float, *, force: bool = False) -> None:
        self.progress.append(fraction)


@pytest.fixture
def db_user(db_app: Flask) -> Callable[..., Any]:
    """Create a user in `db_app`'s database (conftest's `make_user` builds a second app)."""
    import uuid

    from leadreel.services.setup import create_user

    def factory(role: str = "rep") -> Any:
        with _db.new_session() as s:
            user = create_user(
                s, f"{role}-{uuid.uuid4().hex[:6]}@example.com", "correct horse battery", role
            )
            s.commit()
            s.expunge(user)
            return user

    return factory
