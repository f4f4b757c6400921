"""Match one chunk of prepared rows against the database and write it.

Companies are resolved first (`companies`), then the leads, here. Why per chunk, with
the database as the memory: leads and companies created by
earlier chunks are already in the database, so one set of `IN` queries per chunk
finds both the records the database held before the import *and* the ones this file
created a moment ago. In-file and against-database matching are the same mechanism
(`dedupe.DedupeIndex` seeded with the chunk's candidates), and memory stays bounded
by the chunk size however long the file is.

Rules (issue 4):
- companies match by domain, then normalised name; leads by email, then LinkedIn
  profile, then first+last name at the same (resolved) company. A business-only row
  (no person name) matches the business lead of the same company.
- merge = fill empty fields only (`dedupe.merge_fields`); the values replaced are
  written as `ImportChange(action="updated", previous=...)` for undo.
- created records are tagged (`leads.batch_id`, `companies.created_by_batch_id`);
  undo finds them by that tag, so no change row is written per created record.
- a rep's import matches only the rep's own leads (`match_owner_id`): another rep's
  lead is never updated, the rep gets a lead of their own. Companies are shared.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from leadreel.services.dedupe import (
    DedupeIndex,
    fill_from,
    lead_email_key,
    linkedin_key,
    merge_fields,
    person_company_key,
)
from leadreel.services.importing import writer as w
from leadreel.services.importing.companies import write_companies
from leadreel.services.importing.prepare import LINKEDIN_ROOT, PreparedRow
from leadreel.services.importing.run_state import ImportRun

__all__ = ["ImportRun", "lead_person_key", "write_chunk"]

_NAME_FIELDS = ("first_name", "last_name", "full_name")
_PERSON_KEY_MAX = w.LEADS.c.person_key.type.length  # type: ignore[attr-defined]


def lead_person_key(lead: Mapping[str, Any], company_id: int | None) -> str | None:
    """Name-at-company key on the resolved company id; `biz@c<id>` for a business-only lead."""
    if company_id is None:
        return None
    if not any(lead.get(k) for k in _NAME_FIELDS):
        return f"biz@c{company_id}"
    return person_company_key(lead.get("first_name"), lead.get("last_name"), f"c{company_id}")


def _row_person_key(r: PreparedRow, company_id: int | None) -> str | None:
    """`lead_person_key` from the pool's template (no dict needed)."""
    if company_id is None:
        return None
    if r.person_template:
        key = f"{r.person_template[:-1]}c{company_id}"
        return key if len(key) <= _PERSON_KEY_MAX else key[:_PERSON_KEY_MAX]
    return f"biz@c{company_id}" if r.is_business_only else None


def write_chunk(conn: Connection, run: ImportRun, rows: list[PreparedRow], now: datetime) -> None:
    """Match and store the accepted rows of one chunk (the caller commits)."""
    ok = [r for r in rows if r.error is None]
    run.counts["rows_read"] += len(rows)
    run.counts["rows_rejected"] += len(rows) - len(ok)
    run.counts["warnings"] += sum(len(r.warnings) for r in ok)
    if ok:
        company_ids = write_companies(conn, run, ok, now)
        _write_leads(conn, run, ok, company_ids, now)
        run.record_matches(conn)


# ---- companies --------------------------------------------------------------------


