"""``leadreel export``: leads to a CSV or XLSX file through an export template.

Why it writes directly (no task, no record): a script asked for this file now. Share
links use ``LEADREEL_PUBLIC_URL`` or, when unset, http://127.0.0.1:8000 (the CLI knows
no request address); the command says which.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from leadreel.errors import LeadReelError


@click.command("export")
@click.option("--template", default="core", show_default=True, help="Export template name.")
@click.option("--batch", "batch_name", default=None, help="Only the leads of this import batch.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="File format (default: from --out's extension, else csv).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write.",
)
@click.option("--bom", is_flag=True, help="Start a CSV with a UTF-8 byte-order mark (for Excel).")
@click.option(
    "--delimiter",
    type=click.Choice(["comma", "semicolon", "tab", "pipe"]),
    default="comma",
    show_default=True,
    help="CSV delimiter.",
)
@click.option("--user", "user_email", default=None, help="Export as this user (a rep: own leads).")
def export_command(
    template: str,
    batch_name: str | None,
    fmt: str | None,
    out: Path,
    bom: bool,
    delimiter: str,
    user_email: str | None,
) -> None:
    """Write leads to a CSV/XLSX file, one column per column of the template."""
    from leadreel.app import create_app  # noqa: PLC0415 - migrates on first use
    from leadreel.extensions import db  # noqa: PLC0415
    from leadreel.models import ImportBatch, User  # noqa: PLC0415
    from leadreel.services.exports.runner import (  # noqa: PLC0415
        ExportOptions,
        base_url_for,
        write_export,
    )
    from leadreel.services.exports.templates import find_template  # noqa: PLC0415
    from leadreel.services.leads.selection import Selection  # noqa: PLC0415

    chosen = fmt or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    sep = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}[delimiter]
    settings = create_app().config["SETTINGS"]
    with db.new_session() as session:
        try:
            found = find_template(session, template)
            user = None
            if user_email:
                user = session.scalar(select(User).where(User.email == user_email.strip().lower()))
                if user is None:
                    raise click.ClickException(f"no user with email {user_email}")
            selection = Selection(everything=True)
            if batch_name:
                batch = session.scalar(select(ImportBatch).where(ImportBatch.name == batch_name))
                if batch is None:
                    raise click.ClickException(f"no import batch named {batch_name!r}")
                selection = Selection(batch_id=batch.id)
            base_url = base_url_for(settings)
            count = write_export(
                session,
                out,
                found.columns,
                selection,
                user,
                ExportOptions(chosen, bom, sep),
                base_url=base_url,
            )
        except (LeadReelError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
    if any(
        c.get("field", "").startswith("video_") or "{video_" in c.get("format", "")
        for c in found.columns
    ):
        click.echo(f"share links use {base_url} (set LEADREEL_PUBLIC_URL to change it)", err=True)
    click.echo(f"{count} leads written to {out}")


def register(main: click.Group) -> None:
    """Called by `leadreel.cli` at import."""
    main.add_command(export_command)
