"""Videos: per-lead status, batch renders, sample approval, media library, template editor.

Views stay thin: they parse the request, call ``services.videos.*`` (which decide what is
allowed and what changes), commit, and render. Every file route checks the lead behind
the file, so a rep can only fetch videos and screenshots of their own leads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from leadreel.errors import NotFound, PermissionDenied, ValidationError
from leadreel.extensions import db
from leadreel.models import ImportBatch, Lead, MediaAsset, Video
from leadreel.services.permissions import can, scope_batches, scope_leads
from leadreel.services.videos import library, pipeline, template_store
from leadreel.services.videos.pipeline import Selection
from leadreel.services.videos.tasks import previous_capture
from leadreel.web.permissions import get_owned, require

bp = Blueprint("videos", __name__, url_prefix="/videos")
PAGE_SIZE = 50
FILE_KINDS = {
    "video": ("file_path", "video/mp4"),
    "thumbnail": ("thumbnail_path", "image/jpeg"),
    "preview": ("preview_path", "image/gif"),
}
IMAGE_KEYS = ("website", "website_viewport", "ads")


def _settings() -> Any:
    from flask import current_app

    return current_app.config["SETTINGS"]


def _service(call: Callable[[], Any], *, fail_to: str | None = None) -> Any:
    """Run a service call and commit; turn its errors into a flash (or 403/404)."""
    try:
        result = call()
        db.session.commit()
        return result
    except (NotFound, PermissionDenied) as exc:
        db.session.rollback()
        abort(404 if isinstance(exc, NotFound) else 403)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        if fail_to is None:
            raise
        return None


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


# -- videos ---------------------------------------------------------------------------------


@bp.route("/")
@require("renders.start")
def index():  # type: ignore[no-untyped-def]
    """The latest video of each lead the user may see, with live status."""
    latest = select(func.max(Video.id).label("id")).group_by(Video.lead_id).subquery()
    query = scope_leads(
        select(Video, Lead)
        .join(latest, Video.id == latest.c.id)
        .join(Lead, Lead.id == Video.lead_id),
        _user(),
    )
    if status := request.args.get("status"):
        query = query.where(Video.status == status)
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.execute(
        query.order_by(Video.id.desc()).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    pipeline.reconcile(db.session, [video for video, _ in rows])
    db.session.commit()
    return render_template(
        "videos/index.html",
        rows=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        status=status,
        runs=pipeline.held_runs(db.session, _user()),
    )


@bp.route("/status.json")
@require("renders.start")
def status():  # type: ignore[no-untyped-def]
    """Polled by the videos page: status and progress of the listed videos."""
    ids = [int(i) for i in request.args.get("ids", "").split(",") if i.strip().isdigit()][:200]
    videos = [
        v
        for v in db.session.scalars(select(Video).where(Video.id.in_(ids)))
        if can(_user(), "renders.start", db.session.get(Lead, v.lead_id))
    ]
    pipeline.reconcile(db.session, videos)
    db.session.commit()
    return jsonify(videos=[_video_json(v) for v in videos])


def _video_json(video: Video) -> dict[str, Any]:
    done = video.status in ("rendered", "uploading", "ready") and video.file_path
    return {
        "id": video.id,
        "status": video.status,
        "progress": round(video.progress or 0, 3),
        "error": video.error,
        "screenshot_source": video.screenshot_source,
        "thumbnail": url_for(".file", video_id=video.id, kind="thumbnail") if done else None,
        "url": url_for(".show", video_id=video.id),
    }


@bp.route("/<int:video_id>")
@require("renders.start")
def show(video_id: int):  # type: ignore[no-untyped-def]
    """One video: the player, its files and how its screenshots were obtained."""
    video = _service(lambda: pipeline.get_video(db.session, _user(), video_id))
    lead = db.session.get(Lead, video.lead_id)
    capture = previous_capture(lead.company.screenshots) if lead.company else None
    return render_template("videos/show.html", video=video, lead=lead, capture=capture)


@bp.route("/<int:video_id>/file/<kind>")
@require("renders.start")
def file(video_id: int, kind: str):  # type: ignore[no-untyped-def]
    """A rendered file of a video of one of the user's leads."""
    if kind not in FILE_KINDS:
        abort(404)
    video = _service(lambda: pipeline.get_video(db.session, _user(), video_id))
    column, mimetype = FILE_KINDS[kind]
    path = library.file_in_data_dir(_settings(), getattr(video, column))
    if path is None:
        abort(404)
    download = request.args.get("download") == "1"
    name = f"video-{video.lead_id}-{video.id}{path.suffix}"
    return send_file(
        path, mimetype=mimetype, as_attachment=download, download_name=name, conditional=True
    )