def _write_leads(
    conn: Connection,
    run: ImportRun,
    rows: list[PreparedRow],
    company_ids: list[int | None],
    now: datetime,
) -> None:
    person_keys = list(map(_row_person_key, rows, company_ids))
    row_emails, row_linkedins = [r.email_key for r in rows], [r.linkedin_key for r in rows]
    keys = list(zip(row_emails, row_linkedins, person_keys, strict=True))
    # Strongest key first; weaker keys only for rows the stronger ones did not find.
    owner = run.match_owner_id
    by_email = w.fetch_by(conn, w.LEADS, "email", {k[0] for k in keys if k[0]}, owner)
    emails = {lead_email_key(lead["email"]) for lead in by_email}
    rest = [k for k in keys if k[0] not in emails]
    by_linkedin = w.fetch_by(
        conn, w.LEADS, "linkedin_url", {LINKEDIN_ROOT + k[1] for k in rest if k[1]}, owner
    )
    linkedins = {linkedin_key(lead["linkedin_url"]) for lead in by_linkedin}
    by_person = w.fetch_by(
        conn, w.LEADS, "person_key", {k[2] for k in rest if k[2] and k[1] not in linkedins}, owner
    )
    index = DedupeIndex(("email", "linkedin", "name_company"))
    existing: dict[int, dict[str, Any]] = {}
    for lead in sorted((*by_email, *by_linkedin, *by_person), key=lambda lead: lead["id"]):
        if lead["id"] in existing:
            continue
        existing[lead["id"]] = lead
        index.add(
            ("db", lead["id"]),
            (
                lead_email_key(lead["email"]),
                linkedin_key(lead["linkedin_url"]),
                lead["person_key"],
            ),
        )
    new: dict[Any, tuple[Any, ...] | dict[str, Any]] = {}
    merged_db: dict[int, dict[str, Any]] = {}
    previous: dict[int, dict[str, Any]] = {}
    tail = (None, "new", run.owner_id, run.batch_id)  # tag, status, owner_id, batch_id
    for i, (r, cid, pk, key) in enumerate(zip(rows, company_ids, person_keys, keys, strict=True)):
        ref, created = index.match_or_add(("new", i), key)
        if created:
            inferred = json.dumps(r.inferred) if r.inferred else "[]"
            new[ref] = (*r.lead, cid, pk, r.extra, inferred, *tail)
            continue
        run.counts["duplicates_merged"] += 1
        values: dict[str, Any] = {
            k: v for k, v in zip(w.LEAD_COLUMNS, r.lead, strict=True) if v is not None
        }
        values["company_id"] = cid
        if ref[0] == "new":
            target = new[ref]
            if isinstance(target, tuple):
                target = new[ref] = _new_lead_dict(target)
            _merge_into(target, values, r, None)
            continue
        lid = ref[1]
        current = merged_db.setdefault(lid, dict(existing[lid]))
        prev = previous.setdefault(lid, {})
        _merge_into(current, values, r, prev)
        if existing[lid]["batch_id"] != run.batch_id and lid not in run.matched_leads:
            run.matched_leads.add(lid)
            run.unrecorded("lead", lid)
    w.insert_leads(conn, [v if isinstance(v, tuple) else _lead_row(v) for v in new.values()], now)
    run.counts["leads_created"] += len(new)
    changed = {lid: prev for lid, prev in previous.items() if prev}
    w.update_rows(
        conn,
        w.LEADS,
        [(lid, {k: merged_db[lid][k] for k in prev}) for lid, prev in changed.items()],
        now,
    )
    foreign = {
        lid: prev for lid, prev in changed.items() if existing[lid]["batch_id"] != run.batch_id
    }
    w.record_changes(conn, run.batch_id, "lead", list(foreign.items()))
    run.updated_leads.update(foreign)


def _new_lead_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    """A new lead's `writer.LEAD_ROW` tuple as a dict to merge into (JSON decoded)."""
    lead = dict(zip(w.LEAD_ROW, row, strict=True))
    lead["extra"] = json.loads(lead["extra"])
    lead["inferred"] = json.loads(lead["inferred"])
    return lead


def _lead_row(lead: dict[str, Any]) -> tuple[Any, ...]:
    lead = {
        **lead,
        "extra": json.dumps(lead["extra"], ensure_ascii=False) if lead["extra"] else "{}",
        "inferred": json.dumps(lead["inferred"]) if lead["inferred"] else "[]",
    }
    return w.lead_row_of(lead)


def _merge_into(
    current: dict[str, Any],
    values: dict[str, Any],
    r: PreparedRow,
    previous: dict[str, Any] | None,
) -> None:
    """Fill `current`'s empty fields (and extra keys) from one more row of the same lead."""
    result = merge_fields(current, values)
    prev = previous if previous is not None else {}
    fill_from(current, result, prev)
    filled_inferred = [k for k in r.inferred if k in result.previous]
    if filled_inferred:
        prev.setdefault("inferred", list(current.get("inferred") or []))
        current["inferred"] = sorted({*(current.get("inferred") or []), *filled_inferred})
    extra = current.get("extra") or {}
    incoming = json.loads(r.extra) if r.extra != "{}" else {}
    new_extra = {k: v for k, v in incoming.items() if k not in extra}
    if new_extra:
        prev.setdefault("extra", dict(extra))
        current["extra"] = {**extra, **new_extra}
    key = lead_person_key(current, current.get("company_id"))
    if key and key != current.get("person_key"):
        prev.setdefault("person_key", current.get("person_key"))
        current["person_key"] = w.storable(key, "leads", "person_key")
