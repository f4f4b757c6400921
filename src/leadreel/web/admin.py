"""Admin pages: users and their roles."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from leadreel.errors import ValidationError
from leadreel.extensions import db
from leadreel.models import User
from leadreel.services.setup import create_user
from leadreel.web.forms import ActionForm, RoleForm, UserForm
from leadreel.web.permissions import require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@require("users.manage")
def users():  # type: ignore[no-untyped-def]
    """List users and create new ones."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                db.session,
                form.email.data or "",
                form.password.data or "",
                form.role.data or "rep",
                form.name.data or "",
            )
        except ValidationError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"User {user.email} created as {user.role}.", "success")
            return redirect(url_for("admin.users"))
    people = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template(
        "admin/users.html", form=form, users=people, role_form=RoleForm(), action_form=ActionForm()
    )


def _target(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@require("users.manage")
def set_role(user_id: int):  # type: ignore[no-untyped-def]
    """Change a user's role; an admin cannot demote themself (someone must stay admin)."""
    user, form = _target(user_id), RoleForm()
    if not form.validate_on_submit():
        abort(400)
    if user.id == current_user.id and form.role.data != "admin":
        flash("You cannot remove your own admin role.", "error")
    else:
        user.role = form.role.data or user.role
        db.session.commit()
        flash(f"{user.email} is now {user.role}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@require("users.manage")
def toggle_active(user_id: int):  # type: ignore[no-untyped-def]
    """Deactivate or reactivate a user; deactivated users cannot log in."""
    user = _target(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash("You cannot deactivate yourself.", "error")
    else:
        user.active = not user.active
        db.session.commit()
        flash(f"{user.email} is {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("admin.users"))
