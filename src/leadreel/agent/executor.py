"""Run one tool call: validate, authorize, ask for confirmation or run, and log it.

Whatever goes wrong becomes text for the model (``Outcome.for_model``), never an exception
out of the loop: a validation error names the bad field, a refusal says why. Every call is a
``ChatToolCall`` row (tool, arguments, status, result, confirmation): the admin's audit log.
The confirmation token itself is never shown to the model; only the person can click it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as ArgsError

from leadreel.agent import confirm
from leadreel.agent.context import ToolContext
from leadreel.agent.leads_arg import Leads, resolve
from leadreel.agent.tools import TOOLS, Tool
from leadreel.errors import LeadReelError, NotFound, PermissionDenied, ValidationError
from leadreel.models import ChatToolCall


@dataclass
class Outcome:
    tool: str
    status: str  # done | proposed | confirmed | refused | invalid | error
    arguments: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    plan: str | None = None
    token: str | None = None
    call_id: int | None = None

    def for_model(self) -> str:
        """What the model reads back (the token stays out)."""
        if self.status in ("done", "confirmed"):
            return json.dumps(self.result, ensure_ascii=False, default=str)
        if self.status == "proposed":
            return (
                f"NEEDS CONFIRMATION: the plan '{self.plan}' is shown to the user with a "
                "Confirm button. Do not call this tool again; tell the user to confirm."
            )
        label = {"invalid": "INVALID ARGUMENTS", "refused": "REFUSED"}.get(self.status, "ERROR")
        return f"{label}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool, "status": self.status, "arguments": self.arguments,
            "result": self.result, "message": self.message, "plan": self.plan,
            "token": self.token, "call_id": self.call_id,
        }


def _parse(tool: Tool, raw: dict[str, Any] | str | None) -> BaseModel:
    if isinstance(raw, str):
        raw = json.loads(raw or "{}")  # ValueError is caught by the caller
    if not isinstance(raw, dict):
        raise ValueError("the arguments must be a JSON object")
    return tool.args.model_validate(raw)


def _arg_errors(exc: ArgsError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def _selection_json(ctx: ToolContext, args: BaseModel) -> dict[str, Any]:
    leads = getattr(args, "leads", None)
    return resolve(ctx, leads).to_json() if isinstance(leads, Leads) else {}


def _log(ctx: ToolContext, out: Outcome, confirmation_id: str | None = None) -> Outcome:
    if ctx.conversation_id is None:
        return out
    result = out.result if out.status in ("done", "confirmed") else {"message": out.message,
                                                                     "plan": out.plan}
    row = ChatToolCall(
        conversation_id=ctx.conversation_id, user_id=ctx.user.id, tool=out.tool,
        arguments=out.arguments, status=out.status, result=result,
        confirmation_id=confirmation_id,
    )
    ctx.session.add(row)
    ctx.session.flush()
    out.call_id = row.id
    return out


def _failure(name: str, arguments: dict[str, Any], exc: Exception) -> Outcome:
    if isinstance(exc, PermissionDenied | NotFound):
        return Outcome(name, "refused", arguments, message=str(exc))
    return Outcome(name, "error", arguments, message=str(exc))


def _close(savepoint: Any, *, commit: bool) -> None:
    """End a tool's savepoint, unless the service it called committed its own transaction
    (the Exports service records an export and commits, like its page does)."""
    if not savepoint.is_active:
        return
    if commit:
        savepoint.commit()
    else:
        savepoint.rollback()


def call(ctx: ToolContext, name: str, raw: dict[str, Any] | str | None) -> Outcome:
    """One call from the model or the interpreter; changes nothing without a confirmation."""
    tool = TOOLS.get(name)
    if tool is None:
        known = ", ".join(TOOLS)
        return _log(ctx, Outcome(name, "invalid", message=f"unknown tool {name!r}; use {known}"))
    try:
        args = _parse(tool, raw)
    except ArgsError as exc:
        shown = raw if isinstance(raw, dict) else {"raw": str(raw)[:500]}
        return _log(ctx, Outcome(name, "invalid", shown, message=_arg_errors(exc)))
    except ValueError as exc:
        return _log(ctx, Outcome(name, "invalid", {"raw": str(raw)[:500]},
                                 message=f"arguments are not valid JSON: {exc}"))
    arguments = args.model_dump(mode="json")
    savepoint = ctx.session.begin_nested()
    try:
        plan = tool.plan(ctx, args) if tool.plan else None
        if plan is not None:
            selection = _selection_json(ctx, args)
            token, nonce = confirm.issue(ctx, name, arguments, selection, plan.text)
            _close(savepoint, commit=True)
            out = Outcome(name, "proposed", arguments, plan=plan.text, token=token,
                          result={"leads": plan.leads})
            return _log(ctx, out, nonce)
        result = tool.run(ctx, args)
        _close(savepoint, commit=True)
    except LeadReelError as exc:
        _close(savepoint, commit=False)
        return _log(ctx, _failure(name, arguments, exc))
    return _log(ctx, Outcome(name, "done", arguments, result=result))


def run_confirmed(ctx: ToolContext, token: str) -> Outcome:
    """The user clicked Confirm: check the token against the arguments as they resolve now
    (with the page's current selection), spend it, and run the tool without asking again."""
    try:
        row = confirm.open_token(ctx, token)
    except LeadReelError as exc:
        return _log(ctx, _failure("confirm", {}, exc))
    tool = TOOLS.get(row.tool)
    arguments = dict(row.arguments or {})
    if tool is None:
        return _log(ctx, Outcome(row.tool, "invalid", arguments, message="unknown tool"))
    savepoint = ctx.session.begin_nested()
    try:
        args = tool.args.model_validate(arguments)
        digest = confirm.args_hash(row.tool, arguments, _selection_json(ctx, args))
        now = tool.plan(ctx, args) if tool.plan else None
        if digest == row.args_hash and now is not None and now.text != row.plan:
            raise ValidationError(f"the plan changed since you saw it (now: {now.text}); "
                                  "ask again")
        confirm.use(ctx, row, digest)
        result = tool.run(ctx, args)
        _close(savepoint, commit=True)
    except LeadReelError as exc:
        _close(savepoint, commit=False)
        return _log(ctx, _failure(row.tool, arguments, exc), row.id)
    out = Outcome(row.tool, "confirmed", arguments, result=result, plan=row.plan)
    return _log(ctx, out, row.id)
