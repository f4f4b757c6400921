"""Companies: created automatically by imports, matched by domain then name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, TimestampMixin


class Company(TimestampMixin, Base):
    __tablename__ = "companies"
    __table_args__ = (
        Index("ix_companies_domain", "domain"),
        Index("ix_companies_name_key", "name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    name_key: Mapped[str] = mapped_column(String(300), default="")
    domain: Mapped[str | None] = mapped_column(String(255))
    website: Mapped[str | None] = mapped_column(String(2048))
    phone: Mapped[str | None] = mapped_column(String(64))
    industry: Mapped[str | None] = mapped_column(String(200))
    employee_count: Mapped[str | None] = mapped_column(String(64))
    annual_revenue: Mapped[str | None] = mapped_column(String(64))
    linkedin_url: Mapped[str | None] = mapped_column(String(2048))
    facebook_url: Mapped[str | None] = mapped_column(String(2048))
    instagram_url: Mapped[str | None] = mapped_column(String(2048))
    twitter_url: Mapped[str | None] = mapped_column(String(2048))
    ads_url: Mapped[str | None] = mapped_column(String(2048))
    address: Mapped[str | None] = mapped_column(String(500))
    city: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Values of custom fields (FieldDefinition keys), e.g. {"lead_source": "Webinar"}.
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    inferred: Mapped[list[Any]] = mapped_column(default=list)
    #: Last screenshot capture (paths, source live/previous/card, errors) as JSON.
    screenshots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL")
    )

#: Core field key -> Company attribute, for mapping, exports and the chat.
COMPANY_FIELD_ATTRS = {
    "company_name": "name",
    "website": "website",
    "company_domain": "domain",
    "company_phone": "phone",
    "industry": "industry",
    "employee_count": "employee_count",
    "annual_revenue": "annual_revenue",
    "company_linkedin_url": "linkedin_url",
    "facebook_url": "facebook_url",
    "instagram_url": "instagram_url",
    "twitter_url": "twitter_url",
    "ads_url": "ads_url",
    "company_address": "address",
    "company_city": "city",
    "company_state": "state",
    "company_postal_code": "postal_code",
    "company_country": "country",
    "company_description": "description",
}
