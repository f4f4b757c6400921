"""Where each of a lead's fields came from: which import, a person, or inference.

Why from the records that exist: the import writes an ``ImportChange`` per lead it
created or updated (with the values it replaced), the normaliser and the enrichment mark
the fields they inferred (``Lead.inferred``), and the lead's page records the fields a
person typed (``Lead.edited_fields``). Reading them back is enough; nothing is stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.models import ImportBatch, ImportChange, Lead
from leadreel.models.lead import LEAD_FIELDS


@dataclass(frozen=True)
class FieldSource:
    key: str
    value: str
    #: "import" | "person" | "inferred" | "" (unknown, e.g. created by a script)
    kind: str
    detail: str
    batch_id: int | None = None


def _inferred_detail(lead: Lead, key: str, value: str) -> str:
    if value and lead.notes and value.lower() in lead.notes.lower() and key != "notes":
        return "inferred from the notes"
    if key in ("company_domain", "website"):
        return "inferred from the email domain or the website"
    return "inferred (from the website, notes or by AI)"


def field_sources(session: Session, lead: Lead) -> list[FieldSource]:
    """One entry per filled core field and extra field of ``lead``, newest source first."""
    changes = list(
        session.execute(
            select(ImportChange, ImportBatch)
            .join(ImportBatch, ImportBatch.id == ImportChange.batch_id)
            .where(ImportChange.entity == "lead", ImportChange.entity_id == lead.id)
            .order_by(ImportChange.id)
        )
    )
    created = next(((c, b) for c, b in changes if c.action == "created"), None)
    last_update: dict[str, ImportBatch] = {}
    for change, batch in changes:
        if change.action == "updated":
            for key in change.previous or {}:
                last_update[key] = batch
    inferred = set(lead.inferred or [])
    edited = set(lead.edited_fields or [])
    out: list[FieldSource] = []
    values = [(k, getattr(lead, k)) for k in LEAD_FIELDS] + list((lead.extra or {}).items())
    for key, raw in values:
        if raw in (None, ""):
            continue
        value = str(raw)
        if key in edited:
            out.append(FieldSource(key, value, "person", "typed by a person"))
        elif key in inferred:
            out.append(FieldSource(key, value, "inferred", _inferred_detail(lead, key, value)))
        elif key in last_update:
            batch = last_update[key]
            out.append(
                FieldSource(key, value, "import", f"updated by import “{batch.name}”", batch.id)
            )
        elif created is not None:
            batch = created[1]
            out.append(
                FieldSource(
                    key, value, "import", f"from import “{batch.name}” ({batch.filename})", batch.id
                )
            )
        else:
            out.append(FieldSource(key, value, "", "added outside an import"))
    return out
