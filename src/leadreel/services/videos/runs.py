"""Render runs: the request records what to render, one fan-out task creates the chains.

Why: creating 10,000 Video rows and task chains took 10-20 s inside the HTTP request.
Now the request checks what it can check at once (the role, that named leads and batches
are the user's, the count, the template), records a RenderRun and enqueues ONE
``render_fanout`` task, and returns. In the worker the task creates the chains in batches
of ``BATCH_SIZE`` leads (see :mod:`~leadreel.services.videos.chains`), each batch committed
with the run's ``cursor`` (the last lead id it handled):

* idempotent: a retried or rescued task resumes after the cursor, so no lead of the run
  gets a second chain; on PostgreSQL the run row is locked per batch (``FOR UPDATE``), on
  SQLite the batch's ``BEGIN IMMEDIATE`` serialises it;
* scope re-checked: every batch re-runs the selection with the requesting user's
  permissions as they are then (a demoted or deactivated user renders nothing more);
* samples first: the first N leads become samples and the rest are held, as before; the
  run's sample ids carry over from batch to batch (and retry to retry).

The Videos page shows a run as "preparing N renders" until its task marks it ``started``.
``prepare_now`` runs the same batches inline for callers that want the result at once.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from leadreel.errors import NotFound, ValidationError
from leadreel.models import Lead, ProcessingTask, RenderRun, User, Video
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.services.leads import selection as sel
from leadreel.services.leads.selection import Selection
from leadreel.services.permissions import can
from leadreel.services.videos import template_store
from leadreel.services.videos.chains import BatchOutcome, LeadRef, RunSpec, create_chains
from leadreel.services.videos.names import FANOUT
from leadreel.tasks.queue import enqueue

log = logging.getLogger("leadreel.videos.runs")
BATCH_SIZE = 250
MAX_LEADS_PER_RUN = 100_000
MAX_SAMPLES = 100
RECENT = timedelta(minutes=30)


@dataclass
class StartResult:
    """What an inline run created (``prepare_now``)."""

    run_id: str
    started: list[int] = field(default_factory=list)  # video ids rendering now
    held: list[int] = field(default_factory=list)  # video ids waiting for sample approval
    skipped: list[int] = field(default_factory=list)  # lead ids already being rendered

    @property
    def samples(self) -> list[int]:
        return self.started if self.held else []


def template_row(session: Session, template_id: int | None) -> TemplateRow:
    row = (
        template_store.get_template(session, template_id)
        if template_id
        else template_store.get_default(session)
    )
    if row is None:
        raise ValidationError("no video template exists yet; create one first")
    return row


def create_run(
    session: Session,
    user: User,
    selection: Selection,
    template_id: int | None = None,
    *,
    samples: int = 0,
    refresh: bool = False,
    fan_out: bool = True,
) -> RenderRun:
    """Check the request, record the run and (``fan_out``) enqueue its task; the caller commits.

    Raises PermissionDenied for named leads or a batch that are not the user's, and
    ValidationError for an empty or too large selection, a bad sample count or no template.
    """
    sel.check_access(session, user, selection)
    if not 0 <= samples <= MAX_SAMPLES:
        raise ValidationError(f"samples must be between 0 and {MAX_SAMPLES}, got {samples}")
    total = sel.count(session, user, selection, limit=MAX_LEADS_PER_RUN + 1)
    if total > MAX_LEADS_PER_RUN:
        raise ValidationError(
            f"more than {MAX_LEADS_PER_RUN:,} leads selected; narrow the selection"
        )
    if total == 0:
        raise ValidationError("no leads match this selection")
    row = template_row(session, template_id)
    model = template_store.to_model(row)
    if not selection.lead_ids:  # leads added after the click are not part of the run
        newest = session.scalar(select(func.max(Lead.id)))
        selection = dataclasses.replace(selection, max_lead_id=newest)
    run = RenderRun(
        id=uuid.uuid4().hex[:16],
        created_by_id=user.id,
        template_id=row.id,
        template_version=row.version,
        spec=model.model_dump(mode="json"),
        allow_fallback=row.allow_fallback,
        selection=selection.to_json(),
        samples=samples,
        refresh=refresh,
        status="preparing",
        total=total,
        sample_video_ids=[],
    )
    session.add(run)
    session.flush()
    if fan_out:
        task = enqueue(
            session, FANOUT, {"run": run.id}, dedupe_key=f"run:{run.id}", created_by_id=user.id
        )
        run.task_id = task.id if task is not None else None
    return run


def _spec(run: RenderRun) -> RunSpec:
    return RunSpec(
        run_id=run.id,
        user_id=run.created_by_id,
        template_id=run.template_id,
        template_version=run.template_version,
        spec=run.spec,
        allow_fallback=run.allow_fallback,
        refresh=run.refresh,
        samples=run.samples,
    )


def advance(
    session: Session, run: RenderRun, user: User, *, limit: int | None = None
) -> BatchOutcome | None:
    """Create the chains of the run's next ``limit`` (``BATCH_SIZE``) leads after
    ``run.cursor``, with the user's scope as it is now. Returns None, and marks the run
    started, when no lead is left. The caller commits."""
    limit = limit or BATCH_SIZE
    selection = Selection.from_json(run.selection)
    columns = (Lead.id, Lead.company_id, Lead.batch_id)
    if selection.lead_ids:
        ids = [i for i in sorted(set(selection.lead_ids)) if i > run.cursor][:limit]
        if not ids:
            return _finish(session, run)
        part = dataclasses.replace(selection, lead_ids=ids)
        rows = session.execute(sel.lead_query(user, part, *columns).order_by(Lead.id)).all()
        cursor = ids[-1]
    else:
        query = sel.lead_query(user, selection, *columns).where(Lead.id > run.cursor)
        rows = session.execute(query.order_by(Lead.id).limit(limit)).all()
        if not rows:
            return _finish(session, run)
        cursor = rows[-1].id
    leads = [LeadRef(r.id, r.company_id, r.batch_id) for r in rows]
    out = create_chains(session, _spec(run), leads, [int(i) for i in run.sample_video_ids])
    run.cursor = cursor
    run.processed += len(leads)
    run.started += len(out.started)
    run.held += len(out.held)
    run.skipped += len(out.skipped)
    if out.samples:
        run.sample_video_ids = [*run.sample_video_ids, *out.samples]
    return out


def _finish(session: Session, run: RenderRun) -> None:
    """All leads handled. Samples without a held rest are just renders (as before)."""
    if not run.held and run.sample_video_ids:
        ids = [int(i) for i in run.sample_video_ids]
        session.execute(update(Video).where(Video.id.in_(ids)).values(is_sample=False))
        run.sample_video_ids = []
    run.status = "started"
    run.finished_at = datetime.now(UTC)
    return None


def prepare_now(
    session: Session,
    user: User,
    selection: Selection,
    template_id: int | None = None,
    *,
    samples: int = 0,
    refresh: bool = False,
) -> StartResult:
    """Record a run and create all its chains in the caller's transaction (no fan-out task);
    the caller commits. For scripts and small selections that want the video ids back."""
    run = create_run(
        session, user, selection, template_id, samples=samples, refresh=refresh, fan_out=False
    )
    result = StartResult(run_id=run.id)
    while (out := advance(session, run, user)) is not None:
        result.started += out.started
        result.held += out.held
        result.skipped += out.skipped
    return result


# -- what the fan-out task calls (its body is in tasks.py) -----------------------------------


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One batch's transaction; ``BEGIN IMMEDIATE`` on SQLite (it reads, then writes)."""
    with Session(engine, expire_on_commit=False) as session:
        if engine.dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        yield session


