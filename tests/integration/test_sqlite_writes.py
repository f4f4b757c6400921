"""A state-changing request on SQLite never fails with "database is locked" when a worker writes."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from leadreel.extensions import db
from leadreel.models import User


def test_post_request_and_worker_write_at_the_same_time(app, make_user):
    make_user("rep", email="a@example.com")
    errors: list[BaseException] = []

    def worker_writes() -> None:
        try:
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE users SET last_login_at = CURRENT_TIMESTAMP"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with app.test_request_context("/leads/1/edit", method="POST"):
        app.preprocess_request()
        user = db.session.scalar(select(User))  # the request reads first (like the login)
        worker = threading.Thread(target=worker_writes)
        worker.start()  # a worker writes meanwhile: it waits for the request's lock
        time.sleep(0.3)
        user.name = "request"
        db.session.commit()  # with a deferred BEGIN this raised "database is locked"
        worker.join(10)
    assert errors == []
    with app.app_context():
        assert db.session.scalar(select(User.name)) == "request"


def test_reserve_ids_holds_the_write_lock_until_commit(tmp_path) -> None:
    """Ids reserved for an import cannot be taken by another writer before its commit."""
    import sqlite3

    from sqlalchemy import text

    from leadreel.db import make_engine
    from leadreel.services.importing.writer import reserve_ids

    path = tmp_path / "lock.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE leads (id INTEGER PRIMARY KEY, x TEXT)"))
        conn.execute(text("INSERT INTO leads (x) VALUES ('a')"))
    other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    with engine.connect() as conn:
        with conn.begin():
            assert reserve_ids(conn, "leads", 5) == 2
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO leads (x) VALUES ('b')")
    other.execute("INSERT INTO leads (x) VALUES ('b')")  # after the commit it may write
    other.close()
    engine.dispose()
