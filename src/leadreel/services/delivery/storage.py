"""Where videos go: local share pages only, or share pages plus a Google Drive account.

Why here and as plain strings: the workspace choice is an ``AppSetting`` and a batch may
override it (``ImportBatch.storage_destination``); the render chains, the "upload these"
action, the Storage page and the CLI all resolve the same way. A destination is written
``local`` or ``drive:<account id>``; a batch with NULL follows the workspace. A Drive
account that was disconnected resolves to local (nothing can be uploaded to it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.errors import ValidationError
from leadreel.models import AppSetting, DriveAccount, ImportBatch
from leadreel.services.permissions import Actor, require

UPLOAD_VIDEO = "upload_video"
WORKSPACE_KEY = "storage.destination"
INSTALL_KEY = "storage.install_id"
LOCAL = "local"


@dataclass(frozen=True)
class Destination:
    """``account_id`` None means local share pages only."""

    account_id: int | None = None

    @property
    def is_drive(self) -> bool:
        return self.account_id is not None

    def __str__(self) -> str:
        return f"drive:{self.account_id}" if self.account_id else LOCAL

    @classmethod
    def parse(cls, value: str | None) -> Destination:
        text = (value or LOCAL).strip()
        if text == LOCAL:
            return cls()
        kind, _, ident = text.partition(":")
        if kind != "drive" or not ident.isdigit():
            raise ValidationError(f"unknown destination {text!r} (use local or drive:<account>)")
        return cls(int(ident))


def _setting(session: Session, key: str) -> AppSetting | None:
    return session.get(AppSetting, key)


def install_id(session: Session) -> str:
    """A random id of this LeadReel, tagged on its Drive files (two installs may share an
    account; their lead ids would collide). Created on first use; the caller commits."""
    row = _setting(session, INSTALL_KEY)
    if row is None:
        row = AppSetting(key=INSTALL_KEY, value=secrets.token_hex(8))
        session.add(row)
        session.flush()
    return row.value


def workspace_destination(session: Session) -> Destination:
    row = _setting(session, WORKSPACE_KEY)
    return Destination.parse(row.value if row else None)


def _usable(session: Session, destination: Destination) -> Destination:
    if not destination.is_drive:
        return destination
    account = session.get(DriveAccount, destination.account_id)
    if account is None or account.status == "disconnected":
        return Destination()
    return destination


def destination_for_batch(session: Session, batch_id: int | None) -> Destination:
    """Where a batch's videos go now: its override, else the workspace's (local if the
    chosen account was disconnected)."""
    override = None
    if batch_id:
        override = session.scalar(
            select(ImportBatch.storage_destination).where(ImportBatch.id == batch_id)
        )
    chosen = Destination.parse(override) if override else workspace_destination(session)
    return _usable(session, chosen)


def _check_account(session: Session, destination: Destination) -> None:
    if destination.is_drive:
        account = session.get(DriveAccount, destination.account_id)
        if account is None or account.status == "disconnected":
            raise ValidationError("that Drive account is not connected")


def set_workspace_destination(session: Session, user: Actor, destination: Destination) -> None:
    """Admins only; the caller commits."""
    require(user, "storage.manage")
    _check_account(session, destination)
    row = _setting(session, WORKSPACE_KEY)
    if row is None:
        session.add(AppSetting(key=WORKSPACE_KEY, value=str(destination)))
    else:
        row.value = str(destination)


def set_batch_destination(
    session: Session, user: Actor, batch: ImportBatch, destination: Destination | None
) -> None:
    """Override a batch's destination (None: follow the workspace). Admins only."""
    require(user, "storage.manage")
    if destination is not None:
        _check_account(session, destination)
    batch.storage_destination = str(destination) if destination is not None else None


def account_by_email(session: Session, email: str) -> DriveAccount | None:
    return session.scalar(
        select(DriveAccount)
        .where(DriveAccount.email == email.strip().lower())
        .order_by(DriveAccount.id.desc())
    )


def describe(session: Session, destination: Destination) -> str:
    """``local`` or ``drive:<email>``, as the CLI and pages show it."""
    if not destination.is_drive:
        return LOCAL
    account = session.get(DriveAccount, destination.account_id)
    return f"drive:{account.email}" if account else LOCAL


def upload_step(video_id: int, lead_id: int, account_id: int) -> dict[str, Any]:
    """The ``upload_video`` step a render chain ends with (see ``videos/chains.py``)."""
    return {
        "type": UPLOAD_VIDEO,
        "payload": {"video_id": video_id, "lead_id": lead_id, "account_id": account_id},
        "dedupe_key": f"upload:lead:{lead_id}",
    }
