"""Background tasks (the queue engineer replaces this placeholder)."""

from __future__ import annotations

from flask import Blueprint, render_template

from leadreel.web.permissions import require

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.route("/")
@require("tasks.view")
def index():  # type: ignore[no-untyped-def]
    """Placeholder page until the queue UI lands."""
    return render_template("coming.html", title="Tasks")
