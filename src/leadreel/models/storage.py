"""Connected Google Drive accounts; refresh tokens are stored encrypted."""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, TimestampMixin


class DriveAccount(TimestampMixin, Base):
    __tablename__ = "drive_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    encrypted_refresh_token: Mapped[bytes] = mapped_column(LargeBinary)
    folder_id: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AppSetting(TimestampMixin, Base):
    """Settings changed in the admin UI; secret values are encrypted."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(4000), default="")
    encrypted: Mapped[bool] = mapped_column(default=False)
