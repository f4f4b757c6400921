"""The worker: claims tasks, runs them on threads, heartbeats, rescues, stops gracefully.

Threads in one worker process:

* the dispatcher (the caller's thread) claims up to the number of free slots in one
  statement and starts one thread per task; it sleeps until woken by a NOTIFY (PostgreSQL),
  a commit of an enqueue in this process, a freed slot, or the poll interval;
* the supervisor heartbeats, enforces hard timeouts, notices lost leases (cancelled from
  the UI, rescued by another worker) and runs the periodic rescue sweep;
* the listener (PostgreSQL only) waits on ``LISTEN leadreel_tasks``.

Hard timeout, and why threads rather than a child process per task: LeadReel's long work
is in external processes (ffmpeg renders, chromium screenshots) and the handler registers
them with ``ctx.register_process``; at the deadline the worker records the attempt as
failed *first* (so a wedged handler cannot block the queue), then SIGKILLs those processes
(their whole group when started with ``start_new_session=True``) and raises ``TaskTimeout``
inside the handler's thread, which interrupts pure-Python loops too. What threads cannot
stop is a handler stuck inside one C call: its slot stays taken (logged as wedged) until
the call returns, and its late result is discarded by the lease check. A child process
per task would close that gap but costs ~0.3 s of interpreter start-up per task and loses
the shared connection pool; the no-op benchmark needs 1,000 tasks/s, so we keep threads
and keep long work in subprocesses where it can be killed.

Shutdown (SIGTERM/SIGINT or ``stop_event``): stop claiming, let running tasks finish
within ``grace_period``, then stop and release the rest (their attempt is not counted)
so another worker takes them. A second signal skips the grace period.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from leadreel.tasks import queue
from leadreel.tasks.completer import Completer
from leadreel.tasks.context import TaskCancelled, TaskContext
from leadreel.tasks.listen import Listener, add_local_wakeup, remove_local_wakeup
from leadreel.tasks.registry import REGISTRY, Registry, TaskType
from leadreel.tasks.retry import TaskTimeout

log = logging.getLogger("leadreel.tasks.worker")
TRACEBACK_CHARS = 3000
BUSY_BATCH_WAIT = 0.005  # seconds a busy dispatcher waits to claim for several slots at once


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def describe_error(exc: BaseException) -> str:
    """The message first (what the UI shows), then the tail of the traceback."""
    tb = "".join(traceback.format_exception(exc))[-TRACEBACK_CHARS:]
    return f"{type(exc).__name__}: {exc}\n\n{tb}"


def _raise_in_thread(thread: threading.Thread, exc_type: type[BaseException]) -> None:
    if thread.ident is not None and thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type)
        )


class Worker:
    """One worker process's queue consumer. Keyword-only options are checked here."""

    def __init__(
        self,
        engine: Engine,
        *,
        concurrency: int = 1,
        types: Sequence[str] | None = None,
        registry: Registry | None = None,
        poll_interval: float = 0.25,
        heartbeat_interval: float = 5.0,
        stale_after: float = 30.0,
        rescue_interval: float | None = None,
        grace_period: float = 30.0,
        listen: bool = True,
        settings: Any = None,
        worker_id: str | None = None,
    ) -> None:
        self.registry = registry or REGISTRY
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency!r}")
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be > 0, got {poll_interval!r}")
        if stale_after <= heartbeat_interval:
            raise ValueError(
                f"stale_after ({stale_after!r}) must exceed heartbeat_interval "
                f"({heartbeat_interval!r})"
            )
        names = list(types) if types else self.registry.names()
        unknown = [name for name in names if name not in self.registry.types]
        if unknown:
            raise ValueError(
                f"unknown task types: {', '.join(unknown)} "
                f"(registered: {', '.join(self.registry.names()) or 'none'})"
            )
        if not names:  # still useful: it heartbeats and rescues other workers' tasks
            log.warning("no task types are registered: this worker will claim nothing")
        self.engine = engine
        self.types = names
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.rescue_interval = rescue_interval or max(heartbeat_interval, stale_after / 2)
        self.grace_period = grace_period
        self.listen = listen and engine.dialect.name == "postgresql"
        self.settings = settings
        self.id = worker_id or new_worker_id()
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.hurry = threading.Event()
        self.running: dict[int, tuple[TaskContext, threading.Thread]] = {}
        self._lock = threading.Lock()
        self._claim_lock = threading.Lock()
        self.executed = 0
        self.completer = Completer(engine, self.registry)

    # -- lifecycle -------------------------------------------------------------------
    def request_stop(self, *, hurry: bool = False) -> None:
        """Stop claiming; with ``hurry`` also skip the grace period."""
        if hurry:
            self.hurry.set()
        self.stopping.set()
        self.wake.set()

    def run(self, stop_event: threading.Event | None = None) -> None:
        """Work until ``stop_event`` is set or ``request_stop`` is called; then shut down."""
        queue.register_worker(
            self.engine,
            self.id,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            types=self.types,
            concurrency=self.concurrency,
        )
        log.info(
            "worker %s started: types=%s concurrency=%d", self.id, self.types, self.concurrency
        )
        threads = [threading.Thread(target=self._supervise, name="task-supervisor", daemon=True)]
        listener = Listener(self.engine, self.wake) if self.listen else None
        if listener:
            threads.append(
                threading.Thread(
                    target=listener.run, args=(self.stopping,), name="task-listener", daemon=True
                )
            )
        add_local_wakeup(self.wake)
        self.completer.start()
        for thread in threads:
            thread.start()
        try:
            self._dispatch(stop_event)
        finally:
            self.request_stop()
            self._drain()
            self.completer.close()
            remove_local_wakeup(self.wake)
            for thread in threads:
                thread.join(timeout=5)
            queue.stop_worker(self.engine, self.id)
            log.info("worker %s stopped after %d tasks", self.id, self.executed)

    def _dispatch(self, stop_event: threading.Event | None) -> None:
        failures = 0
        while not self.stopping.is_set() and not (stop_event and stop_event.is_set()):
            free = self.concurrency - len(self.running)
            claimed: list[queue.ClaimedTask] = []
            if free > 0:
                with self._claim_lock:  # a claimed task is in ``running`` before a heartbeat
                    try:
                        claimed = queue.claim(self.engine, self.id, self.types, limit=free)
                        failures = 0
                    except DBAPIError:
                        failures += 1
                        log.exception("claim failed (%d in a row); retrying", failures)
                    for task in claimed:
                        self._start(task)
                if failures:
                    time.sleep(min(5.0, self.poll_interval * 2**failures))
            if free > 0 and len(claimed) == free:
                # Busy: the queue likely has more. Claim again once half the slots are free
                # (or soon), so one statement serves several tasks.
                self._wait_for_slots(max(1, self.concurrency // 2), BUSY_BATCH_WAIT)
                continue
            if self.wake.wait(self.poll_interval):
                self.wake.clear()

    def _wait_for_slots(self, wanted: int, max_wait: float) -> None:
        end = time.monotonic() + max_wait
        while self.concurrency - len(self.running) < wanted and not self.stopping.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            self.wake.wait(left)
            self.wake.clear()

    def _drain(self) -> None:
        """Let running tasks finish within the grace period, then release the rest."""
        end = time.monotonic() + self.grace_period
        while self.running and time.monotonic() < end and not self.hurry.is_set():
            time.sleep(0.05)
        with self._lock:
            leftovers = list(self.running.values())
        for ctx, thread in leftovers:
            ctx.stop("shutdown")
            _raise_in_thread(thread, TaskCancelled)
            if queue.release(self.engine, ctx.task):
                log.warning("released task %d (%s) at shutdown", ctx.id, ctx.task.type)
        for _ctx, thread in leftovers:
            thread.join(timeout=2)

    # -- one task --------------------------------------------------------------------
    def _start(self, task: queue.ClaimedTask) -> None:
        task_type = self.registry.get(task.type)
        ctx = TaskContext(
            task=task,
            engine=self.engine,
            settings=self.settings,
            deadline=time.monotonic() + task_type.timeout,
        )
        thread = threading.Thread(
            target=self._execute, args=(ctx, task_type), name=f"task-{task.id}", daemon=True
        )
        with self._lock:
            self.running[task.id] = (ctx, thread)
        thread.start()

    def _execute(self, ctx: TaskContext, task_type: TaskType) -> None:
        try:
            with self._guard(ctx):
                result = task_type.handler(ctx)
            ctx.finishing = True
            if ctx.cancelled.is_set():
                pass
            elif not ctx.used_session:
                self.completer.submit(ctx.task, result or {})
            elif not queue.finish(ctx.session, ctx.task, result or {}, registry=self.registry):
                log.warning("task %d finished but its lease was lost; result dropped", ctx.id)
        except BaseException as exc:  # noqa: BLE001 - every failure is recorded on the task
            ctx.finishing = True
            if not ctx.cancelled.is_set():
                try:
                    status = queue.fail(
                        self.engine,
                        ctx.task,
                        describe_error(exc),
                        permanent=task_type.retry.is_permanent(exc),
                        policy=task_type.retry,
                    )
                    log.info(
                        "task %d (%s) attempt %d failed -> %s: %s",
                        ctx.id,
                        ctx.task.type,
                        ctx.attempt,
                        status,
                        exc,
                    )
                except Exception:
                    log.exception("could not record the failure of task %d", ctx.id)
        finally:
            try:
                ctx.close()
            except BaseException:  # noqa: BLE001 - a late async exception must not leak the slot
                log.exception("closing task %d", ctx.id)
            with self._lock:
                self.running.pop(ctx.id, None)
                self.executed += 1
            self.wake.set()

    @contextmanager
    def _guard(self, ctx: TaskContext) -> Iterator[None]:
        """Marks the span where the supervisor may raise inside this thread."""
        ctx.in_handler = True
        try:
            yield
        finally:
            ctx.in_handler = False

    # -- supervisor ------------------------------------------------------------------
    def _supervise(self) -> None:
        next_beat = next_rescue = 0.0
        while not (self.stopping.is_set() and not self.running):
            now = time.monotonic()
            try:
                self._enforce_deadlines(now)
                if now >= next_beat:
                    next_beat = now + self.heartbeat_interval
                    self._beat()
                if now >= next_rescue and not self.stopping.is_set():
                    next_rescue = now + self.rescue_interval
                    rescued = queue.rescue_stale(self.engine, stale_after=self.stale_after)
                    if rescued:
                        log.warning("rescued tasks of stale workers: %s", rescued)
                        self.wake.set()
            except Exception:
                log.exception("worker supervisor step failed; will retry")
            time.sleep(0.1)

    def _beat(self) -> None:
        with self._lock:  # only tasks claimed before the heartbeat's query can be judged by it
            before = dict(self.running)
        with self._claim_lock:
            owned = queue.heartbeat(self.engine, self.id)
            with self._lock:
                here = set(self.running) | self.completer.in_flight()
        lost = [
            (c, t)
            for tid, (c, t) in before.items()
            if tid not in owned and not c.cancelled.is_set() and not c.finishing
        ]
        for ctx, thread in lost:
            log.warning("task %d was cancelled or rescued elsewhere; stopping it", ctx.id)
            self._interrupt(ctx, thread, "lost", TaskCancelled)
        # Owned in the database but run by no thread here (e.g. a claim whose reply was lost):
        # give them back. The lease check makes this a no-op for anything that just finished.
        for tid, (attempt, type_) in owned.items():
            if tid not in here:
                orphan = queue.ClaimedTask(
                    id=tid,
                    type=type_,
                    payload={},
                    attempt=attempt,
                    max_attempts=attempt,
                    priority=0,
                    worker_id=self.id,
                )
                if queue.release(self.engine, orphan):
                    log.warning("released task %d: owned by this worker but not running", tid)

    def _enforce_deadlines(self, now: float) -> None:
        with self._lock:
            late = [
                (c, t)
                for c, t in self.running.values()
                if now >= c.deadline and not c.cancelled.is_set()
            ]
        for ctx, thread in late:
            timeout = self.registry.get(ctx.task.type).timeout
            status = queue.fail(
                self.engine,
                ctx.task,
                f"TaskTimeout: killed after the hard timeout of {timeout:g}s",
                policy=self.registry.get(ctx.task.type).retry,
            )
            log.warning("task %d timed out after %gs -> %s", ctx.id, timeout, status)
            self._interrupt(ctx, thread, "timeout", TaskTimeout)
            self.wake.set()

    def _interrupt(
        self, ctx: TaskContext, thread: threading.Thread, reason: str, exc_type: type[BaseException]
    ) -> None:
        ctx.stop(reason)
        if ctx.in_handler:
            _raise_in_thread(thread, exc_type)


def worker_engine(url: str, concurrency: int) -> Engine:
    """The worker's engine: one pooled connection per slot plus the supervisor's and the
    dispatcher's; on PostgreSQL without ``pool_pre_ping`` (a round trip per checkout that a
    busy worker pays twice per task; a dead connection surfaces as a DBAPIError the loops
    already retry)."""
    from sqlalchemy import create_engine

    from leadreel.db import make_engine

    if url.startswith("sqlite"):
        return make_engine(url)
    return create_engine(url, pool_size=concurrency + 3, max_overflow=concurrency)


def run_worker(
    settings: Any,
    *,
    concurrency: int | None = None,
    types: Sequence[str] | None = None,
    stop_event: threading.Event | None = None,
    in_process: bool = False,
    engine: Engine | None = None,
    **options: Any,
) -> Worker:
    """Run a worker until stopped; the CLI's ``leadreel worker`` and ``leadreel run`` call this.

    ``in_process=True`` (a thread of ``leadreel run``) installs no signal handlers: the caller
    sets ``stop_event``. Otherwise SIGTERM/SIGINT stop it gracefully (twice: at once).
    ``options`` go to :class:`Worker` (heartbeat_interval, stale_after, grace_period, ...).
    """
    from leadreel.tasks.registry import load_task_modules

    load_task_modules()
    own_engine = engine is None
    concurrency = concurrency or int(getattr(settings, "worker_concurrency", 1) or 1)
    engine = engine or worker_engine(settings.resolved_database_url(), concurrency)
    options.setdefault("poll_interval", getattr(settings, "worker_poll_interval", 0.25))
    worker = Worker(engine, concurrency=concurrency, types=types, settings=settings, **options)
    previous: dict[signal.Signals, Any] = {}
    if not in_process and threading.current_thread() is threading.main_thread():

        def on_signal(signum: int, _frame: Any) -> None:  # noqa: ARG001
            log.info("signal %d: stopping (again to skip the grace period)", signum)
            worker.request_stop(hurry=worker.stopping.is_set())

        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        worker.run(stop_event)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if own_engine:
            engine.dispose()
    return worker
