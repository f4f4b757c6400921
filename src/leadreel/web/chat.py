"""The assistant: its page, the panel's JSON endpoints, exports it made and the admin's log.

``POST /chat/api/message`` streams JSON lines (``application/x-ndjson``): ``text`` pieces as
the model writes them, a ``tool`` line per tool call, then ``done`` with the whole answer
and any plans to confirm. The turn runs on a thread with its own session so the response
can stream while it works. Both POST endpoints need the X-CSRFToken header.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    stream_with_context,
)
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as BodyError

from leadreel.agent import conversations, turn
from leadreel.agent.providers import provider_kind
from leadreel.errors import LeadReelError, NotFound
from leadreel.extensions import db
from leadreel.models import User
from leadreel.services.leads.selection import Selection
from leadreel.web.permissions import require

bp = Blueprint("chat", __name__, url_prefix="/chat")
log = logging.getLogger("leadreel.web.chat")


class PageSelection(BaseModel):
    """What the leads page has selected: ticked ids, or its filter."""

    model_config = ConfigDict(extra="ignore")
    lead_ids: list[int] = Field(default_factory=list, max_length=100_000)
    batch_id: int | None = None
    q: str = Field("", max_length=200)
    status: str = Field("", max_length=30)
    video_status: str = Field("", max_length=20)
    owner_id: int | None = None
    tag: str = Field("", max_length=100)
    has_email: bool | None = None
    has_phone: bool | None = None
    has_website: bool | None = None
    imported_from: str = Field("", max_length=30)
    imported_to: str = Field("", max_length=30)
    custom: dict[str, str] = Field(default_factory=dict, max_length=20)


class MessageBody(BaseModel):
    message: str = Field(min_length=1, max_length=turn.MAX_MESSAGE)
    selection: PageSelection = Field(default_factory=lambda: PageSelection.model_validate({}))
    conversation_id: int | None = None


class ConfirmBody(BaseModel):
    token: str = Field(min_length=10, max_length=2000)
    selection: PageSelection = Field(default_factory=lambda: PageSelection.model_validate({}))
    conversation_id: int | None = None


def _body(model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(request.get_json(silent=True) or {})
    except BodyError as exc:
        abort(400, "; ".join(e["msg"] for e in exc.errors()[:3]))


def _selection(page: PageSelection) -> Selection:
    try:
        return Selection.from_json(page.model_dump())
    except LeadReelError as exc:
        abort(400, str(exc))


def _write_session():  # type: ignore[no-untyped-def]
    """A session of its own for the turn's thread (SQLite: one that takes the write lock)."""
    assert db.session_factory is not None
    return db.session_factory(bind=db.write_engine)


@bp.route("/")
@require("chat.use")
def index():  # type: ignore[no-untyped-def]
    """The assistant on its own page, with the user's latest conversation."""
    conv = conversations.latest(db.session, current_user)
    history = conversations.messages(db.session, current_user, conv.id) if conv else []
    return render_template(
        "chat/index.html", history=history, conversation_id=conv.id if conv else None,
        provider=provider_kind(current_app.config["SETTINGS"]),
    )


@bp.route("/api/message", methods=["POST"])
@require("chat.use")
def api_message():  # type: ignore[no-untyped-def]
    """One turn, streamed as JSON lines."""
    body: MessageBody = _body(MessageBody)
    selection = _selection(body.selection)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    settings, secret, user_id = app.config["SETTINGS"], app.config["SECRET_KEY"], current_user.id
    base_url = request.url_root.rstrip("/")
    events: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def work() -> None:
        with app.app_context():
            session = _write_session()
            try:
                user = session.get(User, user_id)
                result = turn.run_turn(
                    session, user, settings, secret, body.message, selection=selection,
                    conversation_id=body.conversation_id, base_url=base_url,
                    on_event=events.put,
                )
                events.put({"type": "done", **result})
            except LeadReelError as exc:
                session.rollback()
                events.put({"type": "error", "message": str(exc)})
            except Exception:  # the person gets an answer; the log gets the trace
                session.rollback()
                log.exception("assistant turn failed")
                events.put({"type": "error", "message": "Something went wrong; nothing changed."})
            finally:
                session.close()
                events.put(None)

    threading.Thread(target=work, name="assistant-turn", daemon=True).start()

    def stream() -> Iterator[str]:
        while (event := events.get()) is not None:
            yield json.dumps(event, default=str) + "\n"

    return Response(stream_with_context(stream()), mimetype="application/x-ndjson",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@bp.route("/api/confirm", methods=["POST"])
@require("chat.use")
def api_confirm():  # type: ignore[no-untyped-def]
    """The Confirm click on a plan: runs it when the token still fits the selection."""
    body: ConfirmBody = _body(ConfirmBody)
    result = turn.confirm(
        db.session, current_user, current_app.config["SETTINGS"],
        current_app.config["SECRET_KEY"], body.token, selection=_selection(body.selection),
        conversation_id=body.conversation_id, base_url=request.url_root.rstrip("/"),
    )
    return jsonify(result), (200 if result["ok"] else 409)


@bp.route("/api/conversations/<int:conversation_id>")
@require("chat.use")
def api_conversation(conversation_id: int):  # type: ignore[no-untyped-def]
    """A conversation's messages (its owner's, or any for an admin)."""
    try:
        return jsonify(messages=conversations.messages(db.session, current_user,
                                                       conversation_id))
    except NotFound:
        abort(404)


@bp.route("/log")
@require("users.manage")
def tool_log():  # type: ignore[no-untyped-def]
    """Admins: every tool call the assistant made, with arguments, result and confirmation."""
    user_id = request.args.get("user", type=int)
    rows = conversations.tool_log(db.session, current_user, user_id=user_id)
    return render_template("chat/log.html", rows=rows, user_id=user_id)
