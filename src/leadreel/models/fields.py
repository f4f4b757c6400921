"""Field definitions: the core fields every feature speaks, plus custom ones users add.

A custom field's values live in ``Lead.custom`` / ``Company.custom`` under its key (the
core fields are model columns); ``type`` is one of text, number, date, url, email, phone
for custom fields (core fields keep their importer types).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, TimestampMixin


class FieldDefinition(TimestampMixin, Base):
    __tablename__ = "field_definitions"
    __table_args__ = (CheckConstraint("entity IN ('lead', 'company')", name="entity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(30), default="text")
    entity: Mapped[str] = mapped_column(String(20), default="lead")
    synonyms: Mapped[list[Any]] = mapped_column(default=list)
    is_core: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    #: Shown as a column of the leads overview.
    in_overview: Mapped[bool] = mapped_column(default=False)
