"""Google Drive accounts: connect (OAuth web flow), list, disconnect, reconnect, rotate keys.

Why a service of its own: the refresh token is the one secret here. It is decrypted only in
``client_for`` (to build a Drive client) and ``disconnect`` (to revoke it), encrypted with
the newest ``LEADREEL_ENCRYPTION_KEY`` (a MultiFernet, see ``security.SecretBox``), and never
returned, logged or rendered: ``AccountView`` is what pages and the CLI see.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.errors import NotFound, ValidationError
from leadreel.integrations import drive as google
from leadreel.models import AppSetting, DriveAccount, Video
from leadreel.security import SecretBox
from leadreel.services.delivery.storage import (
    WORKSPACE_KEY,
    describe,
    upload_step,
    workspace_destination,
)
from leadreel.services.permissions import Actor, require
from leadreel.tasks.queue import enqueue

log = logging.getLogger("leadreel.drive")


def google_config(settings: Settings) -> google.GoogleConfig:
    return google.GoogleConfig(
        client_id=settings.google_client_id,
        client_secret=settings.google_client_secret,
        auth_uri=settings.google_auth_uri,
        token_uri=settings.google_token_uri,
        revoke_uri=settings.google_revoke_uri,
        api_base=settings.google_api_base,
        ca_bundle=settings.google_ca_bundle,
        chunk_size=settings.drive_chunk_kb * 1024,
        retry_seconds=settings.drive_retry_seconds,
    )


def secret_box(settings: Settings) -> SecretBox:
    return SecretBox(settings.resolved_encryption_key())


@dataclass(frozen=True)
class AccountView:
    """What may be shown of an account (never the token)."""

    id: int
    email: str
    status: str
    last_error: str | None
    paused_uploads: int
    is_default: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def list_accounts(session: Session, *, include_disconnected: bool = False) -> list[AccountView]:
    default = workspace_destination(session).account_id
    query = select(DriveAccount).order_by(DriveAccount.email)
    if not include_disconnected:
        query = query.where(DriveAccount.status != "disconnected")
    paused = dict(
        session.execute(
            select(Video.drive_account_id, func.count())
            .where(Video.upload_status == "paused")
            .group_by(Video.drive_account_id)
        ).all()
    )
    return [
        AccountView(
            id=a.id,
            email=a.email,
            status=a.status,
            last_error=a.last_error,
            paused_uploads=int(paused.get(a.id, 0)),
            is_default=a.id == default,
        )
        for a in session.scalars(query)
    ]


# -- connecting --------------------------------------------------------------------------


def begin_connect(settings: Settings, user: Actor, redirect_uri: str) -> google.Authorization:
    """The Google consent URL; the caller keeps ``state`` and ``code_verifier`` in the session."""
    require(user, "storage.manage")
    config = google_config(settings)
    if not config.configured:
        raise ValidationError(
            "Google Drive is not configured: set LEADREEL_GOOGLE_CLIENT_ID and "
            "LEADREEL_GOOGLE_CLIENT_SECRET"
        )
    return google.start_authorization(config, redirect_uri)


def complete_connect(
    session: Session,
    settings: Settings,
    user: Actor,
    *,
    redirect_uri: str,
    code: str,
    state: str,
    expected_state: str | None,
    code_verifier: str,
) -> DriveAccount:
    """Check ``state``, exchange the code, store the encrypted token. Reconnecting an account
    (same email) replaces its token and resumes its paused uploads. The caller commits."""
    require(user, "storage.manage")
    if not expected_state or state != expected_state:
        raise ValidationError("the Google answer does not belong to this sign-in; try again")
    config = google_config(settings)
    token = google.finish_authorization(
        config, redirect_uri, code=code, state=state, code_verifier=code_verifier
    )
    with google.DriveClient(config, token) as client:
        email = client.account_email().strip().lower()
    if not email:
        raise ValidationError("Google did not say which account this is")
    account = session.scalar(
        select(DriveAccount).where(DriveAccount.email == email).order_by(DriveAccount.id.desc())
    )
    if account is None:
        account = DriveAccount(email=email, created_by_id=user.id)
        session.add(account)
    account.encrypted_refresh_token = secret_box(settings).encrypt(token)
    account.status, account.last_error, account.active = "connected", None, True
    session.flush()
    resume_paused(session, account.id)
    log.info("drive account %s connected", email)
    return account


def resume_paused(session: Session, account_id: int) -> list[int]:
    """Queue again the uploads paused while the account needed reconnecting."""
    rows = session.execute(
        select(Video.id, Video.lead_id).where(
            Video.drive_account_id == account_id, Video.upload_status == "paused"
        )
    ).all()
    for video_id, lead_id in rows:
        step = upload_step(video_id, lead_id, account_id)
        enqueue(
            session, step["type"], step["payload"], dedupe_key=step["dedupe_key"], lead_id=lead_id
        )
    if rows:
        session.execute(
            update(Video)
            .where(Video.id.in_([r.id for r in rows]))
            .values(upload_status="pending", upload_error=None)
        )
    return [r.id for r in rows]


def _account(session: Session, account_id: int) -> DriveAccount:
    account = session.get(DriveAccount, account_id)
    if account is None:
        raise NotFound(f"no Drive account {account_id}")
    return account


def disconnect(session: Session, settings: Settings, user: Actor, account_id: int) -> bool:
    """Revoke the token at Google and delete it here; True if Google confirmed the revocation.

    The row stays (``disconnected``) so videos keep their Drive link; the workspace falls
    back to local if this was its destination. The caller commits.
    """
    require(user, "storage.manage")
    account = _account(session, account_id)
    revoked = False
    if account.encrypted_refresh_token:
        try:
            token = secret_box(settings).decrypt(account.encrypted_refresh_token)
        except ValueError:
            token = None
        if token:
            revoked = google.revoke(google_config(settings), token)
    account.encrypted_refresh_token = None
    account.status, account.active = "disconnected", False
    account.last_error = None if revoked else "Google did not confirm the revocation"
    row = session.get(AppSetting, WORKSPACE_KEY)
    if row is not None and row.value == f"drive:{account.id}":
        row.value = "local"
    session.execute(
        update(Video)
        .where(Video.drive_account_id == account.id, Video.upload_status.in_(("paused", "pending")))
        .values(upload_status="failed", upload_error="the Drive account was disconnected")
    )
    log.info("drive account %s disconnected (revoked: %s)", account.email, revoked)
    return revoked


def mark_reconnect_required(session: Session, account_id: int, error: str) -> None:
    """Google refused the token: stop using the account until an admin connects it again."""
    session.execute(
        update(DriveAccount)
        .where(DriveAccount.id == account_id, DriveAccount.status == "connected")
        .values(status="reconnect_required", last_error=error[:500])
    )


def client_for(settings: Settings, account: DriveAccount) -> google.DriveClient:
    """A Drive client for a connected account (the token is decrypted only here)."""
    if account.status != "connected" or not account.encrypted_refresh_token:
        raise google.DriveAuthError(f"the Drive account {account.email} is {account.status}")
    token = secret_box(settings).decrypt(account.encrypted_refresh_token)
    return google.DriveClient(google_config(settings), token)


def rotate_keys(session: Session, settings: Settings) -> dict[str, int]:
    """Re-encrypt every stored secret with the newest key. The caller commits.

    Raises ValueError (nothing changed) if a secret decrypts with none of the keys.
    """
    box = secret_box(settings)
    counts = {"drive_accounts": 0, "settings": 0}
    for account in session.scalars(
        select(DriveAccount).where(DriveAccount.encrypted_refresh_token.is_not(None))
    ):
        assert account.encrypted_refresh_token is not None
        account.encrypted_refresh_token = box.rotate(account.encrypted_refresh_token)
        counts["drive_accounts"] += 1
    for row in session.scalars(select(AppSetting).where(AppSetting.encrypted.is_(True))):
        row.value = box.rotate(row.value.encode()).decode()
        counts["settings"] += 1
    return counts


__all__ = [
    "AccountView",
    "begin_connect",
    "client_for",
    "complete_connect",
    "describe",
    "disconnect",
    "google_config",
    "list_accounts",
    "mark_reconnect_required",
    "resume_paused",
    "rotate_keys",
    "secret_box",
]
