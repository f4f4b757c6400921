"""What one import run knows across its chunks: who, which batch, counts, companies seen.

Why its own module: both halves of the matching (`companies`, `resolve`) read and
update it, and it is the part a resumed run reloads (`ImportRun.load_matches`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from leadreel.services.dedupe import company_key_domain
from leadreel.services.importing import writer as w

COMPANY_COLUMN_NAMES = tuple(w.COMPANY_COLUMNS.values())  # `PreparedRow.company` order
_COLUMN_BITS = {col: 1 << i for i, col in enumerate(COMPANY_COLUMN_NAMES)}
#: Extra bits of `ImportRun.company_mask` beside one bit per company column.
HAS_DOMAIN = 1 << 40
OWN = 1 << 41
#: Counts kept as numbers (matches and updates are counted from sets of ids).
COUNTED = (
    "rows_read",
    "rows_rejected",
    "leads_created",
    "duplicates_merged",
    "companies_created",
    "warnings",
)
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
    #: `PreparedRow.company_mask`) plus HAS_DOMAIN and OWN (created by this batch).
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
            if domain is None or not self.company_mask[cid] & HAS_DOMAIN:
                return cid
        return None

    def remember_company(self, cid: int, values: Mapping[str, Any], own: bool) -> None:
        if len(self.company_mask) >= MAX_REMEMBERED_COMPANIES:
            self.company_by_domain.clear()
            self.company_by_name.clear()
            self.company_mask.clear()
        domain = company_key_domain(values.get("domain") or values.get("website"))
        name = values.get("name_key") or None
        mask = OWN if own else 0
        if domain:
            self.company_by_domain.setdefault(domain, cid)
            mask |= HAS_DOMAIN
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

    def resume(self, conn: Connection, counts: Mapping[str, Any]) -> None:
        """After a crash: the counts and the matches of the committed part of the batch."""
        for key in COUNTED:
            self.counts[key] = int(counts.get(key, 0))
        self.load_matches(conn)

    def load_matches(self, conn: Connection) -> None:
        """What the committed part of this batch matched and changed."""
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
        out = {k: int(self.counts[k]) for k in COUNTED}
        out["leads_matched"] = len(self.matched_leads)
        out["leads_updated"] = len(self.updated_leads)
        out["companies_matched"] = len(self.matched_companies)
        out["companies_updated"] = len(self.updated_companies)
        out["leads_total"] = out["leads_created"] + out["leads_matched"]
        out["companies_total"] = out["companies_created"] + out["companies_matched"]
        return out
