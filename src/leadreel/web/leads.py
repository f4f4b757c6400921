"""The leads overview (filters and sort in the URL, keyset pages, row progress) and a lead's page.

Views stay thin: the URL becomes a Selection (:mod:`leadreel.web.lead_filters`), the page
comes from :mod:`leadreel.services.leads.overview`, bulk actions live in
:mod:`leadreel.web.bulk`. Reps see only their own leads: every query is scoped in the
service, every id from the browser is checked again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from leadreel.errors import ValidationError
from leadreel.extensions import db
from leadreel.models import ImportBatch, Lead, ProcessingTask, User, VideoTemplate
from leadreel.services.leads import bulk, columns, overview, provenance
from leadreel.services.leads import query as lead_query
from leadreel.services.leads.selection import VIDEO_FILTERS
from leadreel.services.permissions import can, scope_batches, scope_leads
from leadreel.services.videos import pipeline
from leadreel.web.lead_filters import filter_args, selection_from, view_args
from leadreel.web.permissions import get_owned, require

bp = Blueprint("leads", __name__)


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _users() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active).order_by(User.email)))


@bp.route("/")
@require("leads.edit")
def index():  # type: ignore[no-untyped-def]
    """A sortable, filterable table of the leads the user may see."""
    args = request.args
    try:
        selection = selection_from(args)
        direction = args.get("dir")
        page = overview.list_page(
            db.session,
            _user(),
            selection,
            sort=args.get("sort") or lead_query.DEFAULT_SORT,
            desc=None if direction not in ("asc", "desc") else direction == "desc",
            after=args.get("after") or None,
            size=args.get("size", 50, type=int),
        )
    except ValidationError as exc:
        flash(str(exc), "error")
        return redirect(url_for(".index"))
    return render_overview(page, selection, args)


def render_overview(page: overview.Page, selection: Any, args: Any) -> str:
    """The overview's HTML for a page (the benchmark's naive comparator renders through it too)."""
    me = _user()
    batches = db.session.scalars(
        scope_batches(select(ImportBatch), me).order_by(ImportBatch.id.desc()).limit(200)
    ).all()
    return render_template(
        "leads/index.html",
        page=page,
        selection=selection,
        args=view_args(args),
        filters=filter_args(args),
        batches=batches,
        users=_users() if can(me, "leads.view_all") or can(me, "leads.assign") else [],
        can_assign=can(me, "leads.assign"),
        columns=columns.chosen(db.session, me),
        all_columns=columns.available(db.session),
        statuses=VIDEO_FILTERS,
        templates=db.session.scalars(select(VideoTemplate).order_by(VideoTemplate.name)).all(),
        upload_available=bulk.upload_available(db.session),
        page_sizes=lead_query.PAGE_SIZES,
        # The assistant panel acts on the ticked rows, else on this page's filter.
        chat_filter={
            k: v
            for k, v in selection.to_json().items()
            if k != "lead_ids" and v not in (None, "", [], {})
        },
    )


@bp.route("/leads/progress.json")
@require("leads.edit")
def progress():  # type: ignore[no-untyped-def]
    """Polled by the overview: progress of the listed leads (only the user's own)."""
    ids = [int(i) for i in request.args.get("ids", "").split(",") if i.strip().isdigit()][:200]
    allowed = (
        list(db.session.scalars(scope_leads(select(Lead.id).where(Lead.id.in_(ids)), _user())))
        if ids
        else []
    )
    rows = overview.load_rows(db.session, allowed)
    return jsonify(leads=[row.progress.to_json() for row in rows])


@bp.route("/leads/count.json")
@require("leads.edit")
def count():  # type: ignore[no-untyped-def]
    """The exact number of leads matching the URL's filters (for a bulk confirmation)."""
    try:
        selection = selection_from(request.args)
    except ValidationError as exc:
        return jsonify(error=str(exc)), 400
    total = overview.count_capped(db.session, _user(), selection, cap=bulk.MAX_BULK)
    return jsonify(count=total.value, exact=total.exact, label=str(total))


@bp.route("/leads/columns", methods=["POST"])
@require("leads.edit")
def choose_columns():  # type: ignore[no-untyped-def]
    """Remember the user's columns for the overview."""
    columns.choose(db.session, _user(), request.form.getlist("columns"))
    db.session.commit()
    back = {k: v for k, v in request.form.items() if k.startswith("keep_") and v}
    return redirect(url_for(".index", **{k[5:]: v for k, v in back.items()}))


@bp.route("/leads/<int:lead_id>")
@require("leads.edit")
def detail(lead_id: int):  # type: ignore[no-untyped-def]
    """Everything known about one lead, and where each field came from."""
    lead = get_owned(Lead, lead_id, "leads.edit")
    owner = db.session.get(User, lead.owner_id) if lead.owner_id else None
    batch = db.session.get(ImportBatch, lead.batch_id) if lead.batch_id else None
    colleagues: list[Lead] = []
    if lead.company_id:
        colleagues = list(
            db.session.scalars(
                scope_leads(
                    select(Lead).where(Lead.company_id == lead.company_id, Lead.id != lead.id),
                    _user(),
                )
                .order_by(Lead.id)
                .limit(50)
            )
        )
    tasks = db.session.scalars(
        select(ProcessingTask)
        .where(ProcessingTask.lead_id == lead.id)
        .order_by(ProcessingTask.id.desc())
        .limit(30)
    ).all()
    videos = pipeline.latest_video(db.session, lead.id)
    return render_template(
        "leads/detail.html",
        lead=lead,
        owner=owner,
        batch=batch,
        users=_users() if can(_user(), "leads.assign") else [],
        editable=EDITABLE,
        sources=provenance.field_sources(db.session, lead),
        colleagues=colleagues,
        tasks=tasks,
        video=videos,
    )


EDITABLE = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile_phone",
    "job_title",
    "linkedin_url",
    "city",
    "state",
    "country",
    "notes",
)