@bp.route("/<int:video_id>/rerender", methods=["POST"])
@require("renders.start")
def rerender(video_id: int):  # type: ignore[no-untyped-def]
    """Render a lead's video again (fresh screenshots, current template version)."""
    result = _service(lambda: pipeline.rerender(db.session, _user(), video_id), fail_to="index")
    if result is not None:
        flash("Queued again." if result.started else "This lead is already rendering.", "info")
    return redirect(url_for(".index"))


# -- batch render and approval --------------------------------------------------------------


@bp.route("/render", methods=["GET", "POST"])
@require("renders.start")
def render():  # type: ignore[no-untyped-def]
    """Render a batch, the leads page's current filter, or selected leads."""
    args = request.form if request.method == "POST" else request.args
    selection = Selection(
        lead_ids=[
            int(i)
            for i in args.getlist("lead_ids") + args.get("ids", "").split(",")
            if str(i).strip().isdigit()
        ],
        batch_id=args.get("batch", type=int),
        q=args.get("q", "").strip(),
        status=args.get("status", "").strip(),
    )
    if request.method == "POST":
        template_id = request.form.get("template_id", type=int)
        samples = max(0, min(request.form.get("samples", 0, type=int), 100))
        result = _service(
            lambda: pipeline.start_renders(
                db.session, _user(), selection, template_id, samples=samples
            ),
            fail_to="render",
        )
        if result is not None:
            parts = [f"{len(result.started)} render(s) queued"]
            if result.held:
                parts.append(f"{len(result.held)} waiting for your approval of the samples")
            if result.skipped:
                parts.append(f"{len(result.skipped)} skipped (already rendering)")
            flash("; ".join(parts) + ".", "success")
            return redirect(url_for(".index"))
    count = None
    if not selection.is_empty():
        try:
            count = len(pipeline.select_leads(db.session, _user(), selection))
        except (ValidationError, PermissionDenied) as exc:
            flash(str(exc), "error")
    batches = db.session.scalars(
        scope_batches(select(ImportBatch), _user()).order_by(ImportBatch.id.desc()).limit(100)
    ).all()
    return render_template(
        "videos/render.html",
        selection=selection,
        count=count,
        batches=batches,
        templates=template_store.list_templates(db.session),
    )


@bp.route("/runs/<run_id>/<decision>", methods=["POST"])
@require("renders.start")
def decide(run_id: str, decision: str):  # type: ignore[no-untyped-def]
    """Approve (render the rest) or reject (cancel the rest) a samples-first run."""
    action = {"approve": pipeline.approve_samples, "reject": pipeline.reject_samples}.get(decision)
    if action is None:
        abort(404)
    count = _service(lambda: action(db.session, _user(), run_id))
    flash(f"{count} render(s) {'released' if decision == 'approve' else 'cancelled'}.", "success")
    return redirect(url_for(".index"))


# -- media library --------------------------------------------------------------------------


@bp.route("/media", methods=["GET", "POST"])
@require("media.manage")
def media():  # type: ignore[no-untyped-def]
    """Upload presenter clips and images (validated), list and delete them."""
    status_code = 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("Choose a file to upload.", "error")
            status_code = 400
        else:
            asset = _service(
                lambda: library.add_media(
                    db.session,
                    _settings(),
                    upload.stream,
                    upload.filename or "",
                    name=request.form.get("name", "").strip() or None,
                    uploaded_by_id=current_user.id,
                ),
                fail_to="media",
            )
            if asset is not None:
                flash(f"{asset.name} added.", "success")
                return redirect(url_for(".media"))
            status_code = 400
    return render_template("videos/media.html", assets=library.list_media(db.session)), status_code


