"""One lead's render: a Video row plus its ``screenshot -> render_video`` task chain.

Why here: the request path (a run prepared inline) and the fan-out task create chains the
same way, a batch of leads at a time, in the caller's transaction. The caller commits, so
a committed Video always has its tasks and a rolled-back batch leaves neither.

Delivery: when the lead's batch (or the workspace) sends videos to a Drive account, the
chain ends with ``upload_video`` (see ``services/delivery``).

Double-clicks: a lead whose video is queued, capturing or rendering is skipped, and both
tasks carry ``dedupe_key=lead:<id>`` so even two concurrent runs enqueue one chain (the
loser's Video row is dropped again).

Samples first: the first N leads of a run render at once (``is_sample``, a higher
priority); the rest get their chain too, but held: the first task's ``run_after`` is far
in the future and its payload says ``held`` and names the sample videos (see ``samples``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.models import Video
from leadreel.services.delivery.storage import Destination, destination_for_batch, upload_step
from leadreel.services.videos.names import (
    ACTIVE_STATUSES,
    HOLD_UNTIL,
    RENDER,
    SAMPLE_PRIORITY,
    SCREENSHOT,
)
from leadreel.tasks.queue import chain, enqueue


@dataclass(frozen=True)
class LeadRef:
    """What a chain needs of a lead (loaded as columns: no company, no JSON)."""

    id: int
    company_id: int | None
    batch_id: int | None


@dataclass(frozen=True)
class RunSpec:
    """What every chain of one run shares."""

    run_id: str
    user_id: int | None
    template_id: int | None
    template_version: int
    spec: dict[str, Any]
    allow_fallback: bool
    refresh: bool
    samples: int  # 0: no samples first


@dataclass
class BatchOutcome:
    started: list[int] = field(default_factory=list)  # video ids rendering now
    held: list[int] = field(default_factory=list)  # video ids waiting for approval
    samples: list[int] = field(default_factory=list)  # of ``started``: the samples
    skipped: list[int] = field(default_factory=list)  # lead ids already being rendered


def active_leads(session: Session, lead_ids: Sequence[int]) -> set[int]:
    """Of ``lead_ids``, those with a queued, capturing or rendering video."""
    busy: set[int] = set()
    for start in range(0, len(lead_ids), 500):
        chunk = list(lead_ids[start : start + 500])
        busy.update(
            session.scalars(
                select(Video.lead_id).where(
                    Video.lead_id.in_(chunk), Video.status.in_(ACTIVE_STATUSES)
                )
            )
        )
    return busy


def create_chains(
    session: Session, run: RunSpec, leads: Sequence[LeadRef], sample_ids: list[int]
) -> BatchOutcome:
    """Video rows and chains for ``leads`` (in order); ``sample_ids`` are the run's samples so
    far: while fewer than ``run.samples``, the next leads become samples, after that they are
    held. The caller commits."""
    out = BatchOutcome()
    busy = active_leads(session, [lead.id for lead in leads])
    destinations: dict[int | None, Destination] = {}
    for batch_id in {lead.batch_id for lead in leads}:
        destinations[batch_id] = destination_for_batch(session, batch_id)
    todo = [lead for lead in leads if lead.id not in busy]
    out.skipped = [lead.id for lead in leads if lead.id in busy]
    slots = max(0, run.samples - len(sample_ids)) if run.samples else 0
    # All Video rows in one flush (one multi-row INSERT), then one chain per lead.
    videos = [
        Video(
            lead_id=lead.id,
            template_id=run.template_id,
            template_version=run.template_version,
            status="queued",
            progress=0.0,
            is_sample=i < slots,
        )
        for i, lead in enumerate(todo)
    ]
    session.add_all(videos)
    session.flush()
    samples = list(sample_ids)
    for lead, video in zip(todo, videos, strict=True):
        held = bool(run.samples) and not video.is_sample
        upload_to = destinations[lead.batch_id].account_id
        if not _enqueue_chain(
            session, run, lead, video, held=held, sample_ids=samples, upload_to=upload_to
        ):
            out.skipped.append(lead.id)
        elif held:
            out.held.append(video.id)
        else:
            out.started.append(video.id)
            if video.is_sample:
                samples.append(video.id)
                out.samples.append(video.id)
    return out


def _enqueue_chain(
    session: Session,
    run: RunSpec,
    lead: LeadRef,
    video: Video,
    *,
    held: bool,
    sample_ids: list[int],
    upload_to: int | None = None,
) -> bool:
    """Enqueue screenshot -> render_video (-> upload_video when the lead's videos go to the
    Drive account ``upload_to``) for one lead; False (and the Video dropped) when a
    concurrent request queued this lead first."""
    render_payload = {
        "video_id": video.id,
        "lead_id": lead.id,
        "spec": run.spec,
        "allow_fallback": run.allow_fallback,
    }
    payload: dict[str, Any] = {
        "video_id": video.id,
        "lead_id": lead.id,
        "company_id": lead.company_id,
        "run": run.run_id,
        "refresh": run.refresh,
    }
    if held:
        payload |= {"held": True, "samples": list(sample_ids)}
    task = enqueue(
        session,
        SCREENSHOT,
        payload,
        dedupe_key=f"lead:{lead.id}",
        priority=SAMPLE_PRIORITY if video.is_sample else None,
        run_after=HOLD_UNTIL if held else None,
        lead_id=lead.id,
        company_id=lead.company_id,
        batch_id=lead.batch_id,
        created_by_id=run.user_id,
        next_task=chain(
            {"type": RENDER, "payload": render_payload, "dedupe_key": f"lead:{lead.id}"},
            *([upload_step(video.id, lead.id, upload_to)] if upload_to else []),
        ),
    )
    if task is None or (task.payload or {}).get("video_id") != video.id:
        session.delete(video)
        session.flush()
        return False
    return True