@bp.route("/leads/<int:lead_id>/edit", methods=["POST"])
@require("leads.edit")
def edit(lead_id: int):  # type: ignore[no-untyped-def]
    """Save the edit form; only the lead's owner (or a manager/admin) may."""
    lead = get_owned(Lead, lead_id, "leads.edit")
    form = request.form
    edited = set(lead.edited_fields or [])
    for key in EDITABLE:
        if key in form:
            value = form[key].strip()
            new = (value.lower() if key == "email" else value) or None
            if new != getattr(lead, key):
                setattr(lead, key, new)
                edited.add(key)
            if key in (lead.inferred or []) and key in edited:
                lead.inferred = [k for k in lead.inferred if k != key]  # a person confirmed it
    lead.edited_fields = sorted(edited)
    if "owner_id" in form and can(current_user, "leads.assign"):
        owner = db.session.get(User, form.get("owner_id", type=int) or 0)
        if owner is None:
            abort(400, "Unknown owner.")
        lead.owner_id = owner.id
    db.session.commit()
    flash("Lead saved.", "success")
    return redirect(url_for("leads.detail", lead_id=lead.id))


@bp.route("/leads/<int:lead_id>/delete", methods=["POST"])
@require("leads.delete")
def delete(lead_id: int):  # type: ignore[no-untyped-def]
    """Delete one lead (its company stays)."""
    lead = get_owned(Lead, lead_id, "leads.delete")
    db.session.delete(lead)
    db.session.commit()
    overview.forget_totals()
    flash("Lead deleted.", "success")
    return redirect(url_for("leads.index"))


@bp.app_template_filter("lead_cell")
def lead_cell(row: overview.LeadRow, key: str) -> Any:
    """The text of one overview cell (for columns without their own markup)."""
    lead = row.lead
    company = lead.company
    if key.startswith(lead_query.CUSTOM_PREFIX):
        name = key[len(lead_query.CUSTOM_PREFIX) :]
        value = (lead.custom or {}).get(name)
        return value if value not in (None, "") else (lead.extra or {}).get(name, "")
    if key.startswith("company_"):
        return getattr(company, key[len("company_") :], "") or "" if company else ""
    if key == "phone":
        return lead.phone or lead.mobile_phone or ""
    if key == "created":
        return lead.created_at.strftime("%Y-%m-%d")
    return getattr(lead, key, "") or ""
