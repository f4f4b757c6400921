"""Exports: start an export of a selection, follow large ones, download the files kept.

Small exports answer with the file itself; large ones (more than
``LEADREEL_EXPORT_BACKGROUND_ROWS``) go to a worker and the page shows their progress
until the download link appears. Reps see and download only their own exports.
"""

from __future__ import annotations

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
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from leadreel.errors import LeadReelError, NotFound, PermissionDenied, ValidationError
from leadreel.extensions import db
from leadreel.models import ImportBatch, ProcessingTask, User
from leadreel.services.exports import runner
from leadreel.services.exports.runner import ExportOptions
from leadreel.services.exports.start import check_selection, describe, start_export
from leadreel.services.exports.templates import find_template, list_templates
from leadreel.services.exports.writers import DELIMITERS, MEDIA_TYPES
from leadreel.services.leads import selection as lead_selection
from leadreel.services.permissions import can, scope_batches
from leadreel.web.export_forms import call, request_base_url, selection_args, selection_from, user
from leadreel.web.export_templates import bp as templates_bp
from leadreel.web.permissions import require

bp = Blueprint("exports", __name__, url_prefix="/exports")
bp.register_blueprint(templates_bp)


def _settings() -> Any:
    return current_app.config["SETTINGS"]


def _batches() -> list[ImportBatch]:
    query = scope_batches(select(ImportBatch), user()).order_by(ImportBatch.id.desc()).limit(100)
    return list(db.session.scalars(query))


@bp.route("/")
@require("exports.run")
def index():  # type: ignore[no-untyped-def]
    """The export form (all leads, a batch or a search), the templates and the history."""
    runner.purge_expired(db.session)
    exports = runner.visible_exports(db.session, user())
    tasks = {
        t.id: t
        for t in db.session.scalars(
            select(ProcessingTask).where(
                ProcessingTask.id.in_([e.task_id for e in exports if e.task_id])
            )
        )
    }
    people = {
        u.id: u.email
        for u in db.session.scalars(
            select(User).where(User.id.in_({e.created_by_id for e in exports if e.created_by_id}))
        )
    }
    return render_template(
        "exports/index.html",
        exports=exports,
        people=people,
        tasks=tasks,
        templates=list_templates(db.session),
        batches=_batches(),
        delimiters=DELIMITERS,
        downloadable=runner.downloadable,
        can_manage=can(user(), "exports.manage"),
        retention=_settings().export_retention_days,
    )


@bp.route("/new", methods=["GET", "POST"])
@require("exports.run")
def new():  # type: ignore[no-untyped-def]
    """Export the overview's ticked leads or filter: count, options and a preview first."""
    args = request.form if request.method == "POST" else request.args
    selection = selection_from(args)
    count = None
    try:
        check_selection(db.session, user(), selection)
        count = lead_selection.count(db.session, user(), selection)
    except ValidationError as exc:
        flash(str(exc), "error")
    except PermissionDenied as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    return render_template(
        "exports/new.html",
        selection=selection,
        selection_fields=selection_args(selection),
        description=describe(db.session, selection),
        count=count,
        templates=list_templates(db.session),
        delimiters=DELIMITERS,
        background_rows=_settings().export_background_rows,
    )


@bp.route("/run", methods=["POST"])
@require("exports.run")
def run():  # type: ignore[no-untyped-def]
    """Start an export: the file at once when small, else a queued task and the Exports page."""
    form = request.form
    selection = selection_from(form)
    try:
        template = find_template(
            db.session, name=form.get("template"), id=form.get("template_id", type=int)
        )
        options = ExportOptions(
            form.get("format", "csv"), form.get("bom") == "1", form.get("delimiter", ",")
        )
    except NotFound as exc:
        flash(str(exc), "error")
        return redirect(request.referrer or url_for(".index"))
    except ValidationError as exc:
        flash(str(exc), "error")
        return redirect(request.referrer or url_for(".index"))
    settings = _settings()
    export = call(
        lambda: start_export(
            db.session,
            settings,
            user(),
            template,
            selection,
            options,
            base_url=request_base_url(settings),
        )
    )
    if export is None:
        return redirect(request.referrer or url_for(".index"))
    if export.status == "done":
        return _send(export)
    flash(
        f"Exporting {export.total:,} leads in the background; the download appears here when done.",
        "success",
    )
    return redirect(url_for(".index"))


def _send(export: Any):  # type: ignore[no-untyped-def]
    path = runner.downloadable(export)
    if path is None:
        abort(404)
    return send_file(
        path,
        mimetype=MEDIA_TYPES[export.format],
        as_attachment=True,
        download_name=runner.download_name(export),
    )


@bp.route("/<int:export_id>/download")
@require("exports.run")
def download(export_id: int):  # type: ignore[no-untyped-def]
    """The file of a finished export still kept (own exports; managers: all)."""
    try:
        export = runner.get_export(db.session, user(), export_id)
    except NotFound:
        abort(404)
    return _send(export)


@bp.route("/status.json")
@require("exports.run")
def status():  # type: ignore[no-untyped-def]
    """Progress of the user's unfinished exports, for the page's poller."""
    ids = [int(i) for i in request.args.get("ids", "").split(",") if i.strip().isdigit()][:50]
    out = []
    for export_id in ids:
        try:
            export = runner.get_export(db.session, user(), export_id)
        except NotFound:
            continue
        task = db.session.get(ProcessingTask, export.task_id) if export.task_id else None
        out.append(
            {
                "id": export.id,
                "status": export.status,
                "progress": (task.progress if task else 0.0) if export.status != "done" else 1.0,
                "rows": export.row_count,
                "total": export.total,
                "error": export.error,
                "download_url": url_for(".download", export_id=export.id)
                if runner.downloadable(export)
                else None,
            }
        )
    return {"exports": out}


@bp.route("/preview.json", methods=["POST"])
@require("exports.run")
def preview():  # type: ignore[no-untyped-def]
    """The first rows of the selection through the given columns (the editor's live preview)."""
    data = request.get_json(silent=True) or {}
    args = MultiDict({k: str(v) for k, v in (data.get("selection") or {}).items()})
    selection = selection_from(args)
    if selection.is_empty():
        selection = lead_selection.Selection(everything=True)
    try:
        headers, rows = runner.preview(
            db.session,
            user(),
            data.get("columns"),
            selection,
            base_url=request_base_url(_settings()),
            limit=5,
        )
    except LeadReelError as exc:
        return {"message": str(exc)}, 400
    return {"headers": headers, "rows": rows}
