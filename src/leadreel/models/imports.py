"""Import batches, the changes each one made (for undo) and mappings saved for reuse."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, TimestampMixin

BATCH_STATUSES = ("uploaded", "queued", "running", "done", "failed", "undone")


class ImportBatch(TimestampMixin, Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(500))
    stored_path: Mapped[str] = mapped_column(String(1000))
    file_size: Mapped[int] = mapped_column(default=0)
    file_format: Mapped[dict[str, Any]] = mapped_column(default=dict)
    headers: Mapped[list[Any]] = mapped_column(default=list)
    mapping: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="uploaded")
    priority: Mapped[int] = mapped_column(default=0)
    progress: Mapped[float] = mapped_column(default=0.0)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    error_report_path: Mapped[str | None] = mapped_column(String(1000))
    error_message: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    finished_at: Mapped[datetime | None]
    #: Where this batch's videos go, overriding the workspace setting: ``local`` or
    #: ``drive:<account id>``; NULL follows the workspace (see services/delivery/storage.py).
    storage_destination: Mapped[str | None] = mapped_column(String(100))


class ImportChange(Base):
    """One record an import created or changed, with the values it replaced."""

    __tablename__ = "import_changes"
    __table_args__ = (Index("ix_import_changes_batch", "batch_id", "entity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(20))  # lead | company
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))  # created | updated
    previous: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SavedMapping(TimestampMixin, Base):
    __tablename__ = "saved_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    header_signature: Mapped[str] = mapped_column(String(64), unique=True)
    headers: Mapped[list[Any]] = mapped_column(default=list)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
