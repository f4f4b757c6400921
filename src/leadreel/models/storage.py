"""Connected Google Drive accounts (refresh tokens stored encrypted), admin settings and the
login attempts the limiter counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, TimestampMixin, utcnow

DRIVE_STATUSES = ("connected", "reconnect_required", "disconnected")


class DriveAccount(TimestampMixin, Base):
    """One Google account the admin connected. ``status``: ``connected``; ``reconnect_required``
    (Google refused the refresh token: its uploads pause until an admin connects it again);
    ``disconnected`` (token revoked and deleted; the row stays so videos keep their link)."""

    __tablename__ = "drive_accounts"
    __table_args__ = (
        CheckConstraint(
            "status IN ('connected', 'reconnect_required', 'disconnected')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    #: Fernet token of the refresh token (see ``security.SecretBox``); NULL once disconnected.
    encrypted_refresh_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: The account's "LeadReel" folder; batch folders are created inside it.
    folder_id: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(30), default="connected")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AppSetting(TimestampMixin, Base):
    """Settings changed in the admin UI; secret values are encrypted."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(4000), default="")
    encrypted: Mapped[bool] = mapped_column(default=False)


class LoginAttempt(Base):
    """One failed login, counted under two keys (account+address, address alone).

    In the database, not in process memory, so every ``serve`` process counts the same
    attempts and a restart forgets none of them.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_key_at", "key", "attempted_at"),
        Index("ix_login_attempts_attempted_at", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
