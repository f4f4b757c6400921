"""Export templates and field definitions: the editor, duplicate/delete, custom fields.

The editor is one page whose script keeps the columns as JSON and saves them with one
POST (``save``); the service validates every column, so the page's checks are only a
convenience. Editing templates and fields needs ``exports.manage`` (admins, managers);
everyone who may export can open the editor read-only to preview a built-in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from leadreel.errors import NotFound, ValidationError
from leadreel.extensions import db
from leadreel.services.exports import field_admin
from leadreel.services.exports.catalog import load_catalog
from leadreel.services.exports.templates import (
    delete_template,
    duplicate_template,
    find_template,
    save_template,
)
from leadreel.services.permissions import can
from leadreel.web.export_forms import call, selection_args, selection_from, user
from leadreel.web.permissions import require

bp = Blueprint("setup", __name__)

BLANK = [{"kind": "field", "field": "first_name", "header": "First name"}]


def _catalog_json() -> list[dict[str, Any]]:
    return [
        {"key": f.key, "label": f.label, "group": f.group} for f in load_catalog(db.session).fields
    ]


@bp.route("/templates/new")
@bp.route("/templates/<int:template_id>/edit")
@bp.route("/templates/builtin/<name>")
@require("exports.run")
def template_edit(template_id: int | None = None, name: str | None = None):  # type: ignore[no-untyped-def]
    """The column editor with a live preview of the current selection."""
    if template_id is None and name is None and not can(user(), "exports.manage"):
        abort(403)
    try:
        if template_id is not None or name is not None:
            template = find_template(db.session, name=name, id=template_id)
            data = {"id": template.id, "name": template.name, "columns": template.columns}
        else:
            data = {"id": None, "name": "", "columns": BLANK}
    except NotFound:
        abort(404)
    builtin = name is not None
    return render_template(
        "exports/template_edit.html",
        template=data,
        builtin=builtin,
        editable=can(user(), "exports.manage") and not builtin,
        catalog=_catalog_json(),
        selection=selection_args(selection_from(request.args)),
    )


@bp.route("/templates/save", methods=["POST"])
@require("exports.manage")
def template_save():  # type: ignore[no-untyped-def]
    """Create or replace a template from the editor's JSON; answers JSON."""
    data = request.get_json(silent=True) or {}
    try:
        row = save_template(
            db.session,
            user(),
            str(data.get("name", "")),
            data.get("columns"),
            template_id=data.get("id") if isinstance(data.get("id"), int) else None,
        )
        db.session.commit()
    except (ValidationError, NotFound) as exc:
        db.session.rollback()
        return {"message": str(exc)}, 400
    return {
        "id": row.id,
        "name": row.name,
        "edit_url": url_for(".template_edit", template_id=row.id),
    }


@bp.route("/templates/duplicate", methods=["POST"])
@require("exports.manage")
def template_duplicate():  # type: ignore[no-untyped-def]
    """A saved, editable copy of any template (built-ins included)."""
    try:
        source = find_template(
            db.session, name=request.form.get("name"), id=request.form.get("template_id", type=int)
        )
    except NotFound:
        abort(404)
    row = call(lambda: duplicate_template(db.session, user(), source))
    if row is None:
        return redirect(url_for("exports.index"))
    flash(f"Copied to {row.name!r}.", "success")
    return redirect(url_for(".template_edit", template_id=row.id))


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@require("exports.manage")
def template_delete(template_id: int):  # type: ignore[no-untyped-def]
    """Delete a saved template (past exports keep their copy of its columns)."""
    if call(lambda: delete_template(db.session, user(), template_id) or True):
        flash("Template deleted.", "success")
    return redirect(url_for("exports.index"))


# ---- field definitions --------------------------------------------------------------------


@bp.route("/fields")
@require("exports.manage")
def fields():  # type: ignore[no-untyped-def]
    """Core fields (read-only), custom fields, and import columns that could become fields."""
    custom = field_admin.custom_fields(db.session)
    return render_template(
        "exports/fields.html",
        core=[f for f in load_catalog(db.session).fields if f.source in ("lead", "company")],
        custom=custom,
        counts={f.id: field_admin.value_count(db.session, f) for f in custom},
        extras=field_admin.extra_columns(db.session, user()),
        types=field_admin.CUSTOM_TYPES,
    )


@bp.route("/fields/new", methods=["POST"])
@require("exports.manage")
def field_new():  # type: ignore[no-untyped-def]
    """Add a custom field."""
    form = request.form
    row = call(
        lambda: field_admin.create_field(
            db.session,
            user(),
            label=form.get("label", ""),
            key=form.get("key", "").strip(),
            type=form.get("type", "text"),
            entity=form.get("entity", "lead"),
            in_overview=form.get("in_overview") == "1",
        )
    )
    if row is not None:
        flash(f"Field {row.label!r} ({row.key}) added.", "success")
    return redirect(url_for(".fields"))


@bp.route("/fields/<int:field_id>/edit", methods=["POST"])
@require("exports.manage")
def field_edit(field_id: int):  # type: ignore[no-untyped-def]
    """Edit a custom field: label, key (a rename moves the values), type, overview."""
    form = request.form
    row = call(
        lambda: field_admin.update_field(
            db.session,
            user(),
            field_id,
            label=form.get("label", ""),
            key=form.get("key", "").strip(),
            type=form.get("type", "text"),
            in_overview=form.get("in_overview") == "1",
        )
    )
    if row is not None:
        flash(f"Field {row.label!r} saved.", "success")
    return redirect(url_for(".fields"))


@bp.route("/fields/<int:field_id>/delete", methods=["GET", "POST"])
@require("exports.manage")
def field_delete(field_id: int):  # type: ignore[no-untyped-def]
    """Ask with the number of values that go; delete only if that number still holds."""
    try:
        row = field_admin.get_custom(db.session, field_id)
    except NotFound:
        abort(404)
    if request.method == "POST":
        label = row.label
        dropped = call(
            lambda: field_admin.delete_field(
                db.session,
                user(),
                field_id,
                confirm_values=request.form.get("confirm_values", -1, type=int),
            )
        )
        if dropped is not None:
            flash(f"Field {label!r} deleted with {dropped:,} value(s).", "success")
            return redirect(url_for(".fields"))
    impact = field_admin.delete_impact(db.session, row)
    return render_template("exports/field_delete.html", field=row, impact=impact)


@bp.route("/fields/promote", methods=["POST"])
@require("exports.manage")
def field_promote():  # type: ignore[no-untyped-def]
    """Make an import's extra column a field; its kept values become the field's values."""
    form = request.form
    result = call(
        lambda: field_admin.promote_extra(
            db.session,
            user(),
            form.get("header", ""),
            label=form.get("label", ""),
            key=form.get("key", "").strip(),
            type=form.get("type", "text"),
            entity=form.get("entity", "lead"),
        )
    )
    if result is not None:
        row, moved = result
        flash(f"{row.label!r} is now a field ({row.key}); {moved:,} value(s) moved.", "success")
    return redirect(url_for(".fields"))
