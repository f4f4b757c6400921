"""Conversations per user: messages in, messages out, the history the model sees, the log.

The model's history is the last messages' text only (user and assistant): tool results of
earlier turns are not replayed, so lead data from an old turn cannot ride along as if it
were the person's words.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.errors import NotFound
from leadreel.models import ChatConversation, ChatMessage, ChatToolCall, User
from leadreel.services.permissions import can

HISTORY = 12


def get_or_create(
    session: Session, user: User, conversation_id: int | None, provider: str, title: str
) -> ChatConversation:
    if conversation_id:
        conv = session.get(ChatConversation, conversation_id)
        if conv is None or conv.user_id != user.id:
            raise NotFound(f"conversation {conversation_id} not found")
        return conv
    conv = ChatConversation(user_id=user.id, provider=provider, title=title[:200])
    session.add(conv)
    session.flush()
    return conv


def add_message(
    session: Session, conv: ChatConversation, role: str, content: str,
    tool_calls: list[Any] | None = None, pending: dict[str, Any] | None = None,
) -> ChatMessage:
    msg = ChatMessage(user_id=conv.user_id, conversation_id=conv.id, role=role,
                      content=content, tool_calls=tool_calls or [], pending_action=pending)
    session.add(msg)
    session.flush()
    return msg


def history(session: Session, conv: ChatConversation) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ChatMessage)
        .where(ChatMessage.conversation_id == conv.id, ChatMessage.role.in_(("user",
                                                                             "assistant")))
        .order_by(ChatMessage.id.desc())
        .limit(HISTORY)
    ).all()
    return [{"role": m.role, "content": m.content} for m in reversed(rows)]


def messages(session: Session, user: User, conversation_id: int) -> list[dict[str, Any]]:
    conv = session.get(ChatConversation, conversation_id)
    if conv is None or (conv.user_id != user.id and not can(user, "users.manage")):
        raise NotFound(f"conversation {conversation_id} not found")
    rows = session.scalars(
        select(ChatMessage).where(ChatMessage.conversation_id == conv.id).order_by(ChatMessage.id)
    )
    return [{"id": m.id, "role": m.role, "content": m.content, "tool_calls": m.tool_calls,
             "at": m.created_at.isoformat()} for m in rows]


def latest(session: Session, user: User) -> ChatConversation | None:
    return session.scalars(
        select(ChatConversation).where(ChatConversation.user_id == user.id)
        .order_by(ChatConversation.id.desc()).limit(1)
    ).first()


def tool_log(
    session: Session, admin: User, *, user_id: int | None = None, limit: int = 200
) -> list[tuple[ChatToolCall, User]]:
    """Every tool call (newest first) for the admin's audit page."""
    if not can(admin, "users.manage"):
        raise NotFound("no such page")
    query = select(ChatToolCall, User).join(User, User.id == ChatToolCall.user_id)
    if user_id:
        query = query.where(ChatToolCall.user_id == user_id)
    rows = session.execute(query.order_by(ChatToolCall.id.desc()).limit(limit)).all()
    return [(call, user) for call, user in rows]
