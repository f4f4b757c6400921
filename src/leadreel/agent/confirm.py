"""Confirmation tokens: signed, bound to the user and the exact arguments, single use, expiring.

Why two halves: the signature (itsdangerous, keyed with the app secret) proves the token was
issued by us for this user, tool and argument hash, and carries the expiry; the
``ChatConfirmation`` row makes it single use (marked used by one conditional UPDATE, so two
clicks cannot both run it). The hash covers the resolved selection too, so a plan made for
one selection cannot run on another: a changed selection needs a new confirmation.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update

from leadreel.agent.context import ToolContext
from leadreel.errors import PermissionDenied, ValidationError
from leadreel.models import ChatConfirmation

SALT = "leadreel.assistant.confirm"


def args_hash(tool: str, arguments: dict[str, Any], selection: dict[str, Any]) -> str:
    payload = {"tool": tool, "arguments": arguments, "selection": selection}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def issue(
    ctx: ToolContext, tool: str, arguments: dict[str, Any], selection: dict[str, Any], plan: str
) -> tuple[str, str]:
    """Record a pending confirmation; returns (token, nonce). The caller commits."""
    nonce = uuid.uuid4().hex
    digest = args_hash(tool, arguments, selection)
    now = datetime.now(UTC)
    ctx.session.add(
        ChatConfirmation(
            id=nonce,
            user_id=ctx.user.id,
            conversation_id=ctx.conversation_id,
            tool=tool,
            args_hash=digest,
            arguments=arguments,
            plan=plan,
            created_at=now,
            expires_at=now + timedelta(minutes=ctx.settings.assistant_confirm_minutes),
        )
    )
    ctx.session.flush()
    token = _serializer(ctx.secret).dumps({"n": nonce, "u": ctx.user.id, "t": tool, "h": digest})
    return str(token), nonce


def open_token(ctx: ToolContext, token: str) -> ChatConfirmation:
    """The confirmation a token names, if it is genuine, the user's, unused and unexpired."""
    max_age = ctx.settings.assistant_confirm_minutes * 60
    try:
        data = _serializer(ctx.secret).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ValidationError("this plan has expired; ask again") from None
    except BadSignature:
        raise PermissionDenied("this confirmation is not valid") from None
    if not isinstance(data, dict) or data.get("u") != ctx.user.id:
        raise PermissionDenied("this confirmation belongs to someone else")
    row = ctx.session.get(ChatConfirmation, str(data.get("n")))
    if row is None or row.user_id != ctx.user.id or row.args_hash != data.get("h"):
        raise PermissionDenied("this confirmation is not valid")
    if row.used_at is not None:
        raise ValidationError("this plan was already confirmed once; ask again to repeat it")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires < datetime.now(UTC):
        raise ValidationError("this plan has expired; ask again")
    return row


def use(ctx: ToolContext, row: ChatConfirmation, current_hash: str) -> None:
    """Spend the confirmation for ``current_hash`` (the arguments as they resolve now)."""
    if current_hash != row.args_hash:
        raise ValidationError(
            "the selection or the arguments changed since this plan was made; ask again"
        )
    done = ctx.session.execute(
        update(ChatConfirmation)
        .where(ChatConfirmation.id == row.id, ChatConfirmation.used_at.is_(None))
        .values(used_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationError("this plan was already confirmed once; ask again to repeat it")
    ctx.session.expire(row)
