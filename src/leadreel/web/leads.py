"""The leads overview and one lead's page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from leadreel.extensions import db
from leadreel.models import Company, ImportBatch, Lead, User, Video
from leadreel.services.permissions import can, scope_batches, scope_leads
from leadreel.web.permissions import get_owned, require

bp = Blueprint("leads", __name__)

SORTS = {
    "name": (Lead.last_name, Lead.first_name),
    "company": (Company.name,),
    "email": (Lead.email,),
    "created": (Lead.created_at,),
    "status": (Lead.status,),
}
PAGE_SIZE = 50


@bp.route("/")
@require("leads.edit")
def index():  # type: ignore[no-untyped-def]
    """A sortable, filterable table of the leads the user may see."""
    args = request.args
    query = scope_leads(
        select(Lead).outerjoin(Company, Lead.company_id == Company.id), current_user
    )
    if q := args.get("q", "").strip():
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Lead.first_name).like(like),
                func.lower(Lead.last_name).like(like),
                func.lower(Lead.email).like(like),
                func.lower(Company.name).like(like),
                func.lower(Company.domain).like(like),
            )
        )
    if batch := args.get("batch", type=int):
        query = query.where(Lead.batch_id == batch)
    if status := args.get("status"):
        query = query.where(Lead.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    sort = args.get("sort", "created")
    columns = SORTS.get(sort, SORTS["created"])
    desc = args.get("dir", "desc" if sort == "created" else "asc") == "desc"
    order = [c.desc() if desc else c.asc() for c in columns] + [
        Lead.id.desc() if desc else Lead.id.asc()
    ]
    page = max(args.get("page", 1, type=int), 1)
    leads = db.session.scalars(
        query.order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    batches = db.session.scalars(
        scope_batches(select(ImportBatch), current_user).order_by(ImportBatch.id.desc()).limit(50)
    ).all()
    chat_filter = {"q": q, "batch_id": batch or None, "status": status or ""}
    return render_template(
        "leads/index.html",
        leads=leads,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        sort=sort,
        desc=desc,
        batches=batches,
        args=args,
        videos=_latest_statuses([lead.id for lead in leads]),
        chat_filter=chat_filter,
    )


def _latest_statuses(lead_ids: list[int]) -> dict[int, str]:
    """Each listed lead's latest video status (the row shows renders the assistant starts)."""
    if not lead_ids:
        return {}
    latest = select(func.max(Video.id)).where(Video.lead_id.in_(lead_ids)).group_by(Video.lead_id)
    rows = db.session.execute(select(Video.lead_id, Video.status).where(Video.id.in_(latest)))
    return {lead_id: status for lead_id, status in rows}


@bp.route("/leads/<int:lead_id>")
@require("leads.edit")
def detail(lead_id: int):  # type: ignore[no-untyped-def]
    """Everything known about one lead."""
    lead = get_owned(Lead, lead_id, "leads.edit")
    owner = db.session.get(User, lead.owner_id) if lead.owner_id else None
    users = (
        db.session.scalars(select(User).where(User.active).order_by(User.email)).all()
        if can(current_user, "leads.assign")
        else []
    )
    return render_template(
        "leads/detail.html", lead=lead, owner=owner, users=users, editable=EDITABLE
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
    for key in EDITABLE:
        if key in form:
            value = form[key].strip()
            setattr(lead, key, (value.lower() if key == "email" else value) or None)
            if key in (lead.inferred or []):
                lead.inferred = [k for k in lead.inferred if k != key]  # a person confirmed it
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
    flash("Lead deleted.", "success")
    return redirect(url_for("leads.index"))
