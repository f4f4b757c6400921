"""`leadreel assistant`: one assistant turn on the command line, for scripts and checks.

Runs exactly what the chat panel runs (``turn.run_turn``) as the given user, with an optional
batch as the "selection"; ``--yes`` confirms the plans the turn proposed (one click each).
Prints the reply and every tool call as JSON.
"""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select


@click.command("assistant")
@click.option("--user", "email", required=True, help="Email of the user the assistant acts as.")
@click.option("--batch", default=None, help="Import batch name to use as the selection.")
@click.option("--yes", is_flag=True, help="Confirm the plans the answer proposes.")
@click.argument("message")
def assistant_command(email: str, batch: str | None, yes: bool, message: str) -> None:
    """Send MESSAGE to the assistant as USER; prints reply and tool calls as JSON."""
    from leadreel.agent import turn  # noqa: PLC0415
    from leadreel.agent.context import ToolContext  # noqa: PLC0415
    from leadreel.agent.leads_arg import batch_id  # noqa: PLC0415
    from leadreel.app import create_app  # noqa: PLC0415 - migrates on first use
    from leadreel.errors import LeadReelError  # noqa: PLC0415
    from leadreel.extensions import db  # noqa: PLC0415
    from leadreel.models import User  # noqa: PLC0415
    from leadreel.services.leads.selection import Selection  # noqa: PLC0415

    app = create_app()
    settings, secret = app.config["SETTINGS"], app.config["SECRET_KEY"]
    with app.app_context(), db.new_session() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or not user.active:
            raise click.ClickException(f"no active user with email {email}")
        selection = Selection()
        try:
            if batch:
                ctx = ToolContext(session, user, settings, secret)
                selection = Selection(batch_id=batch_id(ctx, batch))
            out: dict[str, Any] = turn.run_turn(session, user, settings, secret, message,
                                                selection=selection)
            confirmed = []
            if yes:
                for plan in out["pending"]:
                    confirmed.append(turn.confirm(
                        session, user, settings, secret, plan["token"], selection=selection,
                        conversation_id=out["conversation_id"]))
        except LeadReelError as exc:
            raise click.ClickException(str(exc)) from exc
    out["pending"] = [{k: v for k, v in p.items() if k != "token"} for p in out["pending"]]
    out["confirmed"] = confirmed
    click.echo(json.dumps(out, indent=2, default=str))


def register(main: click.Group) -> None:
    main.add_command(assistant_command)
