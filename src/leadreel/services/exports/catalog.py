"""Every field an export column can name: core lead and company fields, custom fields and
the lead's video (links, status, counters), with where each value is read from.

Why one catalogue: the template editor lists it, the column validator checks keys against
it, and the row reader selects exactly the database columns the template needs from it.
Video keys are prefixed ``video_`` so they can never collide with a core or custom key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.fields import CORE_FIELDS
from leadreel.models import COMPANY_FIELD_ATTRS, FieldDefinition

Source = Literal["lead", "company", "lead_custom", "company_custom", "video"]


@dataclass(frozen=True, slots=True)
class ExportField:
    """One exportable value: its key (used in templates and formats), label and origin."""

    key: str
    label: str
    source: Source
    #: Model attribute (lead/company), custom key, or video value name.
    attr: str
    group: str


VIDEO_FIELDS: tuple[ExportField, ...] = tuple(
    ExportField(key, label, "video", attr, "Video")
    for key, label, attr in (
        ("video_share_url", "Share link", "share_url"),
        ("video_thumbnail_url", "Thumbnail URL", "thumbnail_url"),
        ("video_gif_url", "GIF URL", "gif_url"),
        ("video_email_snippet", "Email snippet", "email_snippet"),
        ("video_status", "Video status", "status"),
        ("video_views", "Views", "views"),
        ("video_plays", "Plays", "plays"),
        ("video_last_viewed", "Last viewed", "last_viewed"),
        ("video_drive_url", "Drive link", "drive_url"),
    )
)
VIDEO_KEYS = frozenset(f.key for f in VIDEO_FIELDS)


def core_export_fields() -> list[ExportField]:
    out: list[ExportField] = []
    for spec in CORE_FIELDS:
        if spec.entity == "company":
            out.append(
                ExportField(
                    spec.key, spec.label, "company", COMPANY_FIELD_ATTRS[spec.key], "Company"
                )
            )
        else:
            out.append(ExportField(spec.key, spec.label, "lead", spec.key, "Lead"))
    return out


CORE_KEYS = frozenset(spec.key for spec in CORE_FIELDS)


class Catalog:
    """The fields as they are now (custom fields come from the database), by key."""

    def __init__(self, fields: Iterable[ExportField]) -> None:
        self.fields: tuple[ExportField, ...] = tuple(fields)
        self._by_key = {f.key: f for f in self.fields}

    def get(self, key: str) -> ExportField | None:
        return self._by_key.get(key)

    def keys(self) -> list[str]:
        return [f.key for f in self.fields]

    def groups(self) -> dict[str, list[ExportField]]:
        out: dict[str, list[ExportField]] = {}
        for f in self.fields:
            out.setdefault(f.group, []).append(f)
        return out


def custom_export_fields(definitions: Iterable[FieldDefinition]) -> list[ExportField]:
    out = []
    for d in definitions:
        if d.is_core:
            continue
        source: Source = "company_custom" if d.entity == "company" else "lead_custom"
        out.append(ExportField(d.key, d.label, source, d.key, "Custom"))
    return out


def load_catalog(session: Session) -> Catalog:
    """Core fields, then custom fields (by position, then key), then the video fields."""
    custom = session.scalars(
        select(FieldDefinition)
        .where(FieldDefinition.is_core.is_(False))
        .order_by(FieldDefinition.position, FieldDefinition.key)
    )
    return Catalog((*core_export_fields(), *custom_export_fields(custom), *VIDEO_FIELDS))
