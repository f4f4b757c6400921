from __future__ import annotations

import pytest

from leadreel.web.ratelimit import RateLimiter


def test_blocks_after_limit_then_recovers():
    now = [0.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    limiter.hit("a")
    assert not limiter.blocked("a")
    limiter.hit("a")
    assert limiter.blocked("a") and not limiter.blocked("b")
    now[0] = 61
    assert not limiter.blocked("a")


def test_rejects_bad_settings():
    with pytest.raises(ValueError, match="limit"):
        RateLimiter(0, 60)
