"""`leadreel storage list | use | rotate-key`: Drive accounts and where videos go, from a shell.

The operator at the shell is trusted like ``leadreel users create``: these commands act as
an admin. Tokens are never printed; ``list --json`` gives what the Storage page shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import click
from sqlalchemy import select

from leadreel.errors import LeadReelError


@dataclass(frozen=True)
class _Operator:
    """The person at the shell, acting as an admin."""

    id: int = 0
    role: str = "admin"


@click.group("storage")
def storage_group() -> None:
    """Google Drive accounts and where videos go."""


def _open():  # type: ignore[no-untyped-def]
    from leadreel.app import create_app  # noqa: PLC0415 - migrates on first use
    from leadreel.extensions import db  # noqa: PLC0415

    settings = create_app().config["SETTINGS"]
    return settings, db.new_session()


@storage_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def list_command(as_json: bool) -> None:
    """Show the connected accounts, their state and where videos go."""
    from leadreel.models import ImportBatch  # noqa: PLC0415
    from leadreel.services.delivery import drive, storage  # noqa: PLC0415

    _settings, opened = _open()
    with opened as session:
        accounts = drive.list_accounts(session)
        workspace = storage.describe(session, storage.workspace_destination(session))
        batches = [
            {
                "batch": b.name,
                "id": b.id,
                "destination": storage.describe(
                    session, storage.Destination.parse(b.storage_destination)
                ),
            }
            for b in session.scalars(
                select(ImportBatch).where(ImportBatch.storage_destination.is_not(None))
            )
        ]
    if as_json:
        payload = {
            "destination": workspace,
            "accounts": [a.to_json() for a in accounts],
            "batches": batches,
        }
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(f"Videos go to: {workspace}")
    if not accounts:
        click.echo("No Drive account is connected.")
    for a in accounts:
        state = "reconnect required" if a.status == "reconnect_required" else a.status
        extra = f", {a.paused_uploads} paused upload(s)" if a.paused_uploads else ""
        click.echo(f"  {a.email}  {state}{' (default)' if a.is_default else ''}{extra}")
    for b in batches:
        click.echo(f"  batch {b['batch']!r}: {b['destination']}")


@storage_group.command("use")
@click.argument("destination")
@click.option("--batch", "batch_name", default=None, help="Only this batch (by name).")
def use_command(destination: str, batch_name: str | None) -> None:
    """Choose where videos go: `local` or `drive:ACCOUNT_EMAIL` (`default`: a batch follows)."""
    from leadreel.models import ImportBatch  # noqa: PLC0415
    from leadreel.services.delivery import storage  # noqa: PLC0415

    _settings, opened = _open()
    with opened as session:
        try:
            if destination == "default":
                if not batch_name:
                    raise click.UsageError("`default` needs --batch (the workspace has no default)")
                chosen = None
            elif destination == "local":
                chosen = storage.Destination()
            elif destination.startswith("drive:"):
                account = storage.account_by_email(session, destination.removeprefix("drive:"))
                if account is None or account.status == "disconnected":
                    raise click.ClickException(
                        f"no connected Drive account {destination.removeprefix('drive:')!r} "
                        "(see `leadreel storage list`)"
                    )
                chosen = storage.Destination(account.id)
            else:
                raise click.UsageError("use `local` or `drive:ACCOUNT_EMAIL`")
            if batch_name:
                found = session.scalars(
                    select(ImportBatch).where(ImportBatch.name == batch_name)
                ).all()
                if len(found) != 1:
                    raise click.ClickException(
                        f"{len(found)} batches are named {batch_name!r}; need exactly one"
                    )
                storage.set_batch_destination(session, _Operator(), found[0], chosen)
            else:
                assert chosen is not None
                storage.set_workspace_destination(session, _Operator(), chosen)
            session.commit()
        except LeadReelError as exc:
            raise click.ClickException(str(exc)) from None
        where = "follows the workspace" if chosen is None else storage.describe(session, chosen)
    click.echo(f"{'Batch ' + repr(batch_name) if batch_name else 'Videos'}: {where}")


@storage_group.command("rotate-key")
def rotate_key_command() -> None:
    """Re-encrypt stored secrets with the newest LEADREEL_ENCRYPTION_KEY (the first listed)."""
    from leadreel.services.delivery import drive  # noqa: PLC0415

    settings, opened = _open()
    with opened as session:
        try:
            counts = drive.rotate_keys(session, settings)
        except ValueError as exc:
            raise click.ClickException(
                f"{exc}; list the old key after the new one in LEADREEL_ENCRYPTION_KEY"
            ) from None
        session.commit()
    click.echo(
        f"Re-encrypted {counts['drive_accounts']} Drive token(s) and "
        f"{counts['settings']} secret setting(s) with the newest key."
    )


def register(main: click.Group) -> None:
    """Called by `leadreel.cli` at import."""
    main.add_command(storage_group)
