"""The bounded model loop: ask the model, run the tool calls it makes, feed results back.

Bounded three ways: at most ``max_steps`` model calls, a wall-clock ``timeout`` for the whole
turn, and each call's own SDK timeout within what is left. Every tool call goes through the
executor, so arguments are validated, permissions checked inside the tool, anything large
or changing data waits for the person's click, and errors come back to the model as text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadreel.agent import executor
from leadreel.agent.context import ToolContext
from leadreel.agent.executor import Outcome
from leadreel.agent.prompts import selection_note, system_prompt
from leadreel.agent.providers import ChatModel, ToolSpec, inline_refs
from leadreel.agent.tools import TOOLS
from leadreel.integrations.ai import AIProviderError

OnEvent = Callable[[dict[str, Any]], None]


@dataclass
class LoopResult:
    reply: str
    outcomes: list[Outcome] = field(default_factory=list)
    steps: int = 0
    #: Why the loop stopped early: "step_limit", "timeout", "provider_error" (None: answered).
    stopped: str | None = None


def tool_specs() -> list[ToolSpec]:
    return [ToolSpec(t.name, t.description, inline_refs(t.schema())) for t in TOOLS.values()]


def run_loop(
    ctx: ToolContext,
    model: ChatModel,
    history: Sequence[dict[str, Any]],
    message: str,
    *,
    max_steps: int,
    timeout: float,
    call_timeout: float,
    on_event: OnEvent | None = None,
) -> LoopResult:
    emit = on_event or (lambda _event: None)
    deadline = time.monotonic() + timeout
    system = system_prompt(ctx.user.role, TOOLS)
    messages: list[dict[str, Any]] = [
        *history,
        {"role": "user", "content": f"{message}\n\n{selection_note(ctx.selection)}"},
    ]
    specs = tool_specs()
    result = LoopResult(reply="")
    while True:
        if result.steps >= max_steps:
            result.stopped = "step_limit"
            result.reply = (f"I stopped after {max_steps} steps without finishing. "
                            "Try a smaller request.")
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            result.stopped = "timeout"
            result.reply = "I ran out of time for this request. Try again or ask for less."
            return result
        result.steps += 1
        try:
            reply = model.complete(
                system, messages, specs, timeout=min(remaining, call_timeout),
                on_text=lambda text: emit({"type": "text", "text": text}),
            )
        except AIProviderError as exc:
            if time.monotonic() >= deadline - 0.05:  # the call used up the turn's time
                result.stopped = "timeout"
                result.reply = "I ran out of time for this request. Try again or ask for less."
                return result
            result.stopped = "provider_error"
            result.reply = f"The AI provider did not answer ({exc}). Nothing was changed."
            return result
        if not reply.tool_calls:
            result.reply = reply.text.strip() or "Done."
            return result
        messages.append({"role": "assistant", "content": reply.text,
                         "tool_calls": reply.tool_calls})
        for call in reply.tool_calls:
            outcome = executor.call(ctx, call.name, call.arguments)
            result.outcomes.append(outcome)
            emit({"type": "tool", **public(outcome)})
            messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name,
                             "content": outcome.for_model()})


def public(outcome: Outcome) -> dict[str, Any]:
    """What the browser and the CLI see of a tool call (the token only for a plan)."""
    return outcome.to_json()
