"""The ``leadreel`` command: set-up, serving, workers, users and scripting of imports/exports."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import click
from sqlalchemy import select

from leadreel.config import load_settings


def _app():  # type: ignore[no-untyped-def]
    from leadreel.app import create_app

    return create_app()


def _session():  # type: ignore[no-untyped-def]
    from leadreel.extensions import db

    _app()
    return db.new_session()


@click.group()
@click.version_option(package_name="leadreel")
def main() -> None:
    """LeadReel: personalized prospecting videos from any lead file."""


@main.command()
def init() -> None:
    """Create the data dir, migrate the database and seed the core fields."""
    _app()
    click.echo(f"Ready: {load_settings().resolved_database_url()}")


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION."""
    from leadreel import migrate

    migrate.upgrade(load_settings().resolved_database_url(), revision)
    click.echo(f"Database at {revision}.")


@db.command("downgrade")
@click.option("--revision", required=True)
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ("base" empties it)."""
    from leadreel import migrate

    migrate.downgrade(load_settings().resolved_database_url(), revision)
    click.echo(f"Database at {revision}.")


def _start_worker_thread(concurrency: int) -> tuple[threading.Thread, threading.Event] | None:
    try:
        from leadreel.tasks.worker import run_worker
    except ImportError:  # the queue is not installed in this build
        return None
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(load_settings(),),
        kwargs={"concurrency": concurrency, "stop_event": stop, "in_process": True},
        name="leadreel-worker",
        daemon=True,
    )
    thread.start()
    return thread, stop


def _serve(host: str, port: int, threads: int = 8) -> None:
    from waitress import serve

    click.echo(f"LeadReel is running at http://{host}:{port}/  (Ctrl+C stops it)")
    serve(_app(), host=host, port=port, threads=threads, ident="LeadReel")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    """Web server plus one in-process worker: the embedded default."""
    _app()  # migrate before the worker starts
    worker = _start_worker_thread(load_settings().worker_concurrency)
    try:
        _serve(host, port)
    finally:
        if worker:
            worker[1].set()
            worker[0].join(timeout=30)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Web server only (run workers with `leadreel worker`)."""
    _serve(host, port, threads)


@main.command()
@click.option(
    "--concurrency",
    default=None,
    type=int,
    help="Tasks run at once (default: LEADREEL_WORKER_CONCURRENCY).",
)
@click.option("--types", default="", help="Comma-separated task types to run (default: all).")
def worker(concurrency: int | None, types: str) -> None:
    """A worker process that claims and runs background tasks."""
    from leadreel.tasks.worker import run_worker

    _app()
    settings = load_settings()
    run_worker(
        settings,
        concurrency=concurrency or settings.worker_concurrency,
        types=[t.strip() for t in types.split(",") if t.strip()] or None,
    )


@main.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option(
    "--role", type=click.Choice(["admin", "manager", "rep"]), default="rep", show_default=True
)
@click.option("--name", default="")
def users_create(email: str, password: str, role: str, name: str) -> None:
    """Create a user."""
    from leadreel.errors import ValidationError
    from leadreel.services.setup import create_user

    with _session() as session:
        try:
            user = create_user(session, email, password, role, name)
        except ValidationError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
        click.echo(f"Created {user.email} ({user.role}).")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
def users_list(as_json: bool) -> None:
    """List users."""
    from leadreel.models import User

    with _session() as session:
        rows = [
            {"id": u.id, "email": u.email, "role": u.role, "active": u.active}
            for u in session.scalars(select(User).order_by(User.id))
        ]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for r in rows:
        click.echo(
            f"{r['id']:>4}  {r['email']:<40} {r['role']:<8} "
            f"{'active' if r['active'] else 'deactivated'}"
        )


@users.command("set-role")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["admin", "manager", "rep"]), required=True)
def users_set_role(email: str, role: str) -> None:
    """Change a user's role."""
    from leadreel.models import User

    with _session() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no user with email {email}")
        user.role = role
        session.commit()
        click.echo(f"{user.email} is now {role}.")


@main.command()
@click.option("--force", is_flag=True, help="Create the demo batch even when leads exist.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=int,
    help="Port `leadreel run` will serve on: the demo companies' sample sites live there.",
)
def demo(force: bool, port: int) -> None:
    """Create demo users, a demo batch of leads and their sample websites; prints the logins."""
    from leadreel.services.demo import create_demo

    with _session() as session:
        report: dict[str, Any] = create_demo(session, load_settings(), force=force, site_port=port)
        session.commit()
    for line in report["lines"]:
        click.echo(line)


def _register_feature_commands() -> None:
    """Each area owns its commands (leadreel/commands/) and adds them here."""
    from leadreel.commands import assistant, exports, importing, storage, videos

    for module in (importing, exports, videos, assistant, storage):
        module.register(main)


_register_feature_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
