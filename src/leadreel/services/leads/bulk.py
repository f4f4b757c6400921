"""Bulk actions on a lead Selection: the click records one task, the worker does the work.

Why a task for everything: "all 100,000 matching" must return at once. The request checks
what can fail the click (role, named leads and batch are the user's, the target user or
batch exists, how many leads), freezes the selection at the newest lead id (leads
imported after the click are not part of it) and enqueues one ``leads_bulk`` task. The
task walks the selection in id order, ``CHUNK`` leads per committed transaction, with
the requesting user's scope re-applied as it is then (a rep never touches another rep's
lead, whatever the filter). Every action is idempotent, so a retried task just finishes.

Delete has an undo window: its task is enqueued ``UNDO_SECONDS`` in the future, and
"Undo" cancels it while it is still pending (:func:`undo`).

Renders go through ``services.videos.pipeline.queue_renders`` (a RenderRun and its own
fan-out task), uploads through ``services.delivery.uploads`` and exports through the
Exports page and its service (recorded, with their own background task): the same
services the other pages use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from leadreel.errors import NotFound, PermissionDenied, ValidationError
from leadreel.models import DriveAccount, ImportBatch, Lead, ProcessingTask, User
from leadreel.services.delivery import uploads
from leadreel.services.leads import selection as sel
from leadreel.services.leads.overview import count_capped, forget_totals
from leadreel.services.leads.selection import Selection
from leadreel.services.permissions import can, require
from leadreel.tasks.context import TaskContext
from leadreel.tasks.queue import enqueue, utcnow
from leadreel.tasks.registry import PRIORITY_IMPORT, task_type
from leadreel.tasks.retry import PermanentError
from leadreel.tasks.status import cancel

BULK_TASK = "leads_bulk"
#: Access type each queued action needs (render and upload have their own services).
ACCESS = {
    "assign": "leads.assign",
    "tag": "leads.edit",
    "batch": "leads.edit",
    "delete": "leads.delete",
}
UNDO_SECONDS = 20
CHUNK = 1_000
MAX_BULK = 1_000_000


@dataclass(frozen=True)
class Started:
    """What the click queued: the task, how many leads, and until when it can be undone."""

    task_id: int
    action: str
    count: int
    undo_until: datetime | None = None


def _params(session: Session, user: User, action: str, params: dict[str, Any]) -> dict[str, Any]:
    if action == "assign":
        owner = session.get(User, int(params.get("owner_id") or 0))
        if owner is None or not owner.active:
            raise ValidationError("choose an active user to assign the leads to")
        return {"owner_id": owner.id}
    if action == "tag":
        tag = str(params.get("tag") or "").strip()[:100]
        return {"tag": tag or None}
    if action == "batch":
        batch = session.get(ImportBatch, int(params.get("batch_id") or 0))
        if batch is None or not can(user, "leads.edit", batch):
            raise ValidationError("choose one of your batches")
        return {"batch_id": batch.id}
    if action == "delete" and params.get("delete_batch"):
        return {"delete_batch": int(params["delete_batch"])}
    return {}


def start(
    session: Session,
    user: User,
    selection: Selection,
    action: str,
    params: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> Started:
    """Check and queue ``action`` on the selection; the caller commits."""
    if action not in ACCESS:
        raise ValidationError(f"unknown bulk action {action!r}")
    access = ACCESS[action]
    require(user, access)
    sel.check_access(session, user, selection, access)
    clean = _params(session, user, action, params or {})
    found = count_capped(session, user, selection, cap=MAX_BULK)
    if found.value == 0:
        raise ValidationError("no leads match this selection")
    if not found.exact:
        raise ValidationError(f"more than {MAX_BULK:,} leads selected; narrow the selection")
    if not selection.lead_ids:
        newest = session.scalar(select(func.max(Lead.id)))
        selection = dataclasses.replace(selection, max_lead_id=newest)
    now = now or utcnow()
    undo_until = now + timedelta(seconds=UNDO_SECONDS) if action == "delete" else None
    task = enqueue(
        session,
        BULK_TASK,
        {
            "action": action,
            "selection": selection.to_json(),
            "params": clean,
            "user_id": user.id,
            "count": found.value,
        },
        force=True,
        run_after=undo_until,
        created_by_id=user.id,
        now=now,
    )
    assert task is not None
    session.flush()
    return Started(task.id, action, found.value, undo_until)


def get_task(session: Session, user: User, task_id: int) -> ProcessingTask:
    """A bulk task the user started (managers see all); NotFound otherwise."""
    task = session.get(ProcessingTask, task_id)
    if task is None or task.type != BULK_TASK:
        raise NotFound(f"bulk action {task_id} not found")
    if task.created_by_id != user.id and not can(user, "tasks.view"):
        raise NotFound(f"bulk action {task_id} not found")
    return task


def undo(session: Session, user: User, task_id: int) -> bool:
    """Cancel a bulk action that has not started (the delete's undo window); the caller
    commits. False when it already ran."""
    task = get_task(session, user, task_id)
    if task.created_by_id != user.id:
        raise PermissionDenied("only the user who started it may undo it")
    return task.status == "pending" and cancel(session, task.id)


def upload_available(session: Session) -> bool:
    """Whether a Drive account is connected (the upload action shows only then)."""
    connected = select(DriveAccount.id).where(DriveAccount.status == "connected").limit(1)
    return session.scalar(connected) is not None


def queue_upload(session: Session, user: User, selection: Selection) -> uploads.UploadOutcome:
    """Queue Drive uploads of the selection's rendered videos (the delivery service)."""
    return uploads.start_uploads(session, user, selection)


# -- the task ---------------------------------------------------------------------------------


def chunks(session: Session, user: User, selection: Selection) -> Iterator[list[int]]:
    """The selection's ids in id order, ``CHUNK`` at a time, each chunk queried afresh."""
    cursor = 0
    while True:
        query = sel.lead_query(user, selection, Lead.id).where(Lead.id > cursor)
        ids = list(session.scalars(query.order_by(Lead.id).limit(CHUNK)))
        if not ids:
            return
        yield ids
        cursor = ids[-1]


def apply(session: Session, action: str, params: dict[str, Any], ids: list[int]) -> int:
    """Apply one queued action to ``ids`` (already scoped); returns the rows changed."""
    where = Lead.id.in_(ids)
    if action == "assign":
        result = session.execute(update(Lead).where(where).values(owner_id=params["owner_id"]))
    elif action == "tag":
        result = session.execute(update(Lead).where(where).values(tag=params["tag"]))
    elif action == "batch":
        result = session.execute(update(Lead).where(where).values(batch_id=params["batch_id"]))
    elif action == "delete":
        result = session.execute(delete(Lead).where(where))
    else:
        raise PermanentError(f"unknown bulk action {action!r}")
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@contextmanager
def _write_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        if engine.dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        yield session


@task_type(BULK_TASK, priority=PRIORITY_IMPORT + 5, max_attempts=3, timeout=3600)
def run_bulk(ctx: TaskContext) -> dict[str, Any]:
    """Apply a bulk action chunk by chunk, re-checking the user's scope every chunk."""
    payload = ctx.payload
    action = str(payload.get("action"))
    params = dict(payload.get("params") or {})
    selection = Selection.from_json(payload.get("selection") or {})
    total = max(int(payload.get("count") or 1), 1)
    done, cursor = 0, 0
    while True:
        ctx.check()
        with _write_session(ctx.engine) as session:
            user = session.get(User, int(payload.get("user_id") or 0))
            if user is None or not can(user, ACCESS.get(action, "leads.edit")):
                raise PermanentError("the user who started this action may no longer do it")
            query = sel.lead_query(user, selection, Lead.id).where(Lead.id > cursor)
            ids = list(session.scalars(query.order_by(Lead.id).limit(CHUNK)))
            if not ids:
                break
            apply(session, action, params, ids)
            session.commit()
        done, cursor = done + len(ids), ids[-1]
        ctx.set_progress(min(done / total, 0.99))
    if action == "delete" and params.get("delete_batch"):
        with _write_session(ctx.engine) as session:
            batch = session.get(ImportBatch, int(params["delete_batch"]))
            left = session.scalar(
                select(func.count()).select_from(
                    select(Lead.id)
                    .where(Lead.batch_id == int(params["delete_batch"]))
                    .limit(1)
                    .subquery()
                )
            )
            if batch is not None and not left:
                session.delete(batch)
            session.commit()
    forget_totals()
    return {"action": action, "leads": done}
