"""Fixtures for the queue: a fresh SQLite file per test, one PostgreSQL database per session.

PostgreSQL tests need ``LEADREEL_TEST_DATABASE_URL`` (a server URL; a database
``leadreel_test_queue_<random>`` is created from it and dropped after the session).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from leadreel import migrate
from leadreel.db import make_engine
from tests.queue import handlers

ROOT = Path(__file__).resolve().parents[2]
PG_ENV = "LEADREEL_TEST_DATABASE_URL"


def prepare(url: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    handlers.metadata.create_all(engine)
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    prepare(url)
    return url


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)"
        )
    name = f"leadreel_test_queue_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        prepare(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    engine = make_engine(pg_server_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE processing_tasks, workers, queue_test_runs RESTART IDENTITY"))
    engine.dispose()
    return pg_server_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    eng = make_engine(pg_url)
    yield eng
    eng.dispose()


def start_worker(url: str, *args: str, log_path: Path | None = None) -> subprocess.Popen[bytes]:
    """A real worker subprocess running the test handlers."""
    cmd = [
        sys.executable,
        "-m",
        "leadreel.tasks",
        "worker",
        "--database-url",
        url,
        "--import-module",
        "tests.queue.handlers",
        "--heartbeat-interval",
        "0.5",
        "--stale-after",
        "2",
        "--poll-interval",
        "0.05",
        "--log-level",
        "WARNING",
        *args,
    ]
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=out, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
    finally:
        if log_path:
            out.close()
