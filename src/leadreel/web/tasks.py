"""The Tasks page: queue counts, failures with their errors, retry/cancel, batch progress.

The page never waits on a task: it renders what the database says and ``tasks.js`` polls
``/tasks/api/summary`` (or ``?batch_id=``) to refresh it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from leadreel.extensions import db
from leadreel.models import ImportBatch, Lead, ProcessingTask
from leadreel.services.permissions import can, scope_leads
from leadreel.tasks import status
from leadreel.web.permissions import get_owned, require

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

RECENT = 20


def _task_json(task: ProcessingTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "type": task.type,
        "status": task.status,
        "attempts": task.attempts,
        "max_attempts": task.max_attempts,
        "progress": task.progress,
        "error": (task.last_error or "").split("\n", 1)[0] or None,
        "lead_id": task.lead_id,
        "batch_id": task.batch_id,
        "worker_id": task.worker_id,
        "finished_at": task.finished_at.isoformat() if task.finished_at else None,
    }


def _active(limit: int = RECENT) -> list[ProcessingTask]:
    return list(
        db.session.scalars(
            select(ProcessingTask)
            .where(ProcessingTask.status.in_(("running", "pending")))
            .order_by(ProcessingTask.status.desc(), ProcessingTask.priority, ProcessingTask.id)
            .limit(limit)
        )
    )


def _batches() -> list[dict[str, Any]]:
    """Progress of the batches that still have waiting or running tasks."""
    found = db.session.scalars(
        select(ProcessingTask.batch_id)
        .where(
            ProcessingTask.batch_id.is_not(None),
            ProcessingTask.status.in_(("pending", "running")),
        )
        .group_by(ProcessingTask.batch_id)
        .order_by(func.min(ProcessingTask.priority), ProcessingTask.batch_id)
        .limit(RECENT)
    ).all()
    ids = [i for i in found if i is not None]
    names = {
        row.id: row.name
        for row in db.session.execute(
            select(ImportBatch.id, ImportBatch.name).where(ImportBatch.id.in_(ids))
        )
    }
    return [
        {**status.batch_progress(db.session, i), "name": names.get(i, f"Batch {i}")} for i in ids
    ]


def _summary() -> dict[str, Any]:
    counts = status.counts_by_type_status(db.session)
    totals: dict[str, int] = {}
    for by_status in counts.values():
        for key, n in by_status.items():
            totals[key] = totals.get(key, 0) + n
    return {
        "counts": counts,
        "totals": totals,
        "active": [_task_json(t) for t in _active()],
        "failures": [_task_json(t) for t in status.recent_failures(db.session, RECENT)],
        "batches": _batches(),
    }


@bp.route("/")
@require("tasks.view")
def index():  # type: ignore[no-untyped-def]
    """Counts by type and status, running work, recent failures and batch progress."""
    return render_template(
        "tasks/index.html",
        summary=_summary(),
        failures=status.recent_failures(db.session, RECENT),
        can_manage=can(current_user, "tasks.manage"),
    )


@bp.route("/api/summary")
@login_required
def api_summary():  # type: ignore[no-untyped-def]
    """JSON for polling: the whole queue (managers, admins) or one batch (its owner too)."""
    batch_id = request.args.get("batch_id", type=int)
    if batch_id is not None:
        get_owned(ImportBatch, batch_id, "leads.import")
        return jsonify(status.batch_progress(db.session, batch_id))
    if not can(current_user, "tasks.view"):
        abort(403)
    return jsonify(_summary())


@bp.route("/api/leads")
@login_required
def api_leads():  # type: ignore[no-untyped-def]
    """Latest task of each lead in ``?ids=1,2,3`` that the user may see (for the leads list)."""
    try:
        ids = [int(x) for x in request.args.get("ids", "").split(",") if x.strip()][:500]
    except ValueError:
        abort(400, "ids must be a comma-separated list of lead ids")
    visible = db.session.scalars(scope_leads(select(Lead.id).where(Lead.id.in_(ids)), current_user))
    progress = status.lead_progress(db.session, visible.all())
    return jsonify({str(k): v for k, v in progress.items()})


def _act(task_id: int, action: str) -> Any:
    done = (
        status.cancel(db.session, task_id)
        if action == "cancel"
        else status.retry(db.session, task_id)
    )
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=done, task_id=task_id), (200 if done else 409)
    if done:
        flash(f"Task {task_id} {'cancelled' if action == 'cancel' else 'queued again'}.", "success")
    elif action == "cancel":
        flash(f"Task {task_id} is not pending or running any more.", "error")
    else:
        flash(
            f"Task {task_id} cannot be retried: not failed, or the same work is already queued.",
            "error",
        )
    return redirect(url_for(".index"))


@bp.route("/<int:task_id>/retry", methods=["POST"])
@require("tasks.manage")
def retry(task_id: int):  # type: ignore[no-untyped-def]
    """Queue a failed or cancelled task again with fresh attempts."""
    return _act(task_id, "retry")


@bp.route("/<int:task_id>/cancel", methods=["POST"])
@require("tasks.manage")
def cancel(task_id: int):  # type: ignore[no-untyped-def]
    """Cancel a pending or running task (a running one stops at its next heartbeat)."""
    return _act(task_id, "cancel")


#: Priority given to a batch a user pushes forward: ahead of every default (imports are 10).
URGENT_PRIORITY = 0


@bp.route("/batches/<int:batch_id>/priority", methods=["POST"])
@login_required
def raise_batch(batch_id: int):  # type: ignore[no-untyped-def]
    """Run a batch's waiting work (import, screenshots, renders) before everything else."""
    batch = get_owned(ImportBatch, batch_id, "leads.import")
    changed = status.set_batch_priority(db.session, batch.id, URGENT_PRIORITY)
    batch.priority = URGENT_PRIORITY
    db.session.commit()
    flash(f"{batch.name}: {changed} waiting task(s) moved to the front of the queue.", "success")
    target = request.form.get("next", "")
    local = target.startswith("/") and not target.startswith("//")
    return redirect(target if local else url_for(".index"))
