"""The login limiter's sliding window, on a real database with a pinned clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from leadreel import migrate
from leadreel.db import make_engine
from leadreel.services.login_limits import LoginLimiter


@pytest.fixture
def session(tmp_path):
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_blocks_the_pair_after_its_limit_then_recovers(session):
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    limiter = LoginLimiter(per_account=2, per_address=5, window=60, clock=lambda: now[0])
    for _ in range(2):
        limiter.record_failure(session, "Ann@x.test", "1.2.3.4")
    session.commit()
    assert limiter.blocked(session, "ann@x.test", "1.2.3.4")
    assert not limiter.blocked(session, "bob@x.test", "1.2.3.4")  # same address, other account
    assert not limiter.blocked(session, "ann@x.test", "5.6.7.8")  # same account, other address
    now[0] += timedelta(seconds=61)
    assert not limiter.blocked(session, "ann@x.test", "1.2.3.4")


def test_address_ceiling_and_reset(session):
    limiter = LoginLimiter(per_account=10, per_address=3, window=60)
    for name in ("a", "b", "c"):
        limiter.record_failure(session, f"{name}@x.test", "9.9.9.9")
    assert limiter.blocked(session, "fresh@x.test", "9.9.9.9")
    limiter.reset(session, "a@x.test", "9.9.9.9")  # a success clears the pair, not the address
    assert limiter.blocked(session, "a@x.test", "9.9.9.9")


def test_rejects_bad_settings():
    with pytest.raises(ValueError, match="limits"):
        LoginLimiter(per_account=0)
