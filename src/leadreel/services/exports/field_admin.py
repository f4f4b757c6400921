"""Custom field definitions: create, edit (label, type, overview), rename, delete, promote.

Why here: a custom field exists so templates can export it (and the overview show it).
Its values live in ``Lead.custom`` / ``Company.custom`` under its key, so renaming a key
moves every value and rewrites the template columns that name it, and deleting one says
first how many values go (the page asks the user to confirm that number).

"Promote" turns an import's extra column (``Lead.extra["Lead Source"]``, kept because no
field matched it) into a field: the values move from ``extra`` into the field, per lead
(or onto the lead's company for a company field, first value wins).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadreel.errors import NotFound, ValidationError
from leadreel.models import Company, ExportTemplate, FieldDefinition, ImportBatch, Lead
from leadreel.services.exports.catalog import CORE_KEYS, VIDEO_KEYS
from leadreel.services.exports.columns import referenced_keys
from leadreel.services.permissions import Actor, require

CUSTOM_TYPES = ("text", "number", "date", "url", "email", "phone")
ENTITIES = ("lead", "company")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_PAGE = 1000
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\|[^{}|]{0,60})?\}")


def key_for(label: str) -> str:
    """A field key from a label: "Lead Source" -> "lead_source"."""
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    if key and not key[0].isalpha():
        key = f"f_{key}"
    return key[:50]


def _check(
    session: Session, key: str, label: str, type_: str, entity: str, own_id: int | None = None
) -> tuple[str, str]:
    key, label = key.strip(), " ".join(label.split())
    if not label or len(label) > 200:
        raise ValidationError("a field needs a label of 1-200 characters")
    if not _KEY.match(key):
        raise ValidationError(
            f"field key {key!r}: use lower-case letters, digits and _ (start with a letter, "
            "at most 50)"
        )
    if key in CORE_KEYS or key in VIDEO_KEYS or key.startswith("video_"):
        raise ValidationError(f"{key!r} is a built-in field key; choose another")
    if type_ not in CUSTOM_TYPES:
        raise ValidationError(f"unknown field type {type_!r}; use one of {', '.join(CUSTOM_TYPES)}")
    if entity not in ENTITIES:
        raise ValidationError(f"a field belongs to a lead or a company, not {entity!r}")
    clash = session.scalar(select(FieldDefinition.id).where(FieldDefinition.key == key))
    if clash is not None and clash != own_id:
        raise ValidationError(f"a field with key {key!r} exists already")
    return key, label


def custom_fields(session: Session) -> list[FieldDefinition]:
    return list(
        session.scalars(
            select(FieldDefinition)
            .where(FieldDefinition.is_core.is_(False))
            .order_by(FieldDefinition.position, FieldDefinition.key)
        )
    )


def get_custom(session: Session, field_id: int) -> FieldDefinition:
    row = session.get(FieldDefinition, field_id)
    if row is None or row.is_core:
        raise NotFound(f"no custom field {field_id}")
    return row


def create_field(
    session: Session,
    user: Actor,
    *,
    label: str,
    key: str = "",
    type: str = "text",
    entity: str = "lead",
    in_overview: bool = False,
) -> FieldDefinition:
    """Add a custom field (admins and managers); the caller commits."""
    require(user, "exports.manage")
    key, label = _check(session, key or key_for(label), label, type, entity)
    last = session.scalar(select(func.max(FieldDefinition.position))) or 0
    row = FieldDefinition(
        key=key,
        label=label,
        type=type,
        entity=entity,
        in_overview=in_overview,
        synonyms=[label],
        is_core=False,
        position=last + 1,
    )
    session.add(row)
    session.flush()
    return row


def _holder(entity: str) -> Any:
    return Company if entity == "company" else Lead


def value_count(session: Session, row: FieldDefinition) -> int:
    """How many leads (or companies) hold a value for this field."""
    model = _holder(row.entity)
    return (
        session.scalar(select(func.count()).where(model.custom[row.key].as_string().is_not(None)))
        or 0
    )


def template_uses(session: Session, key: str) -> list[str]:
    """Names of saved templates with a column reading ``key``."""
    from leadreel.services.exports.catalog import load_catalog  # noqa: PLC0415
    from leadreel.services.exports.columns import parse_columns  # noqa: PLC0415

    catalog = load_catalog(session)
    names = []
    for t in session.scalars(select(ExportTemplate)):
        try:
            cols = parse_columns(list(t.columns), catalog)
        except ValidationError:
            continue
        if any(key in referenced_keys(c) for c in cols):
            names.append(t.name)
    return names


def _rewrite_values(session: Session, entity: str, old: str, new: str | None) -> int:
    """Move (``new``) or drop (None) every stored value of ``old``, a page at a time."""
    model = _holder(entity)
    moved, last = 0, 0
    while True:
        rows = session.execute(
            select(model.id, model.custom)
            .where(model.id > last, model.custom[old].as_string().is_not(None))
            .order_by(model.id)
            .limit(_PAGE)
        ).all()
        if not rows:
            return moved
        for ident, custom in rows:
            data = dict(custom or {})
            value = data.pop(old, None)
            if new is not None and value is not None:
                data[new] = value
            session.execute(update(model).where(model.id == ident).values(custom=data))
            moved += 1
        last = rows[-1][0]


def _rewrite_templates(session: Session, old: str, new: str | None) -> None:
    """Point template columns at the renamed key, or drop the columns of a deleted field."""
    for t in session.scalars(select(ExportTemplate)):
        columns: list[dict[str, Any]] = []
        for c in t.columns:
            c = dict(c)
            if c.get("kind", "field") == "field" and c.get("field") == old:
                if new is None:
                    continue
                c["field"] = new
            elif c.get("kind") == "format" and new is not None:
                c["format"] = _PLACEHOLDER.sub(
                    lambda m: (
                        "{" + new + (m.group(2) or "") + "}" if m.group(1) == old else m.group(0)
                    ),
                    c["format"],
                )
            columns.append(c)
        if columns != list(t.columns):
            t.columns = columns or [{"kind": "field", "field": "email", "header": "email"}]


def update_field(
    session: Session,
    user: Actor,
    field_id: int,
    *,
    label: str,
    key: str,
    type: str,
    in_overview: bool,
) -> FieldDefinition:
    """Edit a custom field; a new key moves its values and updates templates. Caller commits."""
    require(user, "exports.manage")
    row = get_custom(session, field_id)
    key, label = _check(session, key, label, type, row.entity, own_id=row.id)
    if key != row.key:
        _rewrite_values(session, row.entity, row.key, key)
        _rewrite_templates(session, row.key, key)
        row.key = key
    row.label, row.type, row.in_overview = label, type, in_overview
    row.synonyms = [label]
    session.flush()
    return row


@dataclass(frozen=True)
class DeleteImpact:
    values: int
    templates: list[str]

    def message(self, label: str) -> str:
        text = f"Delete the field {label!r} and its {self.values:,} value(s)?"
        if self.templates:
            text += f" Its columns are removed from: {', '.join(self.templates)}."
        return text


def delete_impact(session: Session, row: FieldDefinition) -> DeleteImpact:
    return DeleteImpact(value_count(session, row), template_uses(session, row.key))


def delete_field(session: Session, user: Actor, field_id: int, *, confirm_values: int) -> int:
    """Delete a custom field and its values, if ``confirm_values`` is the number that go now
    (so a confirmation given for 3 values does not delete 3,000). Returns values dropped."""
    require(user, "exports.manage")
    row = get_custom(session, field_id)
    count = value_count(session, row)
    if confirm_values != count:
        raise ValidationError(
            f"the field {row.label!r} now has {count:,} value(s), not {confirm_values:,}; "
            "confirm again"
        )
    _rewrite_values(session, row.entity, row.key, None)
    _rewrite_templates(session, row.key, None)
    session.delete(row)
    session.flush()
    return count


# ---- promoting an import's extra column ---------------------------------------------------


def extra_columns(session: Session, user: Actor, limit: int = 200) -> list[tuple[str, int]]:
    """Headers imports kept in ``Lead.extra`` (no field matched), with how many imports had
    each; taken from the batches' mappings, so no lead is read."""
    require(user, "exports.manage")
    seen: Counter[str] = Counter()
    for mapping in session.scalars(
        select(ImportBatch.mapping).order_by(ImportBatch.id.desc()).limit(500)
    ):
        for column in mapping or []:
            if isinstance(column, dict) and not column.get("field") and column.get("header"):
                seen[str(column["header"])] += 1
    taken = {k for (k,) in session.execute(select(FieldDefinition.key))}
    return [(h, n) for h, n in seen.most_common(limit) if key_for(h) not in taken]


