"""Companies: a searchable list with lead counts, and one company's page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from leadreel.errors import NotFound, ValidationError
from leadreel.extensions import db
from leadreel.services.leads import companies
from leadreel.services.videos.tasks import previous_capture
from leadreel.web.permissions import require

bp = Blueprint("companies", __name__, url_prefix="/companies")


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.route("/")
@require("leads.edit")
def index():  # type: ignore[no-untyped-def]
    """Companies the user may see, by name or newest first, with their lead counts."""
    q = request.args.get("q", "").strip()[:200]
    sort = request.args.get("sort", "name")
    try:
        page = companies.list_companies(
            db.session, _user(), q=q, sort=sort, after=request.args.get("after") or None
        )
    except ValidationError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    return render_template("companies/index.html", page=page, q=q, sort=sort)


@bp.route("/<int:company_id>")
@require("leads.edit")
def detail(company_id: int):  # type: ignore[no-untyped-def]
    """A company's fields, its leads (the user's), screenshots and website facts."""
    try:
        company = companies.get_company(db.session, _user(), company_id)
    except NotFound:
        abort(404)
    leads = companies.company_leads(db.session, _user(), company.id)
    return render_template(
        "companies/detail.html",
        company=company,
        leads=leads,
        facts=companies.facts(company),
        capture=previous_capture(company.screenshots) if company.screenshots else None,
        first_lead=leads[0] if leads else None,
    )
