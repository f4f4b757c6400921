"""Leads: one person (or one business contact) to send a personalized video to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from leadreel.models.base import Base, TimestampMixin
from leadreel.models.company import Company

LEAD_FIELDS = (
    "first_name", "last_name", "full_name", "email", "phone", "mobile_phone",
    "job_title", "linkedin_url", "city", "state", "country", "notes",
)


class Lead(TimestampMixin, Base):
    __tablename__ = "leads"
    #: Every sort the overview offers has a ``(column, id)`` index for its keyset walk
    #: (services/leads/query.py); owner and batch lead with the default sort's columns so a
    #: rep's view and a batch filter are index ranges too. Search uses FTS5 / pg_trgm
    #: indexes made by migration 0008 (services/leads/search.py).
    __table_args__ = (
        Index("ix_leads_email", "email", "id"),
        Index("ix_leads_linkedin_url", "linkedin_url"),
        Index("ix_leads_owner_id", "owner_id", "created_at", "id"),
        Index("ix_leads_batch_id", "batch_id", "created_at", "id"),
        Index("ix_leads_company_id", "company_id", "id"),
        Index("ix_leads_person_key", "person_key"),
        Index("ix_leads_created_at", "created_at", "id"),
        Index("ix_leads_last_name", "last_name", "id"),
        Index("ix_leads_job_title", "job_title", "id"),
        Index("ix_leads_city", "city", "id"),
        Index("ix_leads_country", "country", "id"),
        Index("ix_leads_video_status", "video_status", "id"),
        Index("ix_leads_video_views", "video_views", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    full_name: Mapped[str | None] = mapped_column(String(400))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    mobile_phone: Mapped[str | None] = mapped_column(String(64))
    job_title: Mapped[str | None] = mapped_column(String(300))
    linkedin_url: Mapped[str | None] = mapped_column(String(2048))
    city: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    #: Normalised "first last|company" key for matching leads without email or LinkedIn.
    person_key: Mapped[str | None] = mapped_column(String(600))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Values of custom fields (FieldDefinition keys), e.g. {"lead_source": "Webinar"}.
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    inferred: Mapped[list[Any]] = mapped_column(default=list)
    #: Fields a person typed on the lead's page (provenance: "typed by a person").
    edited_fields: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    tag: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30), default="new")
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL")
    )

    #: The latest video's status and views (NULL: no video yet), written only by database
    #: triggers on ``videos`` (migration 0010) so the overview can sort on them by index.
    video_status: Mapped[str | None] = mapped_column(String(20))
    video_views: Mapped[int | None] = mapped_column()

    company: Mapped[Company | None] = relationship(lazy="joined")

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        company = self.company.name if self.company else ""
        return name or self.full_name or company or self.email or f"Lead {self.id}"