def promote_extra(
    session: Session,
    user: Actor,
    header: str,
    *,
    label: str = "",
    key: str = "",
    type: str = "text",
    entity: str = "lead",
) -> tuple[FieldDefinition, int]:
    """Make the extra column ``header`` a field; its values move out of ``extra``. Returns the
    field and how many values moved; the caller commits."""
    row = create_field(
        session, user, label=label or header, key=key or key_for(header), type=type, entity=entity
    )
    moved, last = 0, 0
    while True:
        leads = session.execute(
            select(Lead.id, Lead.extra, Lead.custom, Lead.company_id)
            .where(Lead.id > last, Lead.extra[header].as_string().is_not(None))
            .order_by(Lead.id)
            .limit(_PAGE)
        ).all()
        if not leads:
            break
        for ident, extra, custom, company_id in leads:
            data = dict(extra or {})
            value = data.pop(header, None)
            values: dict[str, Any] = {"extra": data}
            if entity == "lead":
                values["custom"] = {**(custom or {}), row.key: value}
            elif company_id is not None:
                company = session.get(Company, company_id)
                if company is not None and row.key not in (company.custom or {}):
                    company.custom = {**(company.custom or {}), row.key: value}
            session.execute(update(Lead).where(Lead.id == ident).values(**values))
            moved += 1
        session.flush()
        last = leads[-1][0]
    return row, moved
