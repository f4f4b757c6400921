"""Sorting and keyset paging of a lead Selection: one page in a bounded number of index reads.

Why keyset and two segments: OFFSET reads and throws away every row before the page
(page 2,000 of a million leads reads 100,000 rows); a keyset page starts right after the
last row seen, ``(sort value, id) > (last value, last id)``, one index seek whatever the
depth, and a row inserted meanwhile can neither be skipped nor shown twice. NULLs would
sort first on SQLite and last on PostgreSQL, so a nullable sort is walked in two
segments, rows with a value (ordered by value, then id) then rows without (ordered by
id): the order is the same on both databases, and each segment is a range of the same
``(column, id)`` index (migration 0008 makes one per offered sort). Text compares
byte-wise on both (SQLite BINARY, PostgreSQL's ``C.UTF-8`` database collation).

Sorts through another table walk that table's index: company sorts by
``(companies.name_key, company id, lead id)`` over an inner join, so SQLite walks
``ix_companies_name_key`` (which carries the rowid) and each company's leads by
``ix_leads_company_id`` with no sort at all; owner sorts by the user's email.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, tuple_
from sqlalchemy.orm import Session, aliased

from leadreel.errors import ValidationError
from leadreel.models import Company, Lead, User
from leadreel.services.leads import selection as sel
from leadreel.services.leads.custom_fields import check_key, ensure_index, extra_text
from leadreel.services.leads.selection import Selection

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_SORT = "created"
CUSTOM_PREFIX = "cf:"
Owner = aliased(User, name="owner_users")


@dataclass(frozen=True)
class SortKey:
    """One offered sort: its leading columns (``Lead.id`` always breaks ties)."""

    key: str
    label: str
    columns: tuple[Any, ...]
    #: Rows whose leading value is missing: the second segment (None: never missing).
    missing: ColumnElement[bool] | None = None
    present: ColumnElement[bool] | None = None
    join_owner: bool = False
    #: The first segment inner-joins companies (SQLite then walks companies by name).
    inner_company: bool = False
    #: False: no index serves it (an honest full sort; kept for small tables).
    indexed: bool = True
    default_desc: bool = False


def _nullable(key: str, label: str, column: Any, **kw: Any) -> SortKey:
    return SortKey(key, label, (column,), column.is_(None), column.is_not(None), **kw)


SORTS: dict[str, SortKey] = {
    s.key: s
    for s in (
        SortKey("created", "Imported", (Lead.created_at,), default_desc=True),
        _nullable("name", "Name", Lead.last_name),
        SortKey(
            "company",
            "Company",
            (Company.name_key, Lead.company_id),
            Lead.company_id.is_(None),
            Lead.company_id.is_not(None),
            inner_company=True,
        ),
        _nullable("email", "Email", Lead.email),
        _nullable("job_title", "Job title", Lead.job_title),
        _nullable("city", "City", Lead.city),
        _nullable("country", "Country", Lead.country),
        SortKey(
            "owner",
            "Owner",
            (Owner.email,),
            Lead.owner_id.is_(None),
            Lead.owner_id.is_not(None) & Owner.id.is_not(None),
            join_owner=True,
        ),
        SortKey(
            "batch",
            "Batch",
            (Lead.batch_id, Lead.created_at),
            Lead.batch_id.is_(None),
            Lead.batch_id.is_not(None),
            default_desc=True,
        ),
        # the latest video's, kept on the lead by triggers (migration 0010)
        _nullable("video", "Video", Lead.video_status),
        _nullable("views", "Views", Lead.video_views, default_desc=True),
    )
}


def sort_key(name: str) -> SortKey:
    """The sort called ``name`` (``cf:<key>`` for a custom field); ValidationError otherwise."""
    if name.startswith(CUSTOM_PREFIX):
        key = check_key(name[len(CUSTOM_PREFIX) :])
        column = extra_text(key)
        return SortKey(name, key, (column,), column.is_(None), column.is_not(None))
    if name not in SORTS:
        raise ValidationError(f"unknown sort {name!r} (use {', '.join(SORTS)} or cf:<field>)")
    return SORTS[name]


def prepare_sort(session: Session, name: str) -> SortKey:
    """``sort_key``, making sure a custom field's index exists first."""
    key = sort_key(name)
    if name.startswith(CUSTOM_PREFIX):
        ensure_index(session.get_bind(), key.label)  # type: ignore[arg-type]
    return key


