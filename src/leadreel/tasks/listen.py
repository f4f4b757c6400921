"""Wake-ups: PostgreSQL LISTEN/NOTIFY between processes, a commit hook within one process.

Why both: on PostgreSQL ``enqueue`` issues ``pg_notify`` in the caller's transaction, so
the notification is delivered exactly when the task becomes visible, to every worker on
every machine. SQLite has no NOTIFY; there the workers poll, and an in-process worker
(``leadreel run``) is also woken directly when a session that enqueued commits, so the
embedded default picks a task up at once too.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

log = logging.getLogger("leadreel.tasks.listen")

_local_wakeups: set[threading.Event] = set()
_local_lock = threading.Lock()


def add_local_wakeup(wake: threading.Event) -> None:
    with _local_lock:
        _local_wakeups.add(wake)


def remove_local_wakeup(wake: threading.Event) -> None:
    with _local_lock:
        _local_wakeups.discard(wake)


def _wake_local(_session: Session) -> None:
    with _local_lock:
        for wake in _local_wakeups:
            wake.set()


def wake_on_commit(session: Session) -> None:
    """Wake this process's workers when ``session`` next commits (once per session)."""
    if not session.info.get("leadreel_wake_hook"):
        session.info["leadreel_wake_hook"] = True
        event.listen(session, "after_commit", _wake_local)


class Listener:
    """``LISTEN leadreel_tasks`` on its own autocommit connection; sets ``wake`` per NOTIFY."""

    def __init__(self, engine: Engine, wake: threading.Event, channel: str = "leadreel_tasks"):
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self.wake = wake
        self.channel = channel

    def run(self, stopping: threading.Event) -> None:
        """Listen until ``stopping``; reconnect after errors (polling covers the gap)."""
        import psycopg

        while not stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {self.channel}")
                    self.wake.set()  # anything committed before LISTEN: look once
                    while not stopping.is_set():
                        for _notify in conn.notifies(timeout=0.5):
                            self.wake.set()
            except psycopg.Error:
                log.warning("LISTEN connection failed; polling until it is back", exc_info=True)
                stopping.wait(1.0)
