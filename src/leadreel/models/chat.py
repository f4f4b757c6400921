"""The assistant's conversations: messages, every tool call it made and the confirmations.

Why three tables: a message is what a person reads; a tool call is the audit record an admin
reads (tool, exact arguments, result, whether it needed and got a confirmation); a
confirmation is the single-use half of a signed token (the signature proves who and what,
the row proves it was not used yet).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadreel.models.base import Base, TimestampMixin

TOOL_CALL_STATUSES = ("done", "proposed", "confirmed", "refused", "invalid", "error")


class ChatConversation(TimestampMixin, Base):
    __tablename__ = "chat_conversations"
    __table_args__ = (Index("ix_chat_conversations_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="")
    #: "openai", "gemini" or "offline": who answered.
    provider: Mapped[str] = mapped_column(String(20), default="offline")


class ChatMessage(TimestampMixin, Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        Index("ix_chat_messages_user", "user_id", "id"),
        Index("ix_chat_messages_conversation", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(20))  # user | assistant | tool
    content: Mapped[str] = mapped_column(Text, default="")
    tool_calls: Mapped[list[Any]] = mapped_column(default=list)
    #: A proposed destructive/large action waiting for the user's confirmation.
    pending_action: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class ChatToolCall(TimestampMixin, Base):
    """One tool call of the assistant: the audit log an admin can read."""

    __tablename__ = "chat_tool_calls"
    __table_args__ = (
        CheckConstraint(
            "status IN ('done', 'proposed', 'confirmed', 'refused', 'invalid', 'error')",
            name="status",
        ),
        Index("ix_chat_tool_calls_conversation", "conversation_id", "id"),
        Index("ix_chat_tool_calls_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tool: Mapped[str] = mapped_column(String(60))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="done")
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The confirmation this call proposed or used (its nonce).
    confirmation_id: Mapped[str | None] = mapped_column(String(40))


class ChatConfirmation(Base):
    """The single-use half of a confirmation token (the signature is the other half)."""

    __tablename__ = "chat_confirmations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the nonce
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE")
    )
    tool: Mapped[str] = mapped_column(String(60))
    #: sha256 of the canonical JSON of the exact arguments (selection included).
    args_hash: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    plan: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