@bp.route("/media/<int:asset_id>/delete", methods=["POST"])
@require("media.manage")
def media_delete(asset_id: int):  # type: ignore[no-untyped-def]
    """Delete a media file unless a template uses it."""
    _service(lambda: library.delete_media(db.session, _settings(), asset_id), fail_to="media")
    return redirect(url_for(".media"))


@bp.route("/media/<int:asset_id>/file")
@require("renders.start")
def media_file(asset_id: int):  # type: ignore[no-untyped-def]
    """A media file, for the library's players and the editor's live preview."""
    asset = db.session.get(MediaAsset, asset_id)
    path = library.file_in_data_dir(_settings(), asset.path if asset else None)
    if path is None:
        abort(404)
    return send_file(path, conditional=True)


# -- templates ------------------------------------------------------------------------------


@bp.route("/templates")
@require("templates.manage")
def templates():  # type: ignore[no-untyped-def]
    """All templates; the default is used when a render names none."""
    return render_template(
        "videos/templates.html", templates=template_store.list_templates(db.session)
    )


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@require("templates.manage")
def template_edit(template_id: int | None = None):  # type: ignore[no-untyped-def]
    """Edit a template's JSON with per-field errors and a live preview of one lead."""
    row = (
        _service(lambda: template_store.get_template(db.session, template_id))
        if template_id
        else None
    )
    errors: list[dict[str, str]] = []
    form = {
        "name": row.name if row else "New template",
        "spec": _pretty(row.spec if row else _starter_spec()),
        "allow_fallback": row.allow_fallback if row else True,
    }
    if request.method == "POST":
        form = {
            "name": request.form.get("name", ""),
            "spec": request.form.get("spec", ""),
            "allow_fallback": request.form.get("allow_fallback") == "on",
        }
        try:
            if row is None:
                row = template_store.create_template(
                    db.session,
                    form["name"],
                    form["spec"],
                    allow_fallback=form["allow_fallback"],
                    created_by_id=current_user.id,
                )
            else:
                template_store.update_template(
                    db.session,
                    row.id,
                    name=form["name"],
                    spec=form["spec"],
                    allow_fallback=form["allow_fallback"],
                )
            db.session.commit()
            flash(f"Saved {row.name} (version {row.version}).", "success")
            return redirect(url_for(".template_edit", template_id=row.id))
        except template_store.TemplateInvalid as exc:
            db.session.rollback()
            errors = [e.as_dict() for e in exc.errors]
    leads = db.session.scalars(
        scope_leads(select(Lead), _user()).order_by(Lead.id.desc()).limit(100)
    ).all()
    return render_template(
        "videos/template_edit.html",
        row=row,
        form=form,
        errors=errors,
        leads=leads,
        assets=library.list_media(db.session),
    ), (400 if errors else 200)


def _pretty(spec: dict[str, Any]) -> str:
    import json

    return json.dumps(spec, indent=2)


def _starter_spec() -> dict[str, Any]:
    default = template_store.get_default(db.session)
    if default is not None:
        return {k: v for k, v in default.spec.items() if k not in ("name", "version")}
    from leadreel.services.videos.templates import DEFAULT_TEMPLATE

    return DEFAULT_TEMPLATE.model_dump(mode="json", exclude={"name", "version"})


@bp.route("/templates/<int:template_id>/<action>", methods=["POST"])
@require("templates.manage")
def template_action(template_id: int, action: str):  # type: ignore[no-untyped-def]
    """Make a template the default, or delete it."""
    actions = {"default": template_store.set_default, "delete": template_store.delete_template}
    if action not in actions:
        abort(404)
    _service(lambda: actions[action](db.session, template_id))
    flash("Default template changed." if action == "default" else "Template deleted.", "success")
    return redirect(url_for(".templates"))


