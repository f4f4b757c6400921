"""`leadreel videos prune`: remove render files nothing uses (see :mod:`.files`).

Why a command and not a schedule: deleting files is the one thing here that cannot be
undone, so it runs when an operator asks, and ``--dry-run`` lists first.
"""

from __future__ import annotations

import click


@click.group("videos")
def videos_group() -> None:
    """Maintenance of rendered videos."""


@videos_group.command("prune")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@click.option(
    "--cache-days",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Remove render-cache parts unused for this many days.",
)
def prune_command(dry_run: bool, cache_days: float) -> None:
    """Remove video files no Video row references, old previews and stale cache parts."""
    from leadreel.app import create_app  # noqa: PLC0415 - migrates on first use
    from leadreel.extensions import db  # noqa: PLC0415
    from leadreel.services.videos import files  # noqa: PLC0415

    settings = create_app().config["SETTINGS"]
    with db.new_session() as session:
        report = files.prune(session, settings, dry_run=dry_run, cache_days=cache_days)
    verb = "would remove" if dry_run else "removed"
    for kind, paths in (
        ("file", report.files),
        ("preview", report.previews),
        ("cache", report.cache),
    ):
        for path in paths:
            click.echo(f"{verb} {kind} {path}")
    megabytes = report.bytes / 1_000_000
    click.echo(f"{verb.capitalize()} {report.count} item(s), {megabytes:.1f} MB.")


def register(main: click.Group) -> None:
    """Called by `leadreel.cli` at import."""
    main.add_command(videos_group)
