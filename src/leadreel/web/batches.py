"""Import batches: progress bars, rename, priority, re-render failed, delete with leads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from leadreel.errors import NotFound, PermissionDenied, ValidationError
from leadreel.extensions import db
from leadreel.models import Lead, VideoTemplate
from leadreel.services.leads import batches
from leadreel.web.bulk import _remember
from leadreel.web.permissions import require

bp = Blueprint("batches", __name__, url_prefix="/batches")


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _call(fn: Any) -> Any:
    try:
        result = fn()
        db.session.commit()
        return result
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return None
    except (NotFound, PermissionDenied):
        db.session.rollback()
        abort(404)


@bp.route("/")
@require("leads.edit")
def index():  # type: ignore[no-untyped-def]
    """Every batch the user may see with its counts and progress bars."""
    rows = batches.list_batches(db.session, _user())
    templates = db.session.scalars(select(VideoTemplate).order_by(VideoTemplate.name)).all()
    return render_template("batches/index.html", rows=rows, templates=templates)


@bp.route("/progress.json")
@require("leads.edit")
def progress():  # type: ignore[no-untyped-def]
    """Polled by the batches page: the bars' values."""
    return jsonify(batches=[r.to_json() for r in batches.list_batches(db.session, _user())])


@bp.route("/<int:batch_id>/rename", methods=["POST"])
@require("leads.edit")
def rename(batch_id: int):  # type: ignore[no-untyped-def]
    if _call(lambda: batches.rename(db.session, _user(), batch_id, request.form.get("name", ""))):
        flash("Batch renamed.", "success")
    return redirect(url_for(".index"))


@bp.route("/<int:batch_id>/priority", methods=["POST"])
@require("leads.edit")
def priority(batch_id: int):  # type: ignore[no-untyped-def]
    value = request.form.get("priority", 0, type=int)
    moved = _call(lambda: batches.set_priority(db.session, _user(), batch_id, value))
    if moved is not None:
        flash(f"Priority set; {moved} waiting task(s) re-ordered.", "success")
    return redirect(url_for(".index"))


@bp.route("/<int:batch_id>/rerender", methods=["POST"])
@require("renders.start")
def rerender(batch_id: int):  # type: ignore[no-untyped-def]
    template_id = request.form.get("template_id", type=int)
    run = _call(lambda: batches.rerender_failed(db.session, _user(), batch_id, template_id))
    if run is not None:
        flash(f"Re-rendering {run.total:,} failed lead(s).", "success")
    return redirect(url_for(".index"))


@bp.route("/<int:batch_id>/delete", methods=["GET", "POST"])
@require("leads.delete")
def delete(batch_id: int):  # type: ignore[no-untyped-def]
    """Confirm (GET: how many leads), then delete the batch with its leads."""
    try:
        batch = batches.get_batch(db.session, _user(), batch_id, "leads.delete")
    except NotFound:
        abort(404)
    if request.method == "GET":
        count = db.session.scalar(select(func.count()).where(Lead.batch_id == batch.id)) or 0
        return render_template("batches/confirm_delete.html", batch=batch, count=count)
    started = _call(lambda: batches.delete_batch(db.session, _user(), batch_id))
    if started is not None:
        _remember(started.task_id)
        flash(
            f"Batch and its {started.count:,} lead(s) will be deleted; undo on the Leads page.",
            "success",
        )
    else:
        flash("Empty batch deleted.", "success")
    return redirect(url_for(".index"))
