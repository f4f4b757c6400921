"""Retry policy: how long to wait before the next attempt, and which errors are worth one.

Why an object: each task type states its policy once (the backoff base, a cap, how much
jitter, which exceptions retry) and the queue applies it without knowing the handler. The
jitter spreads retries of tasks that failed together (a provider outage) so they do not
all come back in the same second.

Exceptions::

    TaskError            base of what a handler may raise on purpose
    ├── PermanentError   bad input: fail at once, never retry (a missing file, a bad CSV)
    └── TaskTimeout      the hard timeout fired (raised inside the handler's thread)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta


class TaskError(Exception):
    """Base of the errors a handler raises on purpose."""


class PermanentError(TaskError):
    """The input is bad: retrying cannot help, so the task fails on this attempt."""


class TaskTimeout(TaskError):
    """The task ran past its hard timeout; counts as a failed attempt."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Exponential backoff ``base * 2**(attempt-1)`` capped at ``cap`` seconds, with jitter.

    ``jitter`` is the fraction of the delay that is random: 0.5 waits between half and
    all of the computed delay. ``retry_on`` lists the errors that retry; anything in
    ``permanent`` (checked first) fails at once.
    """

    base: float = 2.0
    cap: float = 600.0
    jitter: float = 0.5
    retry_on: tuple[type[BaseException], ...] = (Exception,)
    permanent: tuple[type[BaseException], ...] = field(default=(PermanentError,))

    def __post_init__(self) -> None:
        if self.base < 0:
            raise ValueError(f"RetryPolicy.base must be >= 0, got {self.base!r}")
        if self.cap < self.base:
            raise ValueError(f"RetryPolicy.cap must be >= base ({self.base!r}), got {self.cap!r}")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"RetryPolicy.jitter must be within [0, 1], got {self.jitter!r}")

    def is_permanent(self, exc: BaseException) -> bool:
        """True when ``exc`` should fail the task without another attempt."""
        return isinstance(exc, self.permanent) or not isinstance(exc, self.retry_on)

    def should_retry(self, exc: BaseException, attempt: int, max_attempts: int) -> bool:
        """True when attempt number ``attempt`` (1-based), failing with ``exc``, earns another."""
        return attempt < max_attempts and not self.is_permanent(exc)

    def delay(self, attempt: int, rng: random.Random | None = None) -> timedelta:
        """Wait before the attempt after ``attempt`` (1-based)."""
        if attempt < 1:
            raise ValueError(f"attempt is 1-based, got {attempt!r}")
        raw = min(self.cap, self.base * 2 ** min(attempt - 1, 62))
        r = (rng or random).random()
        return timedelta(seconds=raw * (1 - self.jitter) + raw * self.jitter * r)


DEFAULT_POLICY = RetryPolicy()
