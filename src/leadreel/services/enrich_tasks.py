"""The `enrich_leads` task: runs after `import_csv` when an AI key is configured."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from leadreel.config import Settings, load_settings
from leadreel.models import ImportBatch
from leadreel.services.enrich import enrich_batch
from leadreel.tasks.context import TaskContext
from leadreel.tasks.registry import PRIORITY_IMPORT, task_type
from leadreel.tasks.retry import PermanentError

TASK_TYPE = "enrich_leads"


@task_type(TASK_TYPE, priority=PRIORITY_IMPORT + 1, max_attempts=2, timeout=3600.0)
def enrich_leads(ctx: TaskContext) -> dict[str, Any]:
    """Fill empty fields of a finished batch's leads from their free text."""
    from leadreel.services.importing.importer import ai_provider

    settings: Settings = ctx.settings if isinstance(ctx.settings, Settings) else load_settings()
    provider = ai_provider(settings)
    if provider is None:
        return {"skipped": "no AI provider configured"}
    try:
        with Session(ctx.engine, expire_on_commit=False) as session:
            batch = session.get(ImportBatch, int(ctx.payload["batch_id"]))
            if batch is None or batch.status != "done":
                raise PermanentError(f"batch {ctx.payload['batch_id']} is not a finished import")
            return enrich_batch(session, settings, batch, provider).as_counts()
    finally:
        getattr(provider, "close", lambda: None)()
