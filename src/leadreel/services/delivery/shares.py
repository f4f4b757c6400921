"""Share links of rendered videos: the token a video gets, who takes it over, who may
switch it off, and what the prospect's page shows.

Why the token moves: a salesperson sends the link once. When the lead's video is rendered
again, the new Video row takes over the token (and the link's counters and visits) from
the one it supersedes, in the render's own transaction, so the sent link keeps working and
now plays the new video. A video that has no share yet gets a fresh token when its render
succeeds (``assign_token``, called by the ``render_video`` task).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pydantic
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from leadreel.errors import NotFound
from leadreel.models import Lead, ShareVisit, User, Video
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.render.templates import DEFAULT_TEMPLATE, ShareSettings, render_text
from leadreel.services.delivery import links
from leadreel.services.permissions import can
from leadreel.services.videos.names import ACTIVE_STATUSES
from leadreel.services.videos.variables import lead_variables

DONE_STATUSES = ("rendered", "uploading", "ready")
_CARRIED = ("share_enabled", "view_count", "play_count", "first_viewed_at", "last_viewed_at")


def assign_token(session: Session, lead_id: int, video_id: int) -> str:
    """Give ``video_id`` the lead's share token (taken from its newest older video that has
    one, with that link's counters and visits), or a new token. Runs in the caller's
    transaction; returns the token."""
    current = session.scalar(select(Video.share_token).where(Video.id == video_id))
    if current:
        return current
    old = session.execute(
        select(Video.id, Video.share_token, *(getattr(Video, c) for c in _CARRIED))
        .where(
            Video.lead_id == lead_id,
            Video.id != video_id,
            Video.share_token.is_not(None),
            Video.status.not_in(ACTIVE_STATUSES),
        )
        .order_by(Video.id.desc())
        .limit(1)
    ).first()
    if old is None:
        token = links.new_share_token()
        session.execute(update(Video).where(Video.id == video_id).values(share_token=token))
        return token
    carried = {c: getattr(old, c) for c in _CARRIED}
    # Free the unique token first, then hand it (and the link's history) to the new row.
    session.execute(update(Video).where(Video.id == old.id).values(share_token=None))
    session.execute(
        update(Video).where(Video.id == video_id).values(share_token=old.share_token, **carried)
    )
    session.execute(
        update(ShareVisit).where(ShareVisit.video_id == old.id).values(video_id=video_id)
    )
    return str(old.share_token)


def find_shared(session: Session, token: str) -> Video | None:
    """The video a prospect's link names, if the link is on and the video is playable."""
    if not token or len(token) > 64:
        return None
    video = session.scalar(select(Video).where(Video.share_token == token))
    if video is None or not video.share_enabled or video.status not in DONE_STATUSES:
        return None
    if not video.file_path:
        return None
    return video


def set_enabled(session: Session, user: User, video_id: int, enabled: bool) -> Video:
    """Switch a video's link on or off (the lead's owner, managers and admins); the caller
    commits. NotFound for a video the user may not see, so ids do not leak."""
    video = session.get(Video, video_id)
    lead = session.get(Lead, video.lead_id) if video else None
    if video is None or lead is None or not can(user, "videos.share", lead):
        raise NotFound(f"video {video_id} not found")
    if not video.share_token:
        raise NotFound(f"video {video_id} has no share link yet")
    video.share_enabled = enabled
    return video


@dataclass(frozen=True)
class SharePage:
    """Everything the public page shows: texts already filled with the lead's values."""

    headline: str
    message: str
    cta_label: str
    cta_url: str
    sender: str
    company: str


def _settings_for(session: Session, video: Video) -> ShareSettings:
    row = session.get(TemplateRow, video.template_id) if video.template_id else None
    if row is not None:
        try:
            return ShareSettings.model_validate((row.spec or {}).get("share") or {})
        except pydantic.ValidationError:
            pass
    return DEFAULT_TEMPLATE.share


def cta_link(template: str, variables: dict[str, str]) -> str:
    """The button's URL: values are percent-encoded, unless the whole URL is one variable
    (a lead's own ``{booking_url}``); anything but http(s)/mailto gives no button."""
    text = template.strip()
    whole = text.startswith("{") and text.endswith("}") and text.count("{") == 1
    values = variables if whole else {k: quote(v, safe="") for k, v in variables.items()}
    url = render_text(text, values).strip()
    return url if url.lower().startswith(("https://", "http://", "mailto:")) else ""


def page_for(session: Session, video: Video) -> SharePage:
    lead = session.get(Lead, video.lead_id)
    variables = lead_variables(lead) if lead is not None else {}
    settings = _settings_for(session, video)
    owner = session.get(User, lead.owner_id) if lead is not None and lead.owner_id else None
    label = render_text(settings.cta_label, variables).strip()
    return SharePage(
        headline=render_text(settings.headline, variables).strip() or "A video for you",
        message=render_text(settings.message, variables).strip(),
        cta_label=label,
        cta_url=cta_link(settings.cta_url, variables) if label else "",
        sender=(owner.name or "").strip() if owner is not None else "",
        company=variables.get("company_name", ""),
    )


def media_path(data_dir: Path, video: Video, kind: str) -> Path | None:
    """A file of the shared video, only if it lies inside the data dir."""
    column = {"video": "file_path", "thumbnail": "thumbnail_path", "gif": "preview_path"}[kind]
    value = getattr(video, column)
    if not value:
        return None
    path = Path(value)
    try:
        if not path.resolve().is_relative_to(data_dir.resolve()) or not path.is_file():
            return None
    except OSError:
        return None
    return path
