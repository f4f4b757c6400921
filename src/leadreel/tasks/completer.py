"""Batched completion: many successes, one transaction, one fsync.

Why: on PostgreSQL a durable commit waits for a WAL flush (~3 ms on this class of
machine), so finishing each no-op task in its own transaction caps a worker at a few
hundred tasks/s however many threads it runs. Like River's completer, successes of
handlers that wrote nothing through ``ctx.session`` are queued here and finished together
every few milliseconds, each still checked against its lease. Handlers that did write
through ``ctx.session`` are finished in that session instead, atomically with their writes.

The cost: a worker killed in the few milliseconds before a flush leaves those tasks
running; the rescue sweep runs them again (the queue is at-least-once anyway).
"""

from __future__ import annotations

import logging
import queue as stdqueue
import threading
import time
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from leadreel.tasks.core import ClaimedTask
from leadreel.tasks.queue import finish_many
from leadreel.tasks.registry import Registry

log = logging.getLogger("leadreel.tasks.completer")


class Completer:
    """Collects ``(lease, result)`` and finishes them in batches on its own thread."""

    def __init__(
        self, engine: Engine, registry: Registry, *, max_wait: float = 0.005, max_batch: int = 200
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.max_wait = max_wait
        self.max_batch = max_batch
        self._items: stdqueue.SimpleQueue[tuple[ClaimedTask, dict[str, Any] | None]] = (
            stdqueue.SimpleQueue()
        )
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="task-completer", daemon=True)
        self.pending = 0
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread.start()

    def submit(self, lease: ClaimedTask, result: dict[str, Any] | None) -> None:
        with self._lock:
            self.pending += 1
            self._in_flight.add(lease.id)
        self._items.put((lease, result))

    def in_flight(self) -> set[int]:
        """Ids submitted and not yet flushed (the worker must not treat them as orphans)."""
        with self._lock:
            return set(self._in_flight)

    def close(self, timeout: float = 30.0) -> None:
        """Flush what is queued, then stop the thread."""
        self._closed.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                first = self._items.get(timeout=0.05)
            except stdqueue.Empty:
                if self._closed.is_set():
                    return
                continue
            batch = [first]
            end = time.monotonic() + self.max_wait
            while len(batch) < self.max_batch:
                left = end - time.monotonic()
                try:
                    batch.append(
                        self._items.get(timeout=left) if left > 0 else self._items.get_nowait()
                    )
                except stdqueue.Empty:
                    break
            self._flush(batch)

    def _flush(self, batch: list[tuple[ClaimedTask, dict[str, Any] | None]]) -> None:
        delay = 0.1
        while True:
            try:
                done = set(finish_many(self.engine, batch, registry=self.registry))
                break
            except DBAPIError:
                log.exception("finishing %d tasks failed; retrying in %.1fs", len(batch), delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        lost = [lease.id for lease, _ in batch if lease.id not in done]
        if lost:
            log.warning("tasks %s finished but their leases were lost; results dropped", lost)
        with self._lock:
            self.pending -= len(batch)
            self._in_flight.difference_update(lease.id for lease, _ in batch)