@bp.route("/templates/validate", methods=["POST"])
@require("templates.manage")
def template_validate():  # type: ignore[no-untyped-def]
    """Validate a spec while it is typed; answers the per-field errors."""
    try:
        template_store.parse_spec(
            (request.get_json(silent=True) or {}).get("spec", ""), session=db.session
        )
    except template_store.TemplateInvalid as exc:
        return jsonify(ok=False, errors=[e.as_dict() for e in exc.errors])
    return jsonify(ok=True, errors=[])


@bp.route("/templates/lead/<int:lead_id>.json")
@require("templates.manage")
def preview_data(lead_id: int):  # type: ignore[no-untyped-def]
    """What the live preview composes: the lead's variables, screenshots and the media."""
    lead = get_owned(Lead, lead_id, "renders.start")
    capture = previous_capture(lead.company.screenshots) if lead.company else None
    images = {
        key: url_for(".screenshot", lead_id=lead.id, key=key)
        for key in IMAGE_KEYS
        if capture is not None and getattr(capture, key) is not None
    }
    sources = {key: getattr(capture, key).source for key in images} if capture else {}
    assets = [
        {
            "id": str(a.id),
            "name": a.name,
            "kind": a.kind,
            "duration": a.duration,
            "url": url_for(".media_file", asset_id=a.id),
        }
        for a in library.list_media(db.session)
    ]
    return jsonify(
        variables=pipeline.lead_variables(lead),
        images=images,
        sources=sources,
        assets=assets,
        company=lead.company.name if lead.company else "",
    )


@bp.route("/leads/<int:lead_id>/screenshot/<key>")
@require("renders.start")
def screenshot(lead_id: int, key: str):  # type: ignore[no-untyped-def]
    """The last captured image of a lead's company (website, website_viewport or ads)."""
    lead = get_owned(Lead, lead_id, "renders.start")
    capture = previous_capture(lead.company.screenshots) if lead.company else None
    item = getattr(capture, key, None) if capture is not None and key in IMAGE_KEYS else None
    path = library.file_in_data_dir(_settings(), item.path if item else None)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/png", conditional=True)


@bp.route("/templates/preview", methods=["POST"])
@require("templates.manage")
def preview_start():  # type: ignore[no-untyped-def]
    """Queue a low-res render of the spec being edited, for one lead."""
    data = request.get_json(silent=True) or {}
    try:
        task_id = pipeline.start_preview(
            db.session, _user(), data.get("spec", ""), int(data.get("lead_id") or 0)
        )
        db.session.commit()
    except template_store.TemplateInvalid as exc:
        db.session.rollback()
        return jsonify(message=str(exc), errors=[e.as_dict() for e in exc.errors]), 400
    except ValidationError as exc:
        db.session.rollback()
        return jsonify(message=str(exc)), 409
    except NotFound:
        db.session.rollback()
        abort(404)
    return jsonify(task_id=task_id, status_url=url_for(".preview_status", task_id=task_id))


@bp.route("/previews/<int:task_id>.json")
@require("templates.manage")
def preview_status(task_id: int):  # type: ignore[no-untyped-def]
    """Progress of a preview render, and its files when done."""
    task = _service(lambda: pipeline.get_preview(db.session, _user(), task_id))
    done = task.status == "succeeded"
    return jsonify(
        status=task.status,
        progress=task.progress,
        error=(task.last_error or "").split("\n", 1)[0] or None,
        video=url_for(".preview_file", task_id=task.id, kind="video") if done else None,
    )


@bp.route("/previews/<int:task_id>/<kind>")
@require("templates.manage")
def preview_file(task_id: int, kind: str):  # type: ignore[no-untyped-def]
    """A file of a finished preview render."""
    if kind not in FILE_KINDS:
        abort(404)
    task = _service(lambda: pipeline.get_preview(db.session, _user(), task_id))
    path = library.file_in_data_dir(_settings(), (task.result or {}).get(FILE_KINDS[kind][0]))
    if path is None:
        abort(404)
    return send_file(path, mimetype=FILE_KINDS[kind][1], conditional=True)
