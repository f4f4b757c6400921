"""Bulk actions from the Leads page: ticked rows or "all N matching", each queued as a task.

Why the view is thin: :mod:`leadreel.services.leads.bulk` checks and queues (assign, tag,
batch, delete, export), renders go through ``services.videos.pipeline`` like the Videos
page's. A delete first answers with a page that says how many leads it deletes; the
confirmed delete waits ``UNDO_SECONDS`` and the Leads page offers "Undo" until then.
Recent actions are remembered in the browser session so the page can show their progress.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from leadreel.errors import NotFound, PermissionDenied, ValidationError
from leadreel.extensions import db
from leadreel.models import ProcessingTask
from leadreel.services.leads import bulk, overview
from leadreel.services.leads.selection import Selection
from leadreel.services.videos import pipeline
from leadreel.services.videos.runs import MAX_SAMPLES
from leadreel.web.lead_filters import filter_args, selection_from, ticked_ids
from leadreel.web.permissions import require

bp = Blueprint("bulk", __name__, url_prefix="/leads/bulk")
RECENT_KEY = "lead_bulk_tasks"
LABELS = {
    "assign": "Assigning",
    "tag": "Tagging",
    "batch": "Moving to a batch",
    "delete": "Deleting",
}


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _selection(form: Any) -> Selection:
    if form.get("all_matching") == "1":
        return selection_from(form, everything=True)
    return Selection(lead_ids=ticked_ids(form))


def _back(form: Any) -> Any:
    return redirect(
        url_for(
            "leads.index",
            **filter_args(form),
            **{k: form.get(k) for k in ("sort", "dir", "size") if form.get(k)},
        )
    )


def _remember(task_id: int) -> None:
    recent = [t for t in session.get(RECENT_KEY, []) if t != task_id][-4:]
    session[RECENT_KEY] = [*recent, task_id]


def recent_tasks() -> list[ProcessingTask]:
    """The bulk tasks this browser started lately (for the Leads page's banner)."""
    tasks = []
    for task_id in session.get(RECENT_KEY, []):
        try:
            tasks.append(bulk.get_task(db.session, _user(), int(task_id)))
        except NotFound:
            continue
    return tasks


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"bulk_recent": recent_tasks, "bulk_labels": LABELS, "bulk_json": task_json}


def task_json(task: ProcessingTask) -> dict[str, Any]:
    payload, result = task.payload or {}, task.result or {}
    undo_until = None
    if task.status == "pending" and payload.get("action") == "delete":
        run_after = task.run_after if task.run_after.tzinfo else task.run_after.replace(tzinfo=UTC)
        if run_after > datetime.now(UTC):
            undo_until = run_after.isoformat()
    return {
        "id": task.id,
        "action": payload.get("action"),
        "count": payload.get("count", 0),
        "status": task.status,
        "progress": round(task.progress or 0, 3),
        "undo_until": undo_until,
        "result": result,
        "error": (task.last_error or "").split("\n", 1)[0] if task.status == "failed" else None,
    }


@bp.route("", methods=["POST"])
@require("leads.edit")
def start():  # type: ignore[no-untyped-def]
    """Run a bulk action on the ticked leads or on all leads matching the filters."""
    form = request.form
    action = form.get("action", "").strip()
    try:
        selection = _selection(form)
        if selection.is_empty():
            raise ValidationError("tick some leads, or select all matching, first")
        if action in ("render", "samples"):
            samples = (
                max(0, min(form.get("samples", 0, type=int), MAX_SAMPLES))
                if action == "samples"
                else 0
            )
            run = pipeline.queue_renders(
                db.session, _user(), selection, form.get("template_id", type=int), samples=samples
            )
            db.session.commit()
            flash(
                f"Preparing {run.total:,} render(s); follow them in the rows.",
                "success",
            )
            return _back(form)
        if action == "upload":
            out = bulk.queue_upload(db.session, _user(), selection)
            db.session.commit()
            flash(
                f"{len(out.queued):,} upload(s) queued; {len(out.not_rendered):,} lead(s) have no "
                f"rendered video yet, {len(out.local_only):,} keep their videos local.",
                "success",
            )
            return _back(form)
        if action == "delete":
            found = overview.count_capped(db.session, _user(), selection, cap=bulk.MAX_BULK)
            if form.get("confirm") != str(found.value):
                return render_template(
                    "leads/confirm_delete.html",
                    count=found,
                    fields=_hidden(form),
                    undo_seconds=bulk.UNDO_SECONDS,
                )
        params = {**form.to_dict(), "tag": form.get("new_tag", "")}  # "tag" is a filter
        started = bulk.start(db.session, _user(), selection, action, params)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=str(exc)), 400
        flash(str(exc), "error")
        return _back(form)
    except (PermissionDenied, NotFound):
        db.session.rollback()
        abort(403)
    _remember(started.task_id)
    label = LABELS.get(action, action)
    message = f"{label} {started.count:,} lead(s) in the background."
    if started.undo_until:
        message = f"{started.count:,} lead(s) will be deleted in {bulk.UNDO_SECONDS} s; undo below."
    flash(message, "success")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(task_id=started.task_id, count=started.count)
    return _back(form)


def _hidden(form: Any) -> list[tuple[str, str]]:
    return [(k, v) for k in form for v in form.getlist(k) if k not in ("csrf_token", "confirm")]


@bp.route("/<int:task_id>.json")
@require("leads.edit")
def status(task_id: int):  # type: ignore[no-untyped-def]
    """Progress of one bulk action (polled by the Leads page)."""
    try:
        task = bulk.get_task(db.session, _user(), task_id)
    except NotFound:
        abort(404)
    return jsonify(task_json(task))


@bp.route("/<int:task_id>/undo", methods=["POST"])
@require("leads.edit")
def undo(task_id: int):  # type: ignore[no-untyped-def]
    """Cancel a delete still inside its undo window."""
    try:
        done = bulk.undo(db.session, _user(), task_id)
        db.session.commit()
    except (NotFound, PermissionDenied):
        abort(404)
    flash(
        "Undone: nothing was deleted." if done else "Too late: the action already ran.",
        "success" if done else "error",
    )
    return redirect(request.referrer or url_for("leads.index"))
