"""What a handler receives: its task, a deadline, progress, a session, and its subprocesses.

Why a context object instead of arguments: the worker must be able to stop a task from the
outside (hard timeout, cancel from the UI, shutdown). The context is the channel: the
handler registers the processes it starts (ffmpeg, chromium) so the worker can kill them,
reports progress through it (which also tells the handler when it lost its lease), and
may check ``ctx.cancelled`` between steps of pure-Python work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from leadreel.tasks.core import ClaimedTask, set_progress
from leadreel.tasks.retry import TaskError, TaskTimeout

PROGRESS_EVERY = 0.5  # seconds between progress writes; the UI polls about once a second


class TaskCancelled(TaskError):
    """The task was cancelled, rescued elsewhere or released at shutdown: stop working."""


@dataclass(eq=False)
class TaskContext:
    """One attempt of one task. ``deadline`` is on the ``time.monotonic()`` clock."""

    task: ClaimedTask
    engine: Engine
    deadline: float
    settings: Any = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    #: Why ``cancelled`` was set: "timeout", "cancelled", "lost" or "shutdown".
    stop_reason: str | None = None
    #: True while the handler runs: only then may the worker raise inside its thread.
    in_handler: bool = False
    #: True once the handler returned or raised: the outcome is being recorded.
    finishing: bool = False
    _processes: list[subprocess.Popen[Any]] = field(default_factory=list)
    _session: Session | None = None
    _last_progress: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def id(self) -> int:
        return self.task.id

    @property
    def payload(self) -> dict[str, Any]:
        return self.task.payload

    @property
    def attempt(self) -> int:
        return self.task.attempt

    def remaining(self) -> float:
        """Seconds until the hard timeout; pass it as the timeout of blocking calls."""
        return max(0.0, self.deadline - time.monotonic())

    @property
    def session(self) -> Session:
        """A session of the worker's engine. Left uncommitted, its writes commit with the success.

        On SQLite keep its transactions short (commit before long work): an open write
        transaction holds the database's single write lock.
        """
        if self._session is None:
            self._session = Session(self.engine, expire_on_commit=False)
        return self._session

    @property
    def used_session(self) -> bool:
        """Whether the handler opened ``ctx.session`` (its writes then commit with the success)."""
        return self._session is not None

    def set_progress(self, fraction: float, *, force: bool = False) -> None:
        """Report progress in [0, 1] (throttled); raises ``TaskCancelled`` if the lease is gone."""
        self.check()
        now = time.monotonic()
        if not force and fraction < 1.0 and now - self._last_progress < PROGRESS_EVERY:
            return
        self._last_progress = now
        if not set_progress(self.engine, self.task, fraction):
            self.stop("lost")
            raise TaskCancelled(f"task {self.id} is no longer owned by this worker")

    def check(self) -> None:
        """Raise if the worker asked this task to stop; call it between steps of long work."""
        if self.cancelled.is_set():
            if self.stop_reason == "timeout":
                raise TaskTimeout(f"task {self.id} passed its hard timeout")
            raise TaskCancelled(f"task {self.id} stopped: {self.stop_reason}")

    def register_process(self, process: subprocess.Popen[Any]) -> subprocess.Popen[Any]:
        """Have the worker kill ``process`` (and its group, if it leads one) if it must stop."""
        with self._lock:
            self._processes.append(process)
        if self.cancelled.is_set():
            self.kill_processes()
        return process

    def stop(self, reason: str) -> None:
        """Ask the task to stop and kill its processes (called by the worker)."""
        if self.stop_reason is None:
            self.stop_reason = reason
        self.cancelled.set()
        self.kill_processes()

    def kill_processes(self) -> None:
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            if process.poll() is not None:
                continue
            try:
                if os.getpgid(process.pid) == process.pid:  # started with start_new_session
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    process.kill()
            except (ProcessLookupError, PermissionError):
                pass

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
