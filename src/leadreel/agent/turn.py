"""One assistant turn, and one confirmation click: what the web endpoint and the CLI call.

Picks the provider from the settings (a model with tools, or the offline interpreter),
records the conversation, runs the loop or the interpreter, and commits: this is the
service layer of the assistant, so it owns the transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from leadreel.agent import commands, conversations, executor, replies
from leadreel.agent.context import ToolContext
from leadreel.agent.executor import Outcome
from leadreel.agent.loop import OnEvent, public, run_loop
from leadreel.agent.providers import ChatModel, make_chat_model, provider_kind
from leadreel.config import Settings
from leadreel.errors import LeadReelError
from leadreel.models import User
from leadreel.services.leads.selection import Selection
from leadreel.services.permissions import require

log = logging.getLogger("leadreel.agent")
MAX_MESSAGE = 4000
ModelFactory = Callable[[Settings], ChatModel | None]


def _pending(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    return [{"tool": o.tool, "plan": o.plan, "token": o.token, "call_id": o.call_id}
            for o in outcomes if o.status == "proposed"]


def _logged(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    return [{k: v for k, v in public(o).items() if k != "token"} for o in outcomes]


def run_turn(
    session: Session,
    user: User,
    settings: Settings,
    secret: str,
    message: str,
    *,
    selection: Selection | None = None,
    conversation_id: int | None = None,
    base_url: str = "",
    on_event: OnEvent | None = None,
    model_factory: ModelFactory = make_chat_model,
) -> dict[str, Any]:
    """Answer ``message`` for ``user``; commits. Returns reply, tool calls and plans."""
    require(user, "chat.use")
    message = message.strip()[:MAX_MESSAGE]
    kind = provider_kind(settings)
    conv = conversations.get_or_create(session, user, conversation_id, kind, message)
    history = conversations.history(session, conv)
    conversations.add_message(session, conv, "user", message)
    ctx = ToolContext(session, user, settings, secret, selection or Selection(),
                      conversation_id=conv.id, base_url=base_url)
    model = model_factory(settings) if kind != "offline" else None
    stopped = None
    if model is None:
        parsed = commands.interpret(ctx, message)
        outcomes = [executor.call(ctx, parsed.tool, parsed.args)] if parsed.tool else []
        for o in outcomes:
            if on_event:
                on_event({"type": "tool", **public(o)})
        reply = replies.describe(outcomes[0]) if outcomes else parsed.reply
        if on_event:
            on_event({"type": "text", "text": reply})
    else:
        try:
            result = run_loop(
                ctx, model, history, message, max_steps=settings.assistant_max_steps,
                timeout=settings.assistant_timeout, call_timeout=settings.ai_timeout,
                on_event=on_event,
            )
        finally:
            close = getattr(model, "close", None)
            if close:
                close()
        outcomes, reply, stopped = result.outcomes, result.reply, result.stopped
        if stopped and on_event:
            on_event({"type": "text", "text": reply})
    pending = _pending(outcomes)
    conversations.add_message(
        session, conv, "assistant", reply, _logged(outcomes),
        {"plans": [{k: v for k, v in p.items() if k != "token"} for p in pending]}
        if pending else None,
    )
    session.commit()
    return {"conversation_id": conv.id, "provider": kind, "reply": reply,
            "tool_calls": _logged(outcomes), "pending": pending, "stopped": stopped}


def confirm(
    session: Session,
    user: User,
    settings: Settings,
    secret: str,
    token: str,
    *,
    selection: Selection | None = None,
    conversation_id: int | None = None,
    base_url: str = "",
) -> dict[str, Any]:
    """The person clicked Confirm on a plan; runs it if the token still fits. Commits."""
    require(user, "chat.use")
    ctx = ToolContext(session, user, settings, secret, selection or Selection(),
                      conversation_id=None, base_url=base_url)
    try:
        conv = conversations.get_or_create(session, user, conversation_id, "offline", "confirm")
    except LeadReelError:
        conv = conversations.get_or_create(session, user, None, "offline", "confirm")
    ctx.conversation_id = conv.id
    outcome = executor.run_confirmed(ctx, token)
    reply = replies.describe(outcome)
    conversations.add_message(session, conv, "assistant", reply, _logged([outcome]))
    session.commit()
    return {"conversation_id": conv.id, "reply": reply, "tool_calls": _logged([outcome]),
            "ok": outcome.status == "confirmed", "result": outcome.result}
