"""AI enrichment after an import: free text (notes, long extra cells) fills EMPTY fields.

Why a separate step and not part of the row pipeline: one model call per row would make a
million-row import take days, so the rules import everything first and this step then
reads the free text of at most ``ai_enrich_max_rows`` leads of the batch. Only empty
fields are filled, each one is marked inferred, and companies it creates carry the batch
tag, so "Undo import" removes them too. The text goes to the model as data (the
provider's prompt says so); what comes back is validated before it is stored.

Only rows the rules are unsure of are sent: the import's own free-text mining already
fills email, phone, website, job title and company name, so a lead whose empty fields
are all filled is skipped. The texts go in batches of `BATCH_ROWS` per request, and
answers are cached by (text, wanted fields) within a run, so a note repeated on many
rows is asked about once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.models import Company, ImportBatch, Lead
from leadreel.services.dedupe import normalize_company_name

#: Lead fields the model may fill, and the most characters we accept for each.
FILLABLE = {"job_title": 120, "company_name": 200, "city": 120, "state": 120, "country": 120}
MIN_TEXT = 12
#: Leads whose texts go to the model in one request.
BATCH_ROWS = 20


@dataclass
class EnrichReport:
    considered: int = 0
    enriched: int = 0
    fields_filled: int = 0
    failed: int = 0
    skipped_over_cap: int = 0

    def as_counts(self) -> dict[str, int]:
        return {
            "ai_enriched_leads": self.enriched,
            "ai_fields_filled": self.fields_filled,
            "ai_failed_leads": self.failed,
            "ai_skipped_over_cap": self.skipped_over_cap,
        }


def free_text(lead: Lead) -> str:
    """The lead's notes plus extra cells that read like prose (several words)."""
    parts = [lead.notes or ""]
    parts += [
        f"{k}: {v}"
        for k, v in (lead.extra or {}).items()
        if isinstance(v, str) and len(v) >= MIN_TEXT and " " in v.strip()
    ]
    return "\n".join(p for p in parts if p.strip())


def missing_fields(lead: Lead) -> list[str]:
    wanted = [k for k in ("job_title", "city", "state", "country") if not getattr(lead, k)]
    if lead.company_id is None:
        wanted.insert(0, "company_name")
    return wanted


def enrich_batch(
    session: Session, settings: Settings, batch: ImportBatch, provider: Any
) -> EnrichReport:
    """Fill empty fields of the batch's new leads from their free text; commits at the end."""
    from leadreel.integrations.ai import AIProviderError

    report = EnrichReport()
    candidates = session.scalars(
        select(Lead)
        .where(Lead.batch_id == batch.id, or_(Lead.notes.is_not(None), Lead.extra != {}))
        .order_by(Lead.id)
    )
    pending: list[tuple[Lead, str, list[str]]] = []
    asked: dict[tuple[str, tuple[str, ...]], dict[str, Any] | None] = {}
    for lead in candidates:
        text, wanted = free_text(lead), missing_fields(lead)
        if len(text) < MIN_TEXT or not wanted:
            continue
        if report.considered >= settings.ai_enrich_max_rows:
            report.skipped_over_cap += 1
            continue
        report.considered += 1
        pending.append((lead, text, wanted))
        if len(pending) >= BATCH_ROWS:
            _ask(session, batch, provider, pending, asked, report, AIProviderError)
            pending = []
    _ask(session, batch, provider, pending, asked, report, AIProviderError)
    batch.counts = {**(batch.counts or {}), **report.as_counts()}
    if report.failed:
        batch.warnings = [
            *(batch.warnings or []),
            f"The AI could not read the notes of {report.failed} lead(s); "
            "their fields were left as imported.",
        ]
    if report.skipped_over_cap:
        batch.warnings = [
            *(batch.warnings or []),
            f"AI enrichment stopped after {settings.ai_enrich_max_rows} leads; "
            f"{report.skipped_over_cap} more were left as imported.",
        ]
    session.commit()
    return report


def _ask(
    session: Session,
    batch: ImportBatch,
    provider: Any,
    pending: list[tuple[Lead, str, list[str]]],
    asked: dict[tuple[str, tuple[str, ...]], dict[str, Any] | None],
    report: EnrichReport,
    error: type[Exception],
) -> None:
    """One request for the texts of `pending` not asked yet (cached by text and keys),
    then apply every answer; a failed request fails its rows only."""
    new = list(dict.fromkeys((t, tuple(w)) for _, t, w in pending if (t, tuple(w)) not in asked))
    if new:
        try:
            if len(new) > 1 and hasattr(provider, "extract_many"):
                answers = provider.extract_many([(t, list(w)) for t, w in new])
            else:
                answers = [provider.extract_fields(t, list(w)) for t, w in new]
            asked.update(zip(new, answers, strict=True))
        except error:
            asked.update(dict.fromkeys(new))
    for lead, text, wanted in pending:
        values = asked.get((text, tuple(wanted)))
        if values is None:
            report.failed += 1
            continue
        filled = _apply(session, batch, lead, values, wanted)
        if filled:
            report.enriched += 1
            report.fields_filled += filled


def _clean(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return (
        value[:limit] if value and value.lower() not in ("null", "none", "n/a", "unknown") else None
    )


def _apply(
    session: Session, batch: ImportBatch, lead: Lead, values: dict[str, Any], wanted: list[str]
) -> int:
    filled: list[str] = []
    for key in wanted:
        value = _clean(values.get(key), FILLABLE[key])
        if value is None:
            continue
        if key == "company_name":
            lead.company_id = _company_for(session, batch, value).id
        else:
            setattr(lead, key, value)
        filled.append(key)
    if filled:
        lead.inferred = sorted({*(lead.inferred or []), *filled})
    return len(filled)


def _company_for(session: Session, batch: ImportBatch, name: str) -> Company:
    """Match by normalised name (as the importer does), else create one tagged with the batch."""
    key = normalize_company_name(name)
    company = (
        session.scalar(select(Company).where(Company.name_key == key).limit(1)) if key else None
    )
    if company is None:
        company = Company(
            name=name,
            name_key=key,
            created_by_batch_id=batch.id,
            owner_id=batch.owner_id,
            inferred=["company_name"],
        )
        session.add(company)
        session.flush()
    return company
