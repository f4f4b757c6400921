"""The overview's columns: which exist (core, company, custom), and each user's choice.

Why stored on the user: a salesperson picks the columns once and gets them on every
device; the choice lives in ``User.preferences["lead_columns"]`` (JSON), validated here
against the columns that exist, so a removed custom field simply drops out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from leadreel.models import User
from leadreel.services.leads.custom_fields import known_keys
from leadreel.services.leads.query import CUSTOM_PREFIX, SORTS

PREF_KEY = "lead_columns"
MAX_COLUMNS = 30


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    group: str  # core | company | custom
    sort: str | None  # the sort key, None: not sortable


CORE = (
    Column("name", "Name", "core", "name"),
    Column("company", "Company", "core", "company"),
    Column("email", "Email", "core", "email"),
    Column("phone", "Phone", "core", None),
    Column("job_title", "Job title", "core", "job_title"),
    Column("city", "City", "core", "city"),
    Column("country", "Country", "core", "country"),
    Column("owner", "Owner", "core", "owner"),
    Column("batch", "Batch", "core", "batch"),
    Column("created", "Imported", "core", "created"),
    Column("tag", "Tag", "core", None),
    Column("progress", "Progress", "core", "video"),
    Column("views", "Views", "core", "views"),
)
COMPANY = (
    Column("company_domain", "Domain", "company", None),
    Column("company_website", "Website", "company", None),
    Column("company_industry", "Industry", "company", None),
    Column("company_city", "Company city", "company", None),
    Column("company_country", "Company country", "company", None),
    Column("company_employee_count", "Employees", "company", None),
)
DEFAULT = (
    "name",
    "company",
    "email",
    "job_title",
    "owner",
    "batch",
    "created",
    "progress",
    "views",
)
assert all(c.sort is None or c.sort in SORTS for c in CORE)


def available(session: Session) -> list[Column]:
    custom = [
        Column(CUSTOM_PREFIX + key, key, "custom", CUSTOM_PREFIX + key)
        for key in known_keys(session)
    ]
    return [*CORE, *COMPANY, *custom]


def chosen(session: Session, user: User) -> list[Column]:
    """The user's columns in their order (the default set when they chose none)."""
    by_key = {c.key: c for c in available(session)}
    keys = (user.preferences or {}).get(PREF_KEY) or list(DEFAULT)
    picked = [by_key[k] for k in keys if k in by_key]
    return picked or [by_key[k] for k in DEFAULT]


def choose(session: Session, user: User, keys: list[str]) -> list[Column]:
    """Remember ``keys`` (unknown ones dropped, order kept); the caller commits."""
    by_key = {c.key: c for c in available(session)}
    clean = list(dict.fromkeys(k for k in keys if k in by_key))[:MAX_COLUMNS]
    user.preferences = {**(user.preferences or {}), PREF_KEY: clean}
    return [by_key[k] for k in clean]
