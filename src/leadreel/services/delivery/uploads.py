"""Start Drive uploads for a selection of leads (the Videos page, the assistant, the overview).

Why a function over a Selection: "upload these" must reach exactly the leads the user sees
and may act on, like "render these" does (``videos/selection.py``). Each selected lead's
latest rendered video gets one ``upload_video`` task (``dedupe_key=upload:lead:<id>``, so a
double click queues one), to the given account or else to where its batch's videos go.
The caller commits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadreel.errors import ValidationError
from leadreel.models import DriveAccount, Lead, User, Video
from leadreel.services.delivery.storage import Destination, destination_for_batch, upload_step
from leadreel.services.leads.selection import Selection, check_access, lead_query
from leadreel.services.permissions import require
from leadreel.tasks.queue import enqueue

UPLOADABLE = ("rendered", "ready")
_CHUNK = 1000


@dataclass
class UploadOutcome:
    queued: list[int] = field(default_factory=list)  # video ids
    local_only: list[int] = field(default_factory=list)  # lead ids whose destination is local
    not_rendered: list[int] = field(default_factory=list)  # lead ids without a rendered video

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def start_uploads(
    session: Session, user: User, selection: Selection, *, account_id: int | None = None
) -> UploadOutcome:
    """Queue ``upload_video`` for the latest rendered video of each selected lead.

    ``account_id`` sends them all to that account; without it each lead's batch decides
    (``storage.destination_for_batch``) and leads whose videos stay local are listed in
    ``local_only``. Permission: ``uploads.start`` plus access to every named lead/batch.
    """
    require(user, "uploads.start")
    check_access(session, user, selection)
    forced: Destination | None = None
    if account_id is not None:
        account = session.get(DriveAccount, account_id)
        if account is None or account.status == "disconnected":
            raise ValidationError("that Drive account is not connected")
        forced = Destination(account_id)
    out = UploadOutcome()
    destinations: dict[int | None, Destination] = {}
    rows = session.execute(lead_query(user, selection, Lead.id, Lead.batch_id).order_by(Lead.id))
    leads = [(r[0], r[1]) for r in rows]
    for start in range(0, len(leads), _CHUNK):
        chunk = leads[start : start + _CHUNK]
        latest = dict(
            session.execute(
                select(Video.lead_id, func.max(Video.id))
                .where(Video.lead_id.in_([lead_id for lead_id, _ in chunk]))
                .group_by(Video.lead_id)
            ).all()
        )
        videos = {
            v.lead_id: v
            for v in session.scalars(select(Video).where(Video.id.in_(list(latest.values()))))
        }
        for lead_id, batch_id in chunk:
            video = videos.get(lead_id)
            if video is None or video.status not in UPLOADABLE or not video.file_path:
                out.not_rendered.append(lead_id)
                continue
            if forced is None and batch_id not in destinations:
                destinations[batch_id] = destination_for_batch(session, batch_id)
            destination = forced or destinations[batch_id]
            if destination.account_id is None:
                out.local_only.append(lead_id)
                continue
            step = upload_step(video.id, lead_id, destination.account_id)
            enqueue(
                session,
                step["type"],
                step["payload"],
                dedupe_key=step["dedupe_key"],
                lead_id=lead_id,
                batch_id=batch_id,
                created_by_id=user.id,
            )
            out.queued.append(video.id)
    if out.queued:
        for start in range(0, len(out.queued), _CHUNK):
            session.execute(
                update(Video)
                .where(Video.id.in_(out.queued[start : start + _CHUNK]))
                .values(upload_status="pending", upload_error=None)
            )
    return out
