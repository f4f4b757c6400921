"""Exports (being built; the page says so)."""

from __future__ import annotations

from flask import Blueprint, render_template

from leadreel.web.permissions import require

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.route("/")
@require("exports.run")
def index():  # type: ignore[no-untyped-def]
    """Placeholder page until the feature lands."""
    return render_template("coming.html", title="Exports")
