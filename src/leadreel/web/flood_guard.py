"""A small in-memory sliding-window limiter (per process): a flood guard, not an account lock.

The share page's event endpoint uses it against a script posting events in a loop; losing
its counts on a restart costs nothing. Login attempts are counted in the database instead
(:mod:`leadreel.services.login_limits`), where every process sees them.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        if limit < 1 or window_seconds <= 0:
            raise ValueError(f"limit must be >= 1 and window > 0, got {limit}, {window_seconds}")
        self.limit, self.window, self.clock = limit, window_seconds, clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str) -> deque[float]:
        hits, cutoff = self._hits[key], self.clock() - self.window
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._trim(key)) >= self.limit

    def hit(self, key: str) -> None:
        with self._lock:
            self._trim(key).append(self.clock())

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)
