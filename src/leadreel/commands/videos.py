"""`leadreel videos render | list | prune`: scripting and maintenance of rendered videos.

``render`` queues renders as the Videos page does (same checks, same chains; it acts as
the first admin unless ``--as`` names a user) and with ``--wait`` runs them in this
process (another running worker helps) until every video is done, with a progress bar on
a terminal. ``list`` prints each lead's latest video with its share link and views.

Why ``prune`` is a command and not a schedule: deleting files is the one thing here that
cannot be undone, so it runs when an operator asks, and ``--dry-run`` lists first.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import click

VIDEO_TASK_TYPES = ("render_fanout", "screenshot", "render_video")


@click.group("videos")
def videos_group() -> None:
    """Render, list and maintain videos."""


def _print_videos(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No videos.")
        return
    for r in rows:
        link = r["share_url"] or "-"
        if r["share_url"] and r["share_enabled"] is False:
            link += " (off)"
        click.echo(
            f"{r['id']:>6}  lead {r['lead_id']:<6} {r['status']:<10} "
            f"views {r['views']:<4} plays {r['plays']:<4} {link}"
            + (f"  drive: {r['drive_url']}" if r["drive_url"] else "")
            + (f"  error: {r['error']}" if r["status"] == "failed" and r["error"] else "")
        )


def _run_until_done(app: Any, video_ids: list[int], show_bar: bool, timeout: float) -> None:
    """Run a worker thread for video tasks until none of ``video_ids`` is active."""
    from leadreel.extensions import db  # noqa: PLC0415
    from leadreel.services.videos import scripting  # noqa: PLC0415
    from leadreel.tasks.worker import Worker  # noqa: PLC0415

    settings = app.config["SETTINGS"]
    worker = Worker(
        db.engine,
        types=list(VIDEO_TASK_TYPES),
        settings=settings,
        concurrency=settings.worker_concurrency,
        poll_interval=0.1,
        listen=False,
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="cli-worker", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    bar = click.progressbar(length=1000, label="Rendering", file=sys.stderr) if show_bar else None
    shown = 0
    try:
        while True:
            with db.new_session() as session:
                active, fraction = scripting.progress(session, video_ids)
            if bar is not None:
                target = int(fraction * 1000)
                bar.update(max(0, target - shown))
                shown = max(shown, target)
            if not active:
                break
            if time.monotonic() > deadline:
                raise click.ClickException(f"{active} video(s) still rendering after {timeout:g}s")
            time.sleep(0.5)
    finally:
        if bar is not None:
            bar.render_finish()
        stop.set()
        thread.join(60)


@videos_group.command("render")
@click.option("--lead", "lead_ids", multiple=True, type=int, help="A lead id (repeatable).")
@click.option("--batch", default=None, help="Every lead of this import batch (name or id).")
@click.option("--all", "everything", is_flag=True, help="Every lead.")
@click.option("--template", default=None, help="Template name (default: the default template).")
@click.option("--wait", is_flag=True, help="Run the renders here and wait for them.")
@click.option("--json", "as_json", is_flag=True, help="Print the videos as JSON objects.")
@click.option("--as", "as_email", default=None, help="Act as this user (default: first admin).")
@click.option("--timeout", default=3600.0, show_default=True, help="Seconds --wait waits.")
def render_command(
    lead_ids: tuple[int, ...],
    batch: str | None,
    everything: bool,
    template: str | None,
    wait: bool,
    as_json: bool,
    as_email: str | None,
    timeout: float,
) -> None:
    """Queue renders (--lead ID ... | --batch NAME | --all), as the Videos page does."""
    from leadreel.app import create_app  # noqa: PLC0415 - migrates on first use
    from leadreel.errors import LeadReelError  # noqa: PLC0415
    from leadreel.extensions import db  # noqa: PLC0415
    from leadreel.services.delivery import listing  # noqa: PLC0415
    from leadreel.services.videos import pipeline, scripting  # noqa: PLC0415

    app = create_app()
    settings = app.config["SETTINGS"]
    with app.app_context():
        session = db.session
        try:
            user = scripting.acting_user(session, as_email)
            selection = scripting.selection_for(session, lead_ids, batch, everything)
            template_id = scripting.find_template(session, template)
            result = pipeline.start_renders(session, user, selection, template_id)
            session.commit()
        except LeadReelError as exc:
            session.rollback()
            raise click.ClickException(str(exc)) from exc
        video_ids = [*result.started, *result.held]
        if result.skipped and not as_json:
            click.echo(f"{len(result.skipped)} lead(s) skipped: already rendering.", err=True)
        if wait and video_ids:
            _run_until_done(app, video_ids, sys.stderr.isatty() and not as_json, timeout)
        session.expire_all()
        rows = listing.list_videos(
            session, user, listing.base_url(settings.public_url), video_ids=video_ids
        )
    if not as_json:
        click.echo(f"{len(video_ids)} video(s) {'rendered' if wait else 'queued'}.")
    _print_videos(rows, as_json)
    if wait and any(r["status"] == "failed" for r in rows):
        sys.exit(1)


@videos_group.command("list")
@click.option("--batch", default=None, help="Only leads of this import batch (name or id).")
@click.option("--json", "as_json", is_flag=True, help="A JSON list of objects.")
@click.option("--latest", is_flag=True, help="Only each lead's latest video.")
@click.option("--as", "as_email", default=None, help="See as this user (default: first admin).")
def list_command(batch: str | None, as_json: bool, latest: bool, as_email: str | None) -> None:
    """Every video (queued and replaced ones too): status, share URL, Drive link, views."""
    from leadreel.app import create_app  # noqa: PLC0415
    from leadreel.errors import LeadReelError  # noqa: PLC0415
    from leadreel.extensions import db  # noqa: PLC0415
    from leadreel.services.delivery import listing  # noqa: PLC0415
    from leadreel.services.videos import scripting  # noqa: PLC0415

    app = create_app()
    settings = app.config["SETTINGS"]
    with app.app_context():
        try:
            user = scripting.acting_user(db.session, as_email)
            found = scripting.find_batch(db.session, batch) if batch else None
        except LeadReelError as exc:
            raise click.ClickException(str(exc)) from exc
        rows = listing.list_videos(
            db.session,
            user,
            listing.base_url(settings.public_url),
            batch=found,
            latest_only=latest,
        )
    _print_videos(rows, as_json)


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