# -- cursors --------------------------------------------------------------------------------


def encode_cursor(segment: int, values: list[Any], lead_id: int) -> str:
    items = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    raw = json.dumps([segment, items, lead_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[int, list[Any], int]:
    """(segment, leading values, lead id); ValidationError for a damaged token."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        segment, items, lead_id = json.loads(raw)
        values = [datetime.fromisoformat(v["t"]) if isinstance(v, dict) else v for v in items]
        if segment not in (0, 1) or not isinstance(lead_id, int):
            raise ValueError(segment)
        return segment, values, lead_id
    except (ValueError, TypeError, KeyError):
        raise ValidationError("this page link is damaged; start from the first page") from None


# -- pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeysetPage:
    """Lead ids of one page, in order, and the cursor of the next page (None: last page)."""

    ids: list[int]
    next_cursor: str | None


def _base(user: User, selection: Selection, key: SortKey, segment: int = 0) -> Select[Any]:
    labels = [c.label(f"s{i}") for i, c in enumerate(key.columns)]
    inner = key.inner_company and segment == 0
    query = sel.lead_query(user, selection, Lead.id, *labels, inner_company=inner)
    if key.join_owner:
        query = query.outerjoin(Owner, Owner.id == Lead.owner_id)
    return query


def _segment0(query: Select[Any], key: SortKey, desc: bool, after: tuple[list[Any], int] | None):
    cols = [*key.columns, Lead.id]
    if key.present is not None:
        query = query.where(key.present)
    if after is not None:
        values, lead_id = after
        binds = [
            bindparam(None, v, type_=c.type) for c, v in zip(cols, [*values, lead_id], strict=True)
        ]
        row, bound = tuple_(*cols), tuple_(*binds)
        query = query.where(row < bound if desc else row > bound)
        # The same bound on the leading column alone: PostgreSQL turns it into an index
        # condition on a joined table's sort column (the row comparison it only filters).
        query = query.where(cols[0] <= binds[0] if desc else cols[0] >= binds[0])
    return query.order_by(*(c.desc() if desc else c.asc() for c in cols))


def _segment1(query: Select[Any], key: SortKey, desc: bool, after_id: int | None):
    assert key.missing is not None
    query = query.where(key.missing)
    if after_id is not None:
        query = query.where(Lead.id < after_id if desc else Lead.id > after_id)
    return query.order_by(Lead.id.desc() if desc else Lead.id.asc())


def keyset_page(
    session: Session,
    user: User,
    selection: Selection,
    key: SortKey,
    *,
    desc: bool,
    after: str | None = None,
    size: int = 50,
) -> KeysetPage:
    """The ``size`` leads after the cursor ``after`` in ``key`` order (values first, then
    missing values), as ids."""
    segment, values, last_id = decode_cursor(after) if after else (0, [], None)
    rows: list[Any] = []
    if segment == 0:
        start = (values, last_id) if after else None
        first = _segment0(_base(user, selection, key, 0), key, desc, start)
        rows = list(session.execute(first.limit(size + 1)))
    segment_of = [0] * len(rows)
    if len(rows) <= size and key.missing is not None:
        want = size + 1 - len(rows)
        from_id = last_id if segment == 1 else None
        rest = _segment1(_base(user, selection, key, 1), key, desc, from_id)
        more = list(session.execute(rest.limit(want)))
        rows += more
        segment_of += [1] * len(more)
    has_more = len(rows) > size
    rows, segment_of = rows[:size], segment_of[:size]
    cursor = None
    if has_more and rows:
        last = rows[-1]
        values = [getattr(last, f"s{i}") for i in range(len(key.columns))]
        cursor = encode_cursor(segment_of[-1], values if segment_of[-1] == 0 else [], last.id)
    return KeysetPage([r.id for r in rows], cursor)


def naive_page(
    session: Session,
    user: User,
    selection: Selection,
    key: SortKey,
    *,
    desc: bool,
    page: int,
    size: int = 50,
) -> list[int]:
    """OFFSET paging in the same order: the benchmark's comparator, never the product."""
    base = _base(user, selection, key)
    order = [
        *(c.desc() if desc else c.asc() for c in key.columns),
        Lead.id.desc() if desc else Lead.id.asc(),
    ]
    query = base.order_by(*order).offset((page - 1) * size).limit(size)
    return [r.id for r in session.execute(query)]
