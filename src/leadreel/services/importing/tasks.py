"""The `import_csv` task type: runs a confirmed import batch in a worker.

Why the body is thin: everything an import does lives in `batch.run_batch`, which
commits per chunk and records the last committed line in the batch. A retried attempt
(after a crash or a lost worker) therefore resumes after that line instead of
importing rows twice. A file that cannot be read is a permanent failure (the batch
says why); anything else is retried by the queue's policy and, on the last attempt,
marks the batch failed with the error, keeping what was committed undoable.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadreel.config import Settings, load_settings
from leadreel.models import ImportBatch, User
from leadreel.services.importing.batch import run_batch
from leadreel.services.importing.parsing import ImportFileError
from leadreel.tasks.context import TaskCancelled, TaskContext
from leadreel.tasks.registry import PRIORITY_IMPORT, task_type
from leadreel.tasks.retry import PermanentError

TASK_TYPE = "import_csv"


@task_type(
    TASK_TYPE,
    priority=PRIORITY_IMPORT,
    max_attempts=3,
    timeout=3600.0,
    permanent_errors=(ImportFileError,),
)
def import_csv(ctx: TaskContext) -> dict[str, Any]:
    """Import the batch named in the payload (`{"batch_id": id}`) and return its counts."""
    settings: Settings = ctx.settings if isinstance(ctx.settings, Settings) else load_settings()
    with Session(ctx.engine, expire_on_commit=False) as session:
        batch = session.get(ImportBatch, int(ctx.payload["batch_id"]))
        if batch is None:
            raise PermanentError(f"import batch {ctx.payload['batch_id']} no longer exists")
        if batch.status in ("done", "undone"):
            return dict(batch.counts or {})  # a duplicate run of a finished batch
        user = session.get(User, batch.owner_id) if batch.owner_id else None
        try:
            return run_batch(
                session, settings, batch, user=user, progress=lambda f: ctx.set_progress(f)
            )
        except (ImportFileError, TaskCancelled):
            raise
        except Exception as exc:
            session.rollback()
            if ctx.attempt >= ctx.task.max_attempts:
                batch.status = "failed"
                batch.error_message = f"import stopped: {type(exc).__name__}: {exc}"[:2000]
                session.commit()
            raise
