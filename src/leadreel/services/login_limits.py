"""Failed-login limits, counted in the database: per account and address, and per address.

Why two keys: behind a proxy or an office NAT one address is everyone's. Keyed by address
alone, one person guessing would lock every colleague out; keyed by account and address
together (``login_rate_limit``, 10 per 5 minutes) a guesser is stopped without touching
the others, while a much higher ceiling per address alone (``login_rate_limit_per_address``,
100) still stops one address trying many accounts.

Why the database: several ``serve`` processes each counting in memory would each allow the
full count, and a restart would forget them. Each failure is a row per key in
``login_attempts``; a sliding window counts rows newer than ``now - window``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from leadreel.models import LoginAttempt, utcnow


@dataclass(frozen=True, kw_only=True)
class LoginLimiter:
    per_account: int = 10
    per_address: int = 100
    window: float = 300.0
    clock: Callable[[], datetime] = field(default=utcnow, compare=False)

    def __post_init__(self) -> None:
        if self.per_account < 1 or self.per_address < 1 or self.window <= 0:
            raise ValueError(
                f"limits must be >= 1 and window > 0, got {self.per_account}, "
                f"{self.per_address}, {self.window}"
            )

    @staticmethod
    def _keys(email: str, address: str) -> tuple[str, str]:
        email = email.strip().lower()[:320]
        return f"acct:{address}|{email}", f"addr:{address}"

    def _count(self, session: Session, key: str) -> int:
        since = self.clock() - timedelta(seconds=self.window)
        return (
            session.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.key == key, LoginAttempt.attempted_at > since)
            )
            or 0
        )

    def blocked(self, session: Session, email: str, address: str) -> bool:
        """True when this account from this address, or this address at all, is over its limit."""
        pair, addr = self._keys(email, address)
        return (
            self._count(session, pair) >= self.per_account
            or self._count(session, addr) >= self.per_address
        )

    def record_failure(self, session: Session, email: str, address: str) -> None:
        """Count a failed login under both keys and drop expired rows. The caller commits."""
        now = self.clock()
        session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.attempted_at <= now - timedelta(seconds=self.window)
            )
        )
        session.add_all(
            LoginAttempt(key=key, attempted_at=now) for key in self._keys(email, address)
        )

    def reset(self, session: Session, email: str, address: str) -> None:
        """A successful login clears its account+address count (not the address's). The
        caller commits."""
        pair, _ = self._keys(email, address)
        session.execute(delete(LoginAttempt).where(LoginAttempt.key == pair))
