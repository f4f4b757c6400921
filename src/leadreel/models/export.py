"""Export templates (ordered columns built from field definitions) and the record of each export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, TimestampMixin

EXPORT_STATUSES = ("queued", "running", "done", "failed", "expired")


class ExportTemplate(TimestampMixin, Base):
    __tablename__ = "export_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: [{"kind": "field", "field": "first_name", "header": "First name"},
    #:  {"kind": "fixed", "value": "LeadReel", "header": "Source"},
    #:  {"kind": "format", "format": "{first_name|there} from {company_name}", "header": "Hi"}]
    columns: Mapped[list[Any]] = mapped_column(default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Export(TimestampMixin, Base):
    """One export a user asked for: who, which template and selection, how many rows, the file.

    The file is kept ``export_retention_days``; after that the row stays (the history) with
    status ``expired`` and no file.
    """

    __tablename__ = "exports"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'expired')", name="status"
        ),
        Index("ix_exports_created_by_id", "created_by_id"),
        Index("ix_exports_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("export_templates.id", ondelete="SET NULL")
    )
    #: The template's name and columns as they were when the user clicked.
    template_name: Mapped[str] = mapped_column(String(200))
    columns: Mapped[list[Any]] = mapped_column(default=list)
    format: Mapped[str] = mapped_column(String(10), default="csv")
    #: {"bom": bool, "delimiter": ","}
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The Selection as JSON, and a human description of it for the list.
    selection: Mapped[dict[str, Any]] = mapped_column(default=dict)
    filter_text: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    row_count: Mapped[int] = mapped_column(default=0)
    file_path: Mapped[str | None] = mapped_column(String(1000))
    file_size: Mapped[int] = mapped_column(default=0)
    task_id: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
