"""Imports (being built; the page says so)."""

from __future__ import annotations

from flask import Blueprint, render_template

from leadreel.web.permissions import require

bp = Blueprint("imports", __name__, url_prefix="/imports")


@bp.route("/")
@require("leads.import")
def index():  # type: ignore[no-untyped-def]
    """Placeholder page until the feature lands."""
    return render_template("coming.html", title="Imports")
