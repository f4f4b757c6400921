"""Company list and detail pages: companies with lead counts, their leads and website facts.

Why scoped through leads: companies have no owner of their own that reps are bound to; a
rep sees a company when one of their leads works there (an EXISTS on
``ix_leads_company_id``), and its counts and leads are only theirs. The list is walked
in ``name_key`` (or id) order with a keyset cursor, like the leads overview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select, tuple_
from sqlalchemy.orm import Session

from leadreel.errors import NotFound, ValidationError
from leadreel.models import Company, Lead, User
from leadreel.services.leads.search import company_search
from leadreel.services.permissions import can, scope_leads

SORTS = {"name": Company.name_key, "created": Company.created_at}


@dataclass
class CompanyRow:
    company: Company
    leads: int


@dataclass
class CompanyPage:
    rows: list[CompanyRow]
    next_cursor: str | None


def _visible(user: User) -> Any:
    if can(user, "leads.view_all"):
        return None
    return exists(select(1).where(Lead.company_id == Company.id, Lead.owner_id == user.id))


def list_companies(
    session: Session,
    user: User,
    *,
    q: str = "",
    sort: str = "name",
    after: str | None = None,
    size: int = 50,
) -> CompanyPage:
    """A page of the companies the user may see, with how many of their leads each has."""
    if sort not in SORTS:
        raise ValidationError(f"unknown sort {sort!r} (use {', '.join(SORTS)})")
    column = SORTS[sort]
    query = select(Company)
    if (visible := _visible(user)) is not None:
        query = query.where(visible)
    if q.strip():
        query = query.where(company_search(q.strip()))
    if after:
        value, _, ident = after.rpartition("|")
        if not ident.isdigit():
            raise ValidationError("this page link is damaged; start from the first page")
        if sort == "name":
            query = query.where(tuple_(column, Company.id) > tuple_(value, int(ident)))
        else:
            query = query.where(Company.id < int(ident))
    order = (column.asc(), Company.id.asc()) if sort == "name" else (Company.id.desc(),)
    found = list(session.scalars(query.order_by(*order).limit(size + 1)))
    more = len(found) > size
    found = found[:size]
    counts = _lead_counts(session, user, [c.id for c in found])
    cursor = None
    if more and found:
        last = found[-1]
        cursor = f"{last.name_key if sort == 'name' else ''}|{last.id}"
    return CompanyPage([CompanyRow(c, counts.get(c.id, 0)) for c in found], cursor)


def _lead_counts(session: Session, user: User, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    query = scope_leads(
        select(Lead.company_id, func.count()).where(Lead.company_id.in_(ids)), user
    ).group_by(Lead.company_id)
    return {cid: n for cid, n in session.execute(query)}


def get_company(session: Session, user: User, company_id: int) -> Company:
    """A company the user may see; NotFound otherwise (ids do not leak)."""
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound(f"company {company_id} not found")
    visible = _visible(user)
    if visible is not None and not session.scalar(
        select(func.count()).select_from(
            select(Company.id).where(Company.id == company.id, visible).subquery()
        )
    ):
        raise NotFound(f"company {company_id} not found")
    return company


def company_leads(session: Session, user: User, company_id: int, limit: int = 200) -> list[Lead]:
    return list(
        session.scalars(
            scope_leads(select(Lead).where(Lead.company_id == company_id), user)
            .order_by(Lead.id)
            .limit(limit)
        )
    )


FACT_FIELDS = (
    ("website", "Website"),
    ("domain", "Domain"),
    ("phone", "Phone"),
    ("industry", "Industry"),
    ("employee_count", "Employees"),
    ("annual_revenue", "Revenue"),
    ("address", "Address"),
    ("city", "City"),
    ("state", "State"),
    ("postal_code", "Postal code"),
    ("country", "Country"),
    ("linkedin_url", "LinkedIn"),
    ("facebook_url", "Facebook"),
    ("instagram_url", "Instagram"),
    ("twitter_url", "Twitter / X"),
    ("ads_url", "Ads library"),
    ("description", "Description"),
)


def facts(company: Company) -> list[tuple[str, str, bool]]:
    """(label, value, inferred) of the company's filled fields, then its extra fields."""
    inferred = set(company.inferred or [])
    rows = [
        (label, str(getattr(company, attr)), attr in inferred or f"company_{attr}" in inferred)
        for attr, label in FACT_FIELDS
        if getattr(company, attr)
    ]
    rows += [
        (str(k), str(v), False) for k, v in (company.extra or {}).items() if v not in (None, "")
    ]
    return rows
