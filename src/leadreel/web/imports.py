"""Imports: upload → preview and mapping → background import with progress → report, undo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from leadreel.errors import PermissionDenied
from leadreel.extensions import db
from leadreel.fields import CORE_FIELDS
from leadreel.models import ImportBatch
from leadreel.services.importing import uploads
from leadreel.services.importing.parsing import ImportFileError
from leadreel.services.importing.undo import UndoError, undo_batch
from leadreel.services.permissions import scope_batches
from leadreel.web.permissions import get_owned, require

bp = Blueprint("imports", __name__, url_prefix="/imports")

COUNT_LABELS = (
    ("rows_read", "Rows read"),
    ("leads_created", "Leads created"),
    ("leads_updated", "Existing leads updated"),
    ("duplicates_merged", "Duplicates merged"),
    ("companies_created", "Companies created"),
    ("companies_matched", "Companies matched"),
    ("rows_rejected", "Rows rejected"),
)


def _settings():  # type: ignore[no-untyped-def]
    return current_app.config["SETTINGS"]


def _status(batch: ImportBatch) -> dict[str, object]:
    return {
        "id": batch.id,
        "status": batch.status,
        "progress": round(batch.progress or 0.0, 4),
        "counts": batch.counts or {},
        "error": batch.error_message,
        "has_report": bool(batch.error_report_path),
    }


@bp.route("/")
@require("leads.import")
def index():  # type: ignore[no-untyped-def]
    """Upload form and the imports the user may see."""
    batches = db.session.scalars(
        scope_batches(select(ImportBatch), current_user).order_by(ImportBatch.id.desc()).limit(100)
    ).all()
    return render_template("imports/index.html", batches=batches, max_mb=_settings().max_upload_mb)


@bp.route("/upload", methods=["POST"])
@require("leads.import")
def upload():  # type: ignore[no-untyped-def]
    """Store and map an uploaded file, then show its preview."""
    try:
        file = request.files.get("file")
    except RequestEntityTooLarge:
        flash(f"The file is larger than the {_settings().max_upload_mb} MB upload limit.", "error")
        return redirect(url_for(".index"))
    if file is None or not file.filename:
        flash("Choose a file to import.", "error")
        return redirect(url_for(".index"))
    try:
        batch = uploads.create_batch(
            db.session,
            _settings(),
            file.stream,
            file.filename,
            current_user,
            name=request.form.get("name") or None,
        )
    except ImportFileError as exc:
        db.session.rollback()
        flash(f"Cannot import {file.filename}: {exc}", "error")
        return redirect(url_for(".index"))
    return redirect(url_for(".preview", batch_id=batch.id))


@bp.route("/<int:batch_id>/preview")
@require("leads.import")
def preview(batch_id: int):  # type: ignore[no-untyped-def]
    """First rows with the proposed mapping and a field choice per column."""
    batch = get_owned(ImportBatch, batch_id, "leads.import")
    if batch.status != "uploaded":
        return redirect(url_for(".detail", batch_id=batch.id))
    data = uploads.preview(_settings(), batch)
    labels = {f.key: f.label for f in CORE_FIELDS}
    return render_template(
        "imports/preview.html", batch=batch, fields=CORE_FIELDS, labels=labels, **data
    )


@bp.route("/<int:batch_id>/kind", methods=["POST"])
@require("leads.import")
def switch_kind(batch_id: int):  # type: ignore[no-untyped-def]
    """Re-map the file as a list of people or of businesses (the user's decision)."""
    batch = get_owned(ImportBatch, batch_id, "leads.import")
    try:
        uploads.switch_kind(
            db.session, _settings(), batch, current_user, request.form.get("kind", "")
        )
    except (ImportFileError, ValueError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for(".preview", batch_id=batch_id))


def _enrichment_step(batch_id: int) -> dict[str, Any] | None:
    """With an AI key, the model reads the notes once the rows are in (fills empty fields)."""
    settings = _settings()
    if not (settings.openai_api_key or settings.gemini_api_key):
        return None
    from leadreel.services.enrich_tasks import TASK_TYPE
    from leadreel.tasks.queue import chain

    return chain((TASK_TYPE, {"batch_id": batch_id}))


@bp.route("/<int:batch_id>/confirm", methods=["POST"])
@require("leads.import")
def confirm(batch_id: int):  # type: ignore[no-untyped-def]
    """Apply the chosen mapping and queue the import."""
    batch = get_owned(ImportBatch, batch_id, "leads.import")
    chosen = {
        header: (request.form.get(f"field_{i}") or None)
        for i, header in enumerate(batch.headers)
        if f"field_{i}" in request.form
    }
    try:
        uploads.confirm_batch(
            db.session,
            batch,
            current_user,
            chosen,
            save=bool(request.form.get("save_mapping")),
            name=request.form.get("name"),
            next_task=_enrichment_step(batch_id),
        )
    except (ImportFileError, ValueError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".preview", batch_id=batch_id))
    flash("Import queued.", "success")
    return redirect(url_for(".detail", batch_id=batch_id))


@bp.route("/<int:batch_id>")
@require("leads.import")
def detail(batch_id: int):  # type: ignore[no-untyped-def]
    """Progress while running, the report when done."""
    batch = get_owned(ImportBatch, batch_id, "leads.import")
    if batch.status == "uploaded":  # not confirmed yet: back to the mapping
        return redirect(url_for(".preview", batch_id=batch.id))
    return render_template(
        "imports/detail.html", batch=batch, labels=COUNT_LABELS, status=_status(batch)
    )


@bp.route("/<int:batch_id>/api/status")
@require("leads.import")
def status(batch_id: int):  # type: ignore[no-untyped-def]
    """JSON progress for the page's poller."""
    return _status(get_owned(ImportBatch, batch_id, "leads.import"))


@bp.route("/<int:batch_id>/rejected.csv")
@require("leads.import")
def rejected(batch_id: int):  # type: ignore[no-untyped-def]
    """The rejected rows with line numbers and reasons."""
    batch = get_owned(ImportBatch, batch_id, "leads.import")
    path = Path(batch.error_report_path or "")
    if not batch.error_report_path or not path.is_file():
        abort(404)
    return send_file(
        path,
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"import-{batch.id}-rejected.csv",
    )


@bp.route("/<int:batch_id>/undo", methods=["POST"])
@require("leads.import")
def undo(batch_id: int):  # type: ignore[no-untyped-def]
    """Remove what the import created and restore what it changed."""
    batch = get_owned(ImportBatch, batch_id, "leads.import")
    try:
        result = undo_batch(db.session, batch, current_user)
    except PermissionDenied:
        abort(404)
    except UndoError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".detail", batch_id=batch_id))
    flash(
        f"Import undone: {result['leads_deleted']} leads removed, "
        f"{result['records_restored']} records restored.",
        "success",
    )
    return redirect(url_for(".detail", batch_id=batch_id))
