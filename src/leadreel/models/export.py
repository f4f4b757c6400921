"""Export templates: ordered columns built from field definitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, TimestampMixin


class ExportTemplate(TimestampMixin, Base):
    __tablename__ = "export_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: [{"field": "first_name", "header": "First name"}, ...]
    columns: Mapped[list[Any]] = mapped_column(default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
