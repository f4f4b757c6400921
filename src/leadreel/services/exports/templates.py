"""Export templates: the built-in ones (kept in code, read-only) and the saved ones.

Why built-ins live in code: ``core`` is the round-trip format (export -> import -> export
gives the same file), so nobody may edit it; ``Standard`` and ``Email outreach`` are the
starting points people duplicate. Saved templates are ``ExportTemplate`` rows whose
columns are validated (``columns.parse_columns``) on every save.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadreel.errors import NotFound, ValidationError
from leadreel.fields import CORE_FIELDS
from leadreel.models import ExportTemplate
from leadreel.services.exports.catalog import Catalog, load_catalog
from leadreel.services.exports.columns import dump_columns, parse_columns
from leadreel.services.permissions import Actor, require

CORE = "core"
STANDARD = "Standard"
EMAIL_OUTREACH = "Email outreach"


def _field(key: str, header: str) -> dict[str, Any]:
    return {"kind": "field", "field": key, "header": header}


BUILTIN: dict[str, list[dict[str, Any]]] = {
    CORE: [_field(s.key, s.key) for s in CORE_FIELDS],
    STANDARD: [
        *(_field(s.key, s.label) for s in CORE_FIELDS),
        _field("video_share_url", "Video link"),
        _field("video_thumbnail_url", "Thumbnail URL"),
        _field("video_status", "Video status"),
        _field("video_views", "Views"),
        _field("video_last_viewed", "Last viewed"),
    ],
    EMAIL_OUTREACH: [
        _field("first_name", "First name"),
        _field("last_name", "Last name"),
        _field("email", "Email"),
        _field("company_name", "Company"),
        _field("video_share_url", "Video link"),
        _field("video_thumbnail_url", "Thumbnail URL"),
        _field("video_gif_url", "GIF URL"),
        _field("video_email_snippet", "Email snippet"),
    ],
}


@dataclass(frozen=True)
class TemplateView:
    """A template as the pages, the CLI and the runner see it (built-in or saved)."""

    name: str
    columns: list[dict[str, Any]]
    id: int | None = None  # None for a built-in

    @property
    def builtin(self) -> bool:
        return self.id is None

    @property
    def headers(self) -> list[str]:
        return [c["header"] for c in self.columns]


def list_templates(session: Session) -> list[TemplateView]:
    """Built-ins first, then saved templates by name."""
    saved = session.scalars(select(ExportTemplate).order_by(func.lower(ExportTemplate.name)))
    return [
        *(TemplateView(name, cols) for name, cols in BUILTIN.items()),
        *(TemplateView(t.name, list(t.columns), t.id) for t in saved),
    ]


def find_template(session: Session, name: str | None = None, id: int | None = None) -> TemplateView:
    """A template by id or name (exact, then ignoring case); NotFound names the known ones."""
    if id is not None:
        row = session.get(ExportTemplate, id)
        if row is None:
            raise NotFound(f"no export template {id}")
        return TemplateView(row.name, list(row.columns), row.id)
    wanted = (name or "").strip()
    for builtin, cols in BUILTIN.items():
        if builtin == wanted:
            return TemplateView(builtin, cols)
    row = session.scalar(select(ExportTemplate).where(ExportTemplate.name == wanted))
    if row is None:
        row = session.scalar(
            select(ExportTemplate).where(func.lower(ExportTemplate.name) == wanted.lower())
        )
    if row is None:
        for builtin, cols in BUILTIN.items():
            if builtin.lower() == wanted.lower():
                return TemplateView(builtin, cols)
        known = ", ".join(t.name for t in list_templates(session))
        raise NotFound(f"unknown export template {wanted!r}; known: {known}")
    return TemplateView(row.name, list(row.columns), row.id)


def _check_name(session: Session, name: str, own_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("give the template a name")
    if len(name) > 200:
        raise ValidationError("a template name has at most 200 characters")
    if name.lower() in (b.lower() for b in BUILTIN):
        raise ValidationError(f"{name!r} is a built-in template; choose another name")
    clash = session.scalar(
        select(ExportTemplate.id).where(func.lower(ExportTemplate.name) == name.lower())
    )
    if clash is not None and clash != own_id:
        raise ValidationError(f"a template called {name!r} exists already")
    return name


def save_template(
    session: Session,
    user: Actor,
    name: str,
    columns: Any,
    *,
    template_id: int | None = None,
    catalog: Catalog | None = None,
) -> ExportTemplate:
    """Create (no id) or replace a saved template's name and columns; the caller commits."""
    require(user, "exports.manage")
    parsed = parse_columns(columns, catalog or load_catalog(session))
    if template_id is None:
        row = ExportTemplate(name=_check_name(session, name), created_by_id=user.id)
        session.add(row)
    else:
        found = session.get(ExportTemplate, template_id)
        if found is None:
            raise NotFound(f"no export template {template_id}")
        row = found
        row.name = _check_name(session, name, template_id)
    row.columns = dump_columns(parsed)
    session.flush()
    return row


def duplicate_template(session: Session, user: Actor, source: TemplateView) -> ExportTemplate:
    """A saved copy named "<name> (copy)" (then "(copy 2)", ...)."""
    require(user, "exports.manage")
    base = f"{source.name} (copy)"
    name, n = base, 1
    while session.scalar(
        select(ExportTemplate.id).where(func.lower(ExportTemplate.name) == name.lower())
    ):
        n += 1
        name = f"{source.name} (copy {n})"
    return save_template(session, user, name, source.columns)


def delete_template(session: Session, user: Actor, template_id: int) -> None:
    require(user, "exports.manage")
    row = session.get(ExportTemplate, template_id)
    if row is None:
        raise NotFound(f"no export template {template_id}")
    session.delete(row)
    session.flush()
