"""Samples first: the first N leads of a run render for approval, the rest are held.

Why hold in the queue rather than in a status of our own: the held renders are ordinary
task chains whose first step is due far in the future (``run_after`` beyond
``HELD_AFTER``, payload ``held`` with the run id and the sample video ids). Workers never
claim them; approving makes them due now in one UPDATE, rejecting cancels them and deletes
their never-rendered Video rows. No extra table, and the Tasks page shows them as waiting.

A run whose fan-out task is still creating its chains (RenderRun ``preparing``) is not
offered for a decision yet: approving half of it would leave the later half held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from leadreel.errors import NotFound, PermissionDenied, ValidationError
from leadreel.models import ProcessingTask, RenderRun, User, Video
from leadreel.services.permissions import can
from leadreel.services.videos.names import ACTIVE_STATUSES, HELD_AFTER, SCREENSHOT
from leadreel.tasks.listen import wake_on_commit
from leadreel.tasks.queue import notify


@dataclass
class HeldRun:
    """A samples-first run waiting for the user's decision."""

    run_id: str
    created_by_id: int | None
    held_count: int
    samples: list[Video]

    @property
    def samples_done(self) -> bool:
        return all(v.status not in ACTIVE_STATUSES for v in self.samples)


@dataclass(frozen=True)
class _Held:
    id: int
    payload: dict[str, Any]
    created_by_id: int | None


def _held_tasks(session: Session, run_id: str | None = None) -> list[_Held]:
    """Held first steps, read as (id, payload, creator) only: their ``next_task`` carries a
    template spec each, too heavy to load for thousands of held renders."""
    rows = session.execute(
        select(ProcessingTask.id, ProcessingTask.payload, ProcessingTask.created_by_id).where(
            ProcessingTask.type == SCREENSHOT,
            ProcessingTask.status == "pending",
            ProcessingTask.run_after >= HELD_AFTER,
        )
    )
    return [
        _Held(r.id, r.payload, r.created_by_id)
        for r in rows
        if (r.payload or {}).get("held") and (run_id is None or r.payload.get("run") == run_id)
    ]


def held_runs(session: Session, user: User) -> list[HeldRun]:
    """Runs whose samples wait for approval, that this user may decide on."""
    runs: dict[str, HeldRun] = {}
    held = _held_tasks(session)
    preparing = _preparing(session, {t.payload["run"] for t in held})
    for task in held:
        run_id = task.payload["run"]
        if run_id in preparing:
            continue
        if run_id not in runs:
            if not _may_decide(user, task.created_by_id):
                continue
            ids = [int(i) for i in task.payload.get("samples") or []]
            samples = list(session.scalars(select(Video).where(Video.id.in_(ids)))) if ids else []
            runs[run_id] = HeldRun(run_id, task.created_by_id, 0, samples)
        runs[run_id].held_count += 1
    return list(runs.values())


def _preparing(session: Session, run_ids: set[str]) -> set[str]:
    if not run_ids:
        return set()
    return set(
        session.scalars(
            select(RenderRun.id).where(
                RenderRun.id.in_(sorted(run_ids)), RenderRun.status == "preparing"
            )
        )
    )


def _may_decide(user: User, created_by_id: int | None) -> bool:
    return can(user, "renders.start") and (created_by_id == user.id or can(user, "leads.view_all"))


def _run_tasks(session: Session, user: User, run_id: str) -> list[_Held]:
    tasks = _held_tasks(session, run_id)
    if not tasks:
        raise NotFound("no renders are waiting for approval in this run")
    if not _may_decide(user, tasks[0].created_by_id):
        raise PermissionDenied("only the person who started this run (or a manager) may decide")
    if _preparing(session, {run_id}):
        raise ValidationError(
            "this run is still being prepared; decide once all its renders are queued"
        )
    return tasks


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def approve_samples(session: Session, user: User, run_id: str) -> int:
    """Release the held renders of a run (they become due now); the caller commits."""
    ids = [t.id for t in _run_tasks(session, user, run_id)]
    now = datetime.now(UTC)
    for chunk in _chunks(ids):
        session.execute(
            update(ProcessingTask)
            .where(ProcessingTask.id.in_(chunk), ProcessingTask.status == "pending")
            .values(run_after=now)
        )
    notify(session, SCREENSHOT)  # wake listening workers at commit
    wake_on_commit(session)  # and an in-process one
    return len(ids)


def reject_samples(session: Session, user: User, run_id: str) -> int:
    """Cancel the held renders of a run and drop their Video rows; the caller commits."""
    tasks = _run_tasks(session, user, run_id)
    now = datetime.now(UTC)
    for chunk in _chunks([t.id for t in tasks]):
        session.execute(
            update(ProcessingTask)
            .where(ProcessingTask.id.in_(chunk), ProcessingTask.status == "pending")
            .values(status="cancelled", finished_at=now, last_error="samples rejected by a user")
        )
    for chunk in _chunks([int(t.payload["video_id"]) for t in tasks]):
        session.execute(delete(Video).where(Video.id.in_(chunk), Video.status == "queued"))
    return len(tasks)