def mark_failed(engine: Engine, run_id: str, message: str) -> None:
    """A run whose fan-out gave up: the Videos page shows why."""
    with write_session(engine) as session:
        session.execute(
            update(RenderRun)
            .where(RenderRun.id == run_id, RenderRun.status == "preparing")
            .values(status="failed", error=message, finished_at=datetime.now(UTC))
        )
        session.commit()


# -- read side ---------------------------------------------------------------------------------


def visible_runs(
    session: Session, user: User, *, now: datetime | None = None, limit: int = 5
) -> list[RenderRun]:
    """Runs to show on the Videos page: those preparing and those started in the last half
    hour, the user's own (managers and admins: everyone's)."""
    since = (now or datetime.now(UTC)) - RECENT
    query = select(RenderRun).where(
        or_(RenderRun.status == "preparing", RenderRun.created_at >= since)
    )
    if not can(user, "leads.view_all"):
        query = query.where(RenderRun.created_by_id == user.id)
    return list(session.scalars(query.order_by(RenderRun.created_at.desc()).limit(limit)))


def get_runs(session: Session, user: User, run_ids: Sequence[str]) -> list[RenderRun]:
    """The runs of ``run_ids`` the user may see (others are left out, ids do not leak)."""
    if not run_ids:
        return []
    runs = session.scalars(select(RenderRun).where(RenderRun.id.in_(list(run_ids))))
    return [r for r in runs if r.created_by_id == user.id or can(user, "leads.view_all")]


def get_run(session: Session, user: User, run_id: str) -> RenderRun:
    runs = get_runs(session, user, [run_id])
    if not runs:
        raise NotFound(f"run {run_id} not found")
    return runs[0]


def reconcile(session: Session, runs: Sequence[RenderRun]) -> int:
    """Fail runs left preparing after their fan-out task stopped (failed, cancelled, gone)."""
    stuck = 0
    for run in runs:
        if run.status != "preparing" or run.task_id is None:
            continue
        task = session.get(ProcessingTask, run.task_id)
        if task is not None and task.status in ("pending", "running"):
            continue
        reason = "task deleted"
        if task is not None:
            reason = (task.last_error or task.status).strip().splitlines()[0]
        run.status, run.finished_at = "failed", datetime.now(UTC)
        run.error = f"stopped while preparing: {reason}"[:500]
        stuck += 1
    if stuck:
        session.flush()
    return stuck


def run_json(run: RenderRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "total": run.total,
        "processed": run.processed,
        "started": run.started,
        "held": run.held,
        "skipped": run.skipped,
        "error": run.error,
    }
