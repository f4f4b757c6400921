"""The video studio: the media library and the template editor with its previews.

Nested in the ``videos`` blueprint (endpoints ``videos.studio.*``, URLs under ``/videos``).
Uploads are validated by the library service before they are accepted; template specs are
validated by the template store, whose per-field errors the editor shows next to each field.
The editor's form is generated in the browser (``static/template_editor.js``) from the
options the store derives from the pydantic model, and posts the same JSON spec as the
"Advanced (JSON)" box; the live preview (``static/template_preview.js``) is composed from
the lead data this module serves; "render a real preview" queues a low-res render task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from leadreel.errors import NotFound, PermissionDenied, ValidationError
from leadreel.extensions import db
from leadreel.models import Lead, MediaAsset
from leadreel.services.permissions import scope_leads
from leadreel.services.videos import library, pipeline, template_store
from leadreel.services.videos.tasks import previous_capture
from leadreel.services.videos.variables import lead_variables
from leadreel.web.permissions import get_owned, require

bp = Blueprint("studio", __name__)
FILE_KINDS = {
    "video": ("file_path", "video/mp4"),
    "thumbnail": ("thumbnail_path", "image/jpeg"),
    "preview": ("preview_path", "image/gif"),
}
IMAGE_KEYS = ("website", "website_viewport", "ads")


def app_settings() -> Any:
    return current_app.config["SETTINGS"]


def call_service(call: Callable[[], Any], *, soft: bool = False) -> Any:
    """Run a service call and commit; turn its errors into a flash (or 403/404).

    With ``soft`` a ValidationError returns None after flashing its message (the view
    re-renders its form); without, it propagates.
    """
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
        if not soft:
            raise
        return None


def user() -> Any:
    """The logged-in User itself (services take a model, not the proxy)."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


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
            asset = call_service(
                lambda: library.add_media(
                    db.session,
                    app_settings(),
                    upload.stream,
                    upload.filename or "",
                    name=request.form.get("name", "").strip() or None,
                    uploaded_by_id=current_user.id,
                ),
                soft=True,
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

    def delete() -> bool:
        library.delete_media(db.session, app_settings(), asset_id)
        return True

    if call_service(delete, soft=True):
        flash("Media deleted.", "success")
    return redirect(url_for(".media"))


@bp.route("/media/<int:asset_id>/file")
@require("renders.start")
def media_file(asset_id: int):  # type: ignore[no-untyped-def]
    """A media file, for the library's players and the editor's live preview."""
    asset = db.session.get(MediaAsset, asset_id)
    path = library.file_in_data_dir(app_settings(), asset.path if asset else None)
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
    """Edit a template (form or JSON) with per-field errors and a live preview of one lead."""
    row = (
        call_service(lambda: template_store.get_template(db.session, template_id))
        if template_id
        else None
    )
    errors: list[dict[str, str]] = []
    form: dict[str, Any] = {
        "name": row.name if row else "New template",
        "spec": _pretty(template_store.editable_spec(row.spec) if row else _starter_spec()),
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
        scope_leads(select(Lead), user()).order_by(Lead.id.desc()).limit(100)
    ).all()
    return render_template(
        "videos/template_edit.html",
        row=row,
        form=form,
        errors=errors,
        leads=leads,
        assets=library.list_media(db.session),
        editor=dict(template_store.editor_options(db.session), errors=errors),
    ), (400 if errors else 200)


def _pretty(spec: dict[str, Any]) -> str:
    import json

    return json.dumps(spec, indent=2)


def _starter_spec() -> dict[str, Any]:
    default = template_store.get_default(db.session)
    if default is not None:
        return {k: v for k, v in default.spec.items() if k not in ("name", "version")}
    from leadreel.render.templates import DEFAULT_TEMPLATE

    return DEFAULT_TEMPLATE.model_dump(mode="json", exclude={"name", "version"})


@bp.route("/templates/<int:template_id>/<action>", methods=["POST"])
@require("templates.manage")
def template_action(template_id: int, action: str):  # type: ignore[no-untyped-def]
    """Make a template the default, or delete it."""
    actions = {"default": template_store.set_default, "delete": template_store.delete_template}
    if action not in actions:
        abort(404)
    call_service(lambda: actions[action](db.session, template_id))
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
        key: url_for("videos.screenshot", lead_id=lead.id, key=key)
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
        variables=lead_variables(lead),
        images=images,
        sources=sources,
        assets=assets,
        company=lead.company.name if lead.company else "",
    )


@bp.route("/templates/preview", methods=["POST"])
@require("templates.manage")
def preview_start():  # type: ignore[no-untyped-def]
    """Queue a low-res render of the spec being edited, for one lead."""
    data = request.get_json(silent=True) or {}
    try:
        task_id = pipeline.start_preview(
            db.session, user(), data.get("spec", ""), int(data.get("lead_id") or 0)
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
    task = call_service(lambda: pipeline.get_preview(db.session, user(), task_id))
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
    task = call_service(lambda: pipeline.get_preview(db.session, user(), task_id))
    path = library.file_in_data_dir(app_settings(), (task.result or {}).get(FILE_KINDS[kind][0]))
    if path is None:
        abort(404)
    return send_file(path, mimetype=FILE_KINDS[kind][1], conditional=True)
