"""Exports: leads as CSV rows by template, with a guard against formula injection.

Why the guard lives here: every CSV LeadReel hands out (exports, the import's
rejected-rows report) is opened in a spreadsheet, where a cell starting with `=`,
`+`, `-`, `@`, tab or carriage return runs as a formula (OWASP "CSV injection").
Such cells get a leading single quote, which spreadsheets show as text.

The "core" template has one column per core field key (the header is the key):
the lead's own fields, and the company fields filled from the lead's company.
The export-templates feature builds named templates on `core_rows`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.fields import CORE_FIELDS
from leadreel.models import COMPANY_FIELD_ATTRS, Lead
from leadreel.services.permissions import Actor, scope_leads

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CORE_HEADERS: tuple[str, ...] = tuple(spec.key for spec in CORE_FIELDS)
TEMPLATES = ("core",)


def neutralize(value: Any) -> str:
    """Text safe to put in a CSV cell: formula-looking cells get a leading `'`."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text and text.startswith(FORMULA_START):
        return "'" + text
    return text


def core_row(lead: Lead) -> list[str]:
    """One lead as the core template's cells (not yet neutralised)."""
    company = lead.company
    cells: list[str] = []
    for key in CORE_HEADERS:
        attr = COMPANY_FIELD_ATTRS.get(key)
        if attr is not None:
            value = getattr(company, attr, None) if company is not None else None
        else:
            value = getattr(lead, key, None)
        cells.append("" if value is None else str(value))
    return cells


def core_rows(session: Session, user: Actor | None = None) -> Iterator[list[str]]:
    """Header row, then every lead the user may see (all leads without a user), by id."""
    yield list(CORE_HEADERS)
    query = select(Lead).order_by(Lead.id)  # Lead.company is loaded by a join
    if user is not None:
        query = scope_leads(query, user)
    for lead in session.scalars(query.execution_options(yield_per=1000)):
        yield [neutralize(c) for c in core_row(lead)]


def write_csv(rows: Iterator[list[str]], path: Path) -> int:
    """Write rows (header first) to `path`; returns the number of data rows."""
    count = -1
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        for row in rows:
            writer.writerow(row)
            count += 1
    return max(count, 0)


def export_template(session: Session, template: str, path: Path, user: Actor | None = None) -> int:
    """Write an export of `template` to `path`; raises ValueError for an unknown template."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown export template {template!r}; known: {', '.join(TEMPLATES)}")
    return write_csv(core_rows(session, user), path)
