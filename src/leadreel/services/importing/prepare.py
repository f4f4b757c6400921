"""Turn parsed records into `PreparedRow`s: storable values plus matching keys.

Why its own module: this is the CPU-heavy, database-free half of an import (name
splitting, phone parsing, URL cleaning). Keeping it pure lets the importer run it in
a small process pool while the importing process matches and writes, and lets tests
call it directly. It imports no SQLAlchemy and no app code, so a pool process stays
small.

Why `PreparedRow` is a flat tuple of strings: the pool sends a million of them back
to the importing process, and unpickling nested dicts and dataclasses was one of
that process's biggest costs. Values come out already storable (cut to their column's
length) and in column order, so writing a new lead is a tuple copy.

`pool.prepare_all` runs it in child processes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from leadreel.fields import COMPANY_KEYS, LEAD_KEYS
from leadreel.services.dedupe import (
    company_keys,
    lead_email_key,
    linkedin_key,
    person_company_key,
)
from leadreel.services.importing.normalize import RowNormalizer
from leadreel.services.importing.parsing import FileFormat
from leadreel.services.importing.pieces import Piece, iter_piece

LINKEDIN_ROOT = "https://www.linkedin.com/"
_NAME_KEYS = ("first_name", "last_name", "full_name")
NAME_POSITIONS = tuple(LEAD_KEYS.index(k) for k in _NAME_KEYS)

#: (line, values, parser error) as read from the file; small and cheap to pickle.
RawRecord = tuple[int, list[str], str | None]
#: Column lengths by core key: {"lead": {key: n}, "company": {key: n}} (from the models).
Lengths = Mapping[str, Mapping[str, int]]
#: What a pool process is given: a byte range of the file, or records read by the parent.
Work = Piece | list[RawRecord]


class PreparedRow(NamedTuple):
    """One record after normalising; `error` set means rejected (`values` keeps its cells)."""

    line: int
    error: str | None = None
    values: list[str] | None = None
    warnings: tuple[str, ...] = ()
    #: Storable lead values in `LEAD_KEYS` order (None where empty).
    lead: tuple[str | None, ...] = ()
    #: Unmapped cells, as JSON ("{}" when none).
    extra: str = "{}"
    #: Lead keys filled by inference (`company_inferred`: the company's).
    inferred: tuple[str, ...] = ()
    #: The company's storable values, in `COMPANY_KEYS` order, only the filled ones:
    #: `company_mask` says which (bit i = `COMPANY_KEYS[i]`); () when the row names no
    #: company. The mask also answers "does this row bring anything new?" in one AND.
    company: tuple[str, ...] = ()
    company_mask: int = 0
    domain_key: str | None = None
    name_key: str | None = None
    email_key: str | None = None
    linkedin_key: str | None = None
    #: `person_company_key` with "#" for the company, resolved later: "janedoe@#".
    person_template: str | None = None
    company_inferred: tuple[str, ...] = ()

    @property
    def is_business_only(self) -> bool:
        """A directory/maps row: a business with no person name."""
        return not any(self.lead[i] for i in NAME_POSITIONS)


def storable_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """JSON for `extra`: PostgreSQL's JSONB refuses \\u0000."""
    return {
        str(k).replace("\x00", ""): (v.replace("\x00", "") if isinstance(v, str) else v)
        for k, v in data.items()
    }


_BIG = 1 << 30
#: Most text columns hold at least this many characters; the keys of those that hold
#: fewer (postal codes: 32) are checked whatever their length.
_USUAL_LIMIT = 64
_SHORT = frozenset({"company_postal_code"})
#: Bit of each company key in `PreparedRow.company_mask`.
COMPANY_BITS = {key: 1 << i for i, key in enumerate(COMPANY_KEYS)}


def _storable(values: dict[str, str], lengths: Mapping[str, int]) -> dict[str, str]:
    """`values` cut to their column lengths, in place (the readers already dropped NULs)."""
    if values and (
        max(map(len, values.values())) > _USUAL_LIMIT or not values.keys().isdisjoint(_SHORT)
    ):
        for key, value in values.items():
            limit = lengths.get(key, _BIG)
            if len(value) > limit:
                values[key] = value[:limit]
    return values


class RowPreparer:
    """Normalise records for one mapping; build once per import (or per pool process)."""

    def __init__(self, columns: Sequence[Any], default_region: str, lengths: Lengths) -> None:
        self.normalizer = RowNormalizer(list(columns), default_region)
        self.lead_lengths = lengths["lead"]
        self.company_lengths = lengths["company"]

    def prepare(self, line: int, values: list[str], parse_error: str | None) -> PreparedRow:
        """Never raises on bad data: a broken row comes back with `error` and its values."""
        if parse_error:
            return PreparedRow(line, parse_error, values)
        try:
            norm = self.normalizer.normalize(values)
        except Exception as exc:  # a cleaner bug must reject one row, not stop the import
            return PreparedRow(line, f"could not read row ({type(exc).__name__})", values)
        if norm.errors:
            return PreparedRow(line, "; ".join(norm.errors), values)
        lead, company = norm.lead, norm.company
        li_key = linkedin_key(lead["linkedin_url"]) if "linkedin_url" in lead else None
        if li_key:
            lead["linkedin_url"] = LINKEDIN_ROOT + li_key
        named = "first_name" in lead or "last_name" in lead or "full_name" in lead
        if not named and "phone" not in lead and company.get("company_phone"):
            lead["phone"] = company["company_phone"]  # the business's number reaches the lead
        company_values: tuple[str, ...] = ()
        mask = 0
        keys: dict[str, str | None] = {"domain": None, "name": None}
        if company:
            keys = company_keys(company)
            if keys["domain"] or keys["name"]:
                _storable(company, self.company_lengths)
                company_values = tuple(company[k] for k in COMPANY_KEYS if k in company)
                mask = sum(map(COMPANY_BITS.__getitem__, company))
        extra = norm.extra
        lead_inferred: tuple[str, ...] = ()
        company_inferred: tuple[str, ...] = ()
        if norm.inferred:  # rare: skip the split on the hot path
            ordered = sorted(norm.inferred)
            lead_inferred = tuple(k for k in ordered if k not in COMPANY_BITS)
            company_inferred = tuple(k for k in ordered if k in COMPANY_BITS)
        email_key = lead_email_key(lead.get("email"))
        person = person_company_key(lead.get("first_name"), lead.get("last_name"), "#")
        return PreparedRow(
            line,
            None,
            None,
            tuple(norm.warnings),
            tuple(map(_storable(lead, self.lead_lengths).get, LEAD_KEYS)),
            json.dumps(storable_json(extra), ensure_ascii=False) if extra else "{}",
            lead_inferred,
            company_values,
            mask,
            keys["domain"],
            keys["name"],
            email_key,
            li_key,
            person,
            company_inferred,
        )

    def prepare_records(self, records: Iterable[RawRecord]) -> list[PreparedRow]:
        return [self.prepare(line, values, error) for line, values, error in records]


def prepare_work(
    preparer: RowPreparer, path: Path, fmt: FileFormat, work: Work
) -> list[PreparedRow]:
    """Prepare one piece of the file (read here) or a list of records (read by the caller)."""
    if isinstance(work, Piece):
        return [preparer.prepare(r.line, r.values, r.error) for r in iter_piece(path, fmt, work)]
    return preparer.prepare_records(work)
