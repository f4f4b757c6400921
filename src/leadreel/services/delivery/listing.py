"""Videos as plain records, for ``leadreel videos list/render --json`` and the exports.

Why here: a script, an export and the assistant all want the same facts about a video
(its lead, status, where the prospect watches it, how often they did), with links built
the one way :mod:`.links` builds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadreel.models import Company, ImportBatch, Lead, User, Video
from leadreel.services.delivery import links
from leadreel.services.permissions import scope_leads

#: Scripts have no request to learn the server's address from.
FALLBACK_BASE = "http://127.0.0.1:8000"


def base_url(public_url: str) -> str:
    return (public_url or FALLBACK_BASE).rstrip("/")


def video_record(video: Video, lead: Lead | None, company: str | None, base: str) -> dict[str, Any]:
    name = lead.display_name if lead is not None else ""
    share = links.share_url(base, video.share_token) if video.share_token else None
    return {
        "id": video.id,
        "lead_id": video.lead_id,
        "lead": name,
        "email": lead.email if lead is not None else None,
        "company": company,
        "status": video.status,
        "progress": round(video.progress or 0, 3),
        "share_url": share,
        "share_enabled": bool(video.share_enabled) if share else None,
        "drive_url": video.drive_url,
        "views": video.view_count,
        "plays": video.play_count,
        "first_viewed_at": video.first_viewed_at.isoformat() if video.first_viewed_at else None,
        "last_viewed_at": video.last_viewed_at.isoformat() if video.last_viewed_at else None,
        "error": video.error,
    }


def list_videos(
    session: Session,
    user: User,
    base: str,
    *,
    batch: ImportBatch | None = None,
    video_ids: Iterable[int] | None = None,
    latest_only: bool = False,
) -> list[dict[str, Any]]:
    """Every video the user may see (queued ones and replaced renders included), by lead
    then age; ``latest_only``: each lead's latest; ``video_ids``: exactly those."""
    query = (
        select(Video, Lead, Company.name)
        .join(Lead, Lead.id == Video.lead_id)
        .outerjoin(Company, Company.id == Lead.company_id)
    )
    query = scope_leads(query, user)
    if video_ids is not None:
        query = query.where(Video.id.in_(sorted(set(video_ids))))
    elif latest_only:
        latest = select(func.max(Video.id)).group_by(Video.lead_id)
        query = query.where(Video.id.in_(latest))
    if batch is not None:
        query = query.where(Lead.batch_id == batch.id)
    rows = session.execute(query.order_by(Lead.id, Video.id)).all()
    return [video_record(video, lead, company, base) for video, lead, company in rows]
