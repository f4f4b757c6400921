"""Turn parsed records into `PreparedRow`s: normalised values plus matching keys.

Why its own module: this is the CPU-heavy, database-free half of an import (name
splitting, phone parsing, URL cleaning). Keeping it pure lets the importer run it
in a small process pool over chunks of records while the parent process does the
reading and the database work, and lets tests call it directly.

Why a bounded pool instead of `Pool.imap`: `imap` feeds its input iterator from a
thread as fast as it can, so a million-row file would sit in memory; here at most
`2 * workers` chunks are in flight.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadreel.services.dedupe import (
    company_keys,
    lead_email_key,
    linkedin_key,
    person_company_key,
)
from leadreel.services.importing.mapping import ColumnMapping
from leadreel.services.importing.normalize import RowNormalizer
from leadreel.services.importing.writer import company_values, storable_lead_fields

log = logging.getLogger(__name__)
LINKEDIN_ROOT = "https://www.linkedin.com/"
_NAME_FIELDS = ("first_name", "last_name", "full_name")

#: (line, values, parser error) as read from the file; small and cheap to pickle.
RawRecord = tuple[int, list[str], str | None]


@dataclass(slots=True)
class PreparedRow:
    """One record after normalising; `error` set means it is rejected (with `values` kept)."""

    line: int
    lead: dict[str, str] = field(default_factory=dict)
    company: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    inferred: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    values: list[str] | None = None
    company_keys: dict[str, str | None] = field(default_factory=dict)
    #: Storable column values (done here, in the pool, to unload the writing process).
    lead_values: dict[str, Any] = field(default_factory=dict)
    #: `person_company_key` with "#" for the company (resolved later): "janedoe@#".
    person_template: str | None = None
    company_values: dict[str, Any] = field(default_factory=dict)
    email_key: str | None = None
    linkedin_key: str | None = None

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Pickled as one constructor call with positional fields: the pool sends a
        # million of these, and the default slots state (a dict set field by field)
        # made unpickling one of the writing process's biggest costs.
        return (
            PreparedRow,
            (
                self.line,
                self.lead,
                self.company,
                self.extra,
                self.inferred,
                self.warnings,
                self.error,
                self.values,
                self.company_keys,
                self.lead_values,
                self.person_template,
                self.company_values,
                self.email_key,
                self.linkedin_key,
            ),
        )

    @property
    def is_business_only(self) -> bool:
        """A directory/maps row: a business with no person name."""
        fields = self.lead or self.lead_values
        return not any(fields.get(k) for k in _NAME_FIELDS)


def canonical_linkedin(url: str | None) -> str | None:
    """One spelling per profile (`https://www.linkedin.com/in/jane-doe`), so the DB can match it."""
    key = linkedin_key(url)
    return LINKEDIN_ROOT + key if key else None


class RowPreparer:
    """Normalise records for one mapping; build once per import (or per pool process)."""

    def __init__(self, columns: Sequence[ColumnMapping], default_region: str = "US") -> None:
        self.normalizer = RowNormalizer(list(columns), default_region)

    def prepare(self, line: int, values: list[str], parse_error: str | None) -> PreparedRow:
        """Never raises on bad data: a broken row comes back with `error` and its values."""
        if parse_error:
            return PreparedRow(line=line, error=parse_error, values=values)
        try:
            norm = self.normalizer.normalize(values)
        except Exception as exc:  # a cleaner bug must reject one row, not stop the import
            return PreparedRow(
                line=line, error=f"could not read row ({type(exc).__name__})", values=values
            )
        if norm.errors:
            return PreparedRow(line=line, error="; ".join(norm.errors), values=values)
        lead, company = norm.lead, norm.company
        li_key = linkedin_key(lead["linkedin_url"]) if lead.get("linkedin_url") else None
        if li_key:
            lead["linkedin_url"] = LINKEDIN_ROOT + li_key
        row = PreparedRow(
            line=line,
            lead=lead,
            company=company,
            extra=norm.extra,
            inferred=sorted(norm.inferred),
            warnings=norm.warnings,
        )
        if (
            company.get("company_phone")
            and not lead.get("phone")
            and not (lead.get("first_name") or lead.get("last_name") or lead.get("full_name"))
        ):
            lead["phone"] = company["company_phone"]  # the business's number reaches the lead
        row.company_keys = company_keys(company) if company else {"domain": None, "name": None}
        row.lead_values = storable_lead_fields(lead)
        row.company_values = company_values(company) if company else {}
        row.person_template = person_company_key(lead.get("first_name"), lead.get("last_name"), "#")
        row.lead, row.company = {}, {}  # the values above say it all; less to pickle
        row.email_key = lead_email_key(lead.get("email"))
        row.linkedin_key = li_key
        return row

    def prepare_chunk(self, records: Iterable[RawRecord]) -> list[PreparedRow]:
        return [self.prepare(line, values, err) for line, values, err in records]


# ---- process pool -------------------------------------------------------------

_worker_preparer: RowPreparer | None = None


def _init_worker(columns: list[dict[str, Any]], region: str) -> None:
    global _worker_preparer
    _worker_preparer = RowPreparer([ColumnMapping(**c) for c in columns], region)


def _prepare_in_worker(records: list[RawRecord]) -> list[PreparedRow]:
    assert _worker_preparer is not None
    return _worker_preparer.prepare_chunk(records)


def prepare_chunks(
    chunks: Iterable[list[RawRecord]],
    columns: Sequence[ColumnMapping],
    region: str,
    *,
    workers: int = 0,
    ahead: int = 0,
) -> Iterator[list[PreparedRow]]:
    """Yield prepared chunks in input order; `workers` > 0 uses that many processes.

    At most `2 * workers + ahead` chunks are in flight: a caller that takes several
    chunks at a time passes how many, so the workers keep going while it writes.
    """
    if workers <= 0:
        preparer = RowPreparer(columns, region)
        for chunk in chunks:
            yield preparer.prepare_chunk(chunk)
        return
    # spawn: safe inside a threaded worker process (fork would copy held locks).
    ctx = multiprocessing.get_context("spawn")
    payload = [c.model_dump() for c in columns]
    try:
        pool = ctx.Pool(workers, initializer=_init_worker, initargs=(payload, region))
    except OSError as exc:  # no processes allowed here (a sandbox): stay in-process
        log.warning("normalising in-process: cannot start a process pool (%s)", exc)
        yield from prepare_chunks(chunks, columns, region, workers=0)
        return
    with pool:
        pending: deque[Any] = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_prepare_in_worker, (chunk,)))
            if len(pending) >= 2 * workers + ahead:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
