"""Writing exports: the streaming writer, a recorded export's run, the preview, the history
and its retention (``start.start_export`` records and starts them).

:func:`write_export` is the one writer: the CLI calls it directly, ``run_export`` (in the
request for small exports, in the ``export_leads`` task for large ones) calls it for a
recorded ``Export`` and marks the record done or failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.errors import NotFound, PermissionDenied
from leadreel.models import Export, User, utcnow
from leadreel.services.exports.catalog import load_catalog
from leadreel.services.exports.columns import parse_columns
from leadreel.services.exports.rows import PAGE_ROWS, plan_rows, rows_query, stream_pages
from leadreel.services.exports.writers import check_options, open_sink
from leadreel.services.leads.selection import Selection
from leadreel.services.permissions import Actor, can, require

#: Where share links point when no request tells the server's address (CLI, workers).
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def base_url_for(settings: Settings, request_url: str | None = None) -> str:
    """``LEADREEL_PUBLIC_URL``, else the request's own address, else 127.0.0.1:8000."""
    return (settings.public_url or request_url or DEFAULT_BASE_URL).rstrip("/")


@dataclass(frozen=True)
class ExportOptions:
    format: str = "csv"
    bom: bool = False
    delimiter: str = ","

    def __post_init__(self) -> None:
        check_options(self.format, self.delimiter)


def _filename(export: Export) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", export.template_name).strip("-").lower() or "export"
    return f"leadreel-{slug}-{export.id}.{export.format}"


def download_name(export: Export) -> str:
    return _filename(export)


def export_path(settings: Settings, export: Export) -> Path:
    folder = settings.data_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / _filename(export)


def run_export(
    session: Session,
    settings: Settings,
    export: Export,
    progress: Callable[[float], None] | None = None,
) -> Export:
    """Write a recorded export's file (its user's scope as it is now) and mark it done; commits.

    A failure marks the record failed with the error and re-raises.
    """
    user = session.get(User, export.created_by_id) if export.created_by_id else None
    if user is None or not can(user, "exports.run"):
        export.status, export.error = "failed", "the user who asked for it can no longer export"
        session.commit()
        raise PermissionDenied(export.error)
    export.status = "running"
    session.commit()
    path = export_path(settings, export)
    try:
        count = write_export(
            session,
            path,
            export.columns,
            Selection.from_json(export.selection),
            user,
            ExportOptions(
                export.format, bool(export.options.get("bom")), export.options.get("delimiter", ",")
            ),
            base_url=export.options.get("base_url") or base_url_for(settings),
            progress=(lambda done: progress(done / export.total))
            if progress and export.total
            else None,
        )
    except Exception as exc:
        session.rollback()
        path.unlink(missing_ok=True)
        export.status, export.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        export.finished_at = utcnow()
        session.commit()
        raise
    # End the long read first: on SQLite a read snapshot cannot become a write once another
    # connection (the worker's heartbeat, progress) has committed meanwhile.
    session.commit()
    now = utcnow()
    export.status, export.row_count, export.file_path = "done", count, str(path)
    export.file_size = path.stat().st_size
    export.finished_at = now
    export.expires_at = now + timedelta(days=settings.export_retention_days)
    session.commit()
    return export


def write_export(
    session: Session,
    path: Path,
    columns: Any,
    selection: Selection,
    actor: Actor | None,
    options: ExportOptions | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    progress: Callable[[int], None] | None = None,
    page_rows: int = PAGE_ROWS,
) -> int:
    """Stream the selected rows through the template into ``path``; returns the row count.

    ``actor=None`` exports every lead (the CLI without ``--user``). Rows are read in pages
    of ``page_rows`` from a server-side cursor and written as they come.
    """
    options = options or ExportOptions()
    catalog = load_catalog(session)
    plan = plan_rows(parse_columns(columns, catalog), catalog, base_url)
    query = rows_query(actor, selection, plan)
    sink = open_sink(path, options.format, bom=options.bom, delimiter=options.delimiter)
    count = 0
    try:
        sink.write(plan.headers)
        cells = plan.cells
        for page in stream_pages(session, query, page_rows):
            sink.write_many([cells(r) for r in page])
            count += len(page)
            if progress is not None:
                progress(count)
    finally:
        sink.close()
    return count


def preview(
    session: Session,
    user: Actor,
    columns: Any,
    selection: Selection,
    *,
    base_url: str = DEFAULT_BASE_URL,
    limit: int = 5,
) -> tuple[list[str], list[list[str]]]:
    """Headers and the first ``limit`` rows of the selection (as the file would show them)."""
    from leadreel.services.exports.guard import neutralize  # noqa: PLC0415

    require(user, "exports.run")
    catalog = load_catalog(session)
    plan = plan_rows(parse_columns(columns, catalog), catalog, base_url)
    query: Select[Any] = rows_query(user, selection, plan).limit(max(1, min(limit, 50)))
    rows = [[neutralize(c) for c in plan.cells(r)] for r in session.execute(query)]
    return plan.headers, rows


# ---- history and retention ----------------------------------------------------------------


def visible_exports(session: Session, user: Actor, limit: int = 100) -> list[Export]:
    """The user's own exports (managers and admins see everyone's), newest first."""
    query = select(Export).order_by(Export.id.desc()).limit(limit)
    if not can(user, "exports.manage"):
        query = query.where(Export.created_by_id == user.id)
    return list(session.scalars(query))


def get_export(session: Session, user: Actor, export_id: int) -> Export:
    """An export the user may see; NotFound otherwise (ids do not leak)."""
    export = session.get(Export, export_id)
    if export is None or not (
        can(user, "exports.manage")
        or (can(user, "exports.run") and export.created_by_id == user.id)
    ):
        raise NotFound(f"no export {export_id}")
    return export


def downloadable(export: Export, now: datetime | None = None) -> Path | None:
    """The file of a finished export still kept, else None."""
    if export.status != "done" or not export.file_path:
        return None
    if export.expires_at is not None and _aware(export.expires_at) <= (now or utcnow()):
        return None
    path = Path(export.file_path)
    return path if path.is_file() else None


def _aware(value: datetime) -> datetime:
    from datetime import UTC  # noqa: PLC0415

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def purge_expired(session: Session, now: datetime | None = None) -> int:
    """Delete the files of exports past their retention (the records stay, ``expired``)."""
    now = now or utcnow()
    expired = session.scalars(
        select(Export).where(Export.status == "done", Export.expires_at <= now)
    ).all()
    for export in expired:
        if export.file_path:
            Path(export.file_path).unlink(missing_ok=True)
        export.status, export.file_path = "expired", None
    if expired:
        session.commit()
    return len(expired)
