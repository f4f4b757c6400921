"""Undo an import: restore what it changed, delete what it created.

Why it works without a change row per created record: the importer tags what it
creates (`leads.batch_id`, `companies.created_by_batch_id`), so "what this batch
created" is one indexed query; only the records it *updated* carry an
`ImportChange(action="updated")` with the values it replaced. Updates are undone
first (newest first), then the batch's leads are deleted, then its companies that
no remaining lead points to; a company another batch's lead now uses is kept (and
loses its tag). Everything happens in one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from leadreel.errors import PermissionDenied
from leadreel.models import ImportBatch, ImportChange
from leadreel.services.importing import writer as w
from leadreel.services.permissions import Actor, can

UNDOABLE = ("done", "failed")


class UndoError(Exception):
    """The batch cannot be undone in its current state; the message is for the user."""


def undo_batch(session: Session, batch: ImportBatch, user: Actor | None) -> dict[str, int]:
    """Undo `batch` and commit; `user` None is the command line (no permission check)."""
    if user is not None and not can(user, "leads.import", batch):
        raise PermissionDenied("not allowed: undo this import")
    if batch.status not in UNDOABLE:
        raise UndoError(f"an import that is {batch.status} cannot be undone")
    conn = session.connection()
    restored = _restore_updates(session, batch.id)
    leads = conn.execute(delete(w.LEADS).where(w.LEADS.c.batch_id == batch.id)).rowcount
    in_use = exists().where(w.LEADS.c.company_id == w.COMPANIES.c.id)
    companies = conn.execute(
        delete(w.COMPANIES).where(w.COMPANIES.c.created_by_batch_id == batch.id, ~in_use)
    ).rowcount
    kept = conn.execute(
        update(w.COMPANIES)
        .where(w.COMPANIES.c.created_by_batch_id == batch.id)
        .values(created_by_batch_id=None)
    ).rowcount
    session.execute(delete(ImportChange).where(ImportChange.batch_id == batch.id))
    result = {
        "leads_deleted": leads,
        "companies_deleted": companies,
        "companies_kept": kept,
        "records_restored": restored,
    }
    batch.status = "undone"
    batch.counts = {**(batch.counts or {}), "undo": result}
    batch.finished_at = datetime.now(UTC)
    session.commit()
    return result


def _restore_updates(session: Session, batch_id: int) -> int:
    tables = {"lead": w.LEADS, "company": w.COMPANIES}
    changes = session.execute(
        select(ImportChange.entity, ImportChange.entity_id, ImportChange.previous)
        .where(ImportChange.batch_id == batch_id, ImportChange.action == "updated")
        .order_by(ImportChange.id.desc())
    ).all()
    now = datetime.now(UTC)
    by_table: dict[str, list[tuple[int, dict[str, Any]]]] = {"lead": [], "company": []}
    for entity, entity_id, previous in changes:
        if entity in tables and previous:
            by_table[entity].append((entity_id, dict(previous)))
    for entity, items in by_table.items():
        # Newest first; a record changed by two chunks gets its oldest values last.
        for ident, values in items:
            w.update_rows(session.connection(), tables[entity], [(ident, values)], now)
    return sum(len(v) for v in by_table.values())


def batch_lead_count(session: Session, batch_id: int) -> int:
    """Leads still tagged with the batch (shown before undo)."""
    return (
        session.scalar(
            select(func.count()).select_from(w.LEADS).where(w.LEADS.c.batch_id == batch_id)
        )
        or 0
    )
