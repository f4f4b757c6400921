"""Match the companies of one chunk: the run's memory first, then the database, then create.

Rules (issue 4): companies match by domain, then normalised name; a weaker key never
matches when a stronger one differs. A row whose company this run already resolved and
that brings no new field needs no database read at all (most rows of a big file).
Merging fills empty fields only; the values replaced are recorded for undo.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from leadreel.services.dedupe import (
    DedupeIndex,
    company_key_domain,
    fill_from,
    merge_fields,
    normalize_company_name,
)
from leadreel.services.importing import writer as w
from leadreel.services.importing.prepare import PreparedRow
from leadreel.services.importing.run_state import COMPANY_COLUMN_NAMES, OWN, ImportRun

_MASK_COLUMNS: dict[int, tuple[str, ...]] = {}


def _company_values(r: PreparedRow) -> dict[str, Any]:
    """The row's company as {column: value}, filled columns only."""
    columns = _MASK_COLUMNS.get(r.company_mask)
    if columns is None:
        columns = _MASK_COLUMNS[r.company_mask] = tuple(
            col for i, col in enumerate(COMPANY_COLUMN_NAMES) if r.company_mask >> i & 1
        )
    return dict(zip(columns, r.company, strict=True))


def write_companies(
    conn: Connection, run: ImportRun, rows: list[PreparedRow], now: datetime
) -> list[int | None]:
    # Rows of a company resolved by an earlier chunk that bring nothing new need no read.
    ids: list[int | None] = [None] * len(rows)
    slow: list[int] = []
    cached, masks, matched = run.cached_company, run.company_mask, run.matched_companies
    for i, r in enumerate(rows):
        if r.domain_key is None and r.name_key is None:
            continue
        cid = cached(r.domain_key, r.name_key)
        if cid is not None:
            known = masks[cid]
            if not r.company_mask & ~known:
                ids[i] = cid
                if not known & OWN and cid not in matched:
                    matched.add(cid)
                    run.unrecorded("company", cid)
                continue
        slow.append(i)
    if slow:
        _resolve_companies(conn, run, rows, slow, ids, now)
    return ids


def _resolve_companies(
    conn: Connection,
    run: ImportRun,
    rows: list[PreparedRow],
    slow: list[int],
    ids: list[int | None],
    now: datetime,
) -> None:
    """Match the `slow` rows' companies against the database and each other; fill `ids`."""
    # Domain first; names are looked up only for rows whose domain the database lacks
    # (a row whose domain is found matches by domain, whatever its name finds).
    domains = {d for i in slow if (d := rows[i].domain_key)}
    by_domain = w.fetch_by(conn, w.COMPANIES, "domain", domains)
    found = {company_key_domain(c["domain"] or c["website"]) for c in by_domain}
    names = {r.name_key for i in slow if (r := rows[i]).name_key and r.domain_key not in found}
    index = DedupeIndex(("domain", "name"))
    existing: dict[int, dict[str, Any]] = {}
    for c in sorted(
        (*by_domain, *w.fetch_by(conn, w.COMPANIES, "name_key", names)), key=lambda c: c["id"]
    ):
        if c["id"] in existing:
            continue
        existing[c["id"]] = c
        index.add(
            ("db", c["id"]),
            (company_key_domain(c["domain"] or c["website"]), c["name_key"] or None),
        )
    new: dict[Any, dict[str, Any]] = {}
    merged_db: dict[int, dict[str, Any]] = {}
    previous: dict[int, dict[str, Any]] = {}
    refs: dict[int, Any] = {}
    for i in slow:
        r = rows[i]
        values = _company_values(r)
        ref, created = index.match_or_add(("new", i), (r.domain_key, r.name_key))
        refs[i] = ref
        if created:
            values.update(
                name_key=(r.name_key or "")[:300],
                inferred=list(r.company_inferred),
                created_by_batch_id=run.batch_id,
                owner_id=run.owner_id,
            )
            new[ref] = values
        elif ref[0] == "new":
            target = new[ref]
            target.update(merge_fields(target, values).merged)
            target["name_key"] = (
                target["name_key"] or normalize_company_name(target.get("name")) or ""
            )
        else:
            cid = ref[1]
            current = merged_db.setdefault(cid, dict(existing[cid]))
            if not _fills_something(current, values):
                continue
            result = merge_fields(current, values)
            if result.previous:
                prev = previous.setdefault(cid, {})
                fill_from(current, result, prev)
                if "name" in result.previous and not current.get("name_key"):
                    prev.setdefault("name_key", existing[cid]["name_key"])
                    current["name_key"] = (normalize_company_name(current["name"]) or "")[:300]
    created_ids = w.insert_companies(conn, list(new.values()), now)
    real = dict(zip(new.keys(), created_ids, strict=True))
    run.counts["companies_created"] += len(created_ids)
    for ref, rid in real.items():
        run.remember_company(rid, new[ref], own=True)
    for cid in {ref[1] for ref in refs.values() if ref[0] == "db"}:
        mine = existing[cid]["created_by_batch_id"] == run.batch_id
        run.remember_company(cid, merged_db.get(cid, existing[cid]), own=mine)
        if not mine and cid not in run.matched_companies:
            run.matched_companies.add(cid)
            run.unrecorded("company", cid)
    own = {cid for cid in previous if existing[cid]["created_by_batch_id"] == run.batch_id}
    changes = [(cid, {k: merged_db[cid][k] for k in prev}) for cid, prev in previous.items()]
    w.update_rows(conn, w.COMPANIES, changes, now)
    w.record_changes(
        conn,
        run.batch_id,
        "company",
        [(cid, prev) for cid, prev in previous.items() if cid not in own],
    )
    run.updated_companies.update(cid for cid in previous if cid not in own)
    for i, ref in refs.items():
        ids[i] = real[ref] if ref[0] == "new" else ref[1]


def _fills_something(current: Mapping[str, Any], incoming: Mapping[str, Any]) -> bool:
    """Cheap pre-check: would `merge_fields` fill any empty field? (most repeats fill none)."""
    for key, value in incoming.items():
        if value is not None and value != "":
            old = current.get(key)
            if old is None or old == "" or (isinstance(old, str) and not old.strip()):
                return True
    return False
