"""Match one chunk of prepared rows against the database and write it.

Why per chunk, with the database as the only memory: leads and companies created by
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
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from leadreel.services.dedupe import (
    DedupeIndex,
    company_key_domain,
    lead_email_key,
    linkedin_key,
    merge_fields,
    normalize_company_name,
    person_company_key,
)
from leadreel.services.importing import writer as w
from leadreel.services.importing.prepare import LINKEDIN_ROOT, PreparedRow

_NAME_FIELDS = ("first_name", "last_name", "full_name")
_COMPANY_COLUMN_NAMES = tuple(w.COMPANY_COLUMNS.values())  # `PreparedRow.company` order
_COLUMN_BITS = {col: 1 << i for i, col in enumerate(_COMPANY_COLUMN_NAMES)}
_PERSON_KEY_MAX = w.LEADS.c.person_key.type.length  # type: ignore[attr-defined]
#: Extra bits of `ImportRun.company_mask` beside one bit per company column.
_HAS_DOMAIN = 1 << 40
_OWN = 1 << 41
#: Companies remembered across chunks before the memory is cleared and starts again.
MAX_REMEMBERED_COMPANIES = 250_000


@dataclass
class ImportRun:
    """What one import knows across chunks: who, which batch, running counts."""

    batch_id: int
    owner_id: int | None
    #: Restrict lead matching to this owner's leads (a rep); None matches every lead.
    match_owner_id: int | None
    counts: Counter[str] = field(default_factory=Counter)
    #: Records that existed before the import and that it matched or changed. Matches
    #: are written as `ImportChange(action="matched")` when first seen, so a resumed run
    #: reloads these sets (`load_matches`) and counts each record once.
    matched_companies: set[int] = field(default_factory=set)
    matched_leads: set[int] = field(default_factory=set)
    updated_companies: set[int] = field(default_factory=set)
    updated_leads: set[int] = field(default_factory=set)
    _unrecorded: dict[str, list[int]] = field(default_factory=lambda: {"lead": [], "company": []})
    #: Companies this run has resolved (created or matched), so later chunks need no
    #: database read for them: key -> id, and id -> filled columns (one bit each, see
    #: `PreparedRow.company_mask`) plus _HAS_DOMAIN and _OWN (created by this batch).
    company_by_domain: dict[str, int] = field(default_factory=dict)
    company_by_name: dict[str, int] = field(default_factory=dict)
    company_mask: dict[int, int] = field(default_factory=dict)

    def cached_company(self, domain: str | None, name: str | None) -> int | None:
        """The company these keys resolve to, by the rules of `DedupeIndex.find`.

        A name hit counts unless the row has a domain and the company another one: had
        the company this domain, `company_by_domain` would have found it first.
        """
        if domain and (cid := self.company_by_domain.get(domain)) is not None:
            return cid
        if name and (cid := self.company_by_name.get(name)) is not None:
            if domain is None or not self.company_mask[cid] & _HAS_DOMAIN:
                return cid
        return None

    def remember_company(self, cid: int, values: Mapping[str, Any], own: bool) -> None:
        if len(self.company_mask) >= MAX_REMEMBERED_COMPANIES:
            self.company_by_domain.clear()
            self.company_by_name.clear()
            self.company_mask.clear()
        domain = company_key_domain(values.get("domain") or values.get("website"))
        name = values.get("name_key") or None
        mask = _OWN if own else 0
        if domain:
            self.company_by_domain.setdefault(domain, cid)
            mask |= _HAS_DOMAIN
        if name:
            self.company_by_name.setdefault(name, cid)
        filled = [col for col, v in values.items() if v and col in _COLUMN_BITS]
        self.company_mask[cid] = mask | sum(map(_COLUMN_BITS.__getitem__, filled))

    def unrecorded(self, entity: str, ident: int) -> None:
        """A record matched for the first time in this run: written by `record_matches`."""
        self._unrecorded[entity].append(ident)

    def record_matches(self, conn: Connection) -> None:
        for entity, ids in self._unrecorded.items():
            w.record_changes(conn, self.batch_id, entity, [(i, {}) for i in ids], "matched")
            ids.clear()

    def load_matches(self, conn: Connection) -> None:
        """After a crash: what the committed part of this batch matched and changed."""
        sets = {
            ("lead", "matched"): self.matched_leads,
            ("lead", "updated"): self.updated_leads,
            ("company", "matched"): self.matched_companies,
            ("company", "updated"): self.updated_companies,
        }
        for entity, ident, action in w.recorded_changes(conn, self.batch_id):
            if (entity, action) in sets:
                sets[entity, action].add(ident)
        self.matched_leads |= self.updated_leads
        self.matched_companies |= self.updated_companies

    def summary(self) -> dict[str, int]:
        """The report's counts; `*_total` = distinct records the file's rows resolved to."""
        c = self.counts
        out = {
            k: int(c[k])
            for k in (
                "rows_read",
                "rows_rejected",
                "leads_created",
                "duplicates_merged",
                "companies_created",
                "warnings",
            )
        }
        out["leads_matched"] = len(self.matched_leads)
        out["leads_updated"] = len(self.updated_leads)
        out["companies_matched"] = len(self.matched_companies)
        out["companies_updated"] = len(self.updated_companies)
        out["leads_total"] = out["leads_created"] + out["leads_matched"]
        out["companies_total"] = out["companies_created"] + out["companies_matched"]
        return out


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
        company_ids = _write_companies(conn, run, ok, now)
        _write_leads(conn, run, ok, company_ids, now)
        run.record_matches(conn)


# ---- companies --------------------------------------------------------------------


_MASK_COLUMNS: dict[int, tuple[str, ...]] = {}


def _company_values(r: PreparedRow) -> dict[str, Any]:
    """The row's company as {column: value}, filled columns only."""
    columns = _MASK_COLUMNS.get(r.company_mask)
    if columns is None:
        columns = _MASK_COLUMNS[r.company_mask] = tuple(
            col for i, col in enumerate(_COMPANY_COLUMN_NAMES) if r.company_mask >> i & 1
        )
    return dict(zip(columns, r.company, strict=True))


def _write_companies(
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
                if not known & _OWN and cid not in matched:
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
                _fill(current, result, prev)
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


def _fill(current: dict[str, Any], result: Any, previous: dict[str, Any]) -> None:
    """Apply a merge result to `current`, keeping the first previous value of each field."""
    for key, old in result.previous.items():
        previous.setdefault(key, old)
        current[key] = result.merged[key]


# ---- leads --------------------------------------------------------------------------


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
        values = {k: v for k, v in zip(w.LEAD_COLUMNS, r.lead, strict=True) if v is not None}
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
    _fill(current, result, prev)
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
