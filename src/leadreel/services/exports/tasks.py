"""The ``export_leads`` task type: writes a large export in a worker, with progress.

Why the body is thin: ``runner.run_export`` does the work and records the outcome on the
``Export`` row (the Exports page reads progress from the task, the result from the row).
A retry rewrites the file from the start: a partial file is never offered for download.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadreel.config import Settings, load_settings
from leadreel.errors import PermissionDenied, ValidationError
from leadreel.models import Export
from leadreel.services.exports.runner import run_export
from leadreel.tasks.context import TaskContext
from leadreel.tasks.registry import PRIORITY_EXPORT, task_type
from leadreel.tasks.retry import PermanentError

TASK_TYPE = "export_leads"


@task_type(
    TASK_TYPE,
    priority=PRIORITY_EXPORT,
    max_attempts=2,
    timeout=3 * 3600.0,
    permanent_errors=(PermissionDenied, ValidationError),
)
def export_leads(ctx: TaskContext) -> dict[str, Any]:
    """Write the export named in the payload (``{"export_id": id}``); returns its row count."""
    settings: Settings = ctx.settings if isinstance(ctx.settings, Settings) else load_settings()
    with Session(ctx.engine, expire_on_commit=False) as session:
        export = session.get(Export, int(ctx.payload["export_id"]))
        if export is None:
            raise PermanentError(f"export {ctx.payload['export_id']} no longer exists")
        if export.status == "done":
            return {"rows": export.row_count}  # a duplicate run of a finished export
        run_export(session, settings, export, progress=lambda f: ctx.set_progress(min(f, 1.0)))
        return {"rows": export.row_count, "export_id": export.id}
