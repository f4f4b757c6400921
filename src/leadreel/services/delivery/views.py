"""View tracking for share pages: opens, plays, progress and CTA clicks, minus the robots.

Why opens are not views: mail security gateways (SafeLinks, Proofpoint, Mimecast,
Barracuda) and chat apps (Slack, WhatsApp, Teams...) fetch every link they see, often
within seconds of sending, so counting page loads would tell the salesperson "they
watched!" when nobody did. So:

* a HEAD request or a known scanner/unfurl user agent is stored as a ``prefetch`` visit,
  with the reason, and never counted;
* any other open is stored as ``open`` and handed a visit key; it becomes a ``view`` only
  when the page's own script reports back with that key (``record_event``). An open whose
  script never reported is shown as prefetched too.

Bounded on purpose, since the endpoints are public: at most ``MAX_OPENS_PER_HOUR``
stored opens per video per hour (more are served but not stored), at most
``MAX_EVENTS_PER_VISIT`` events per visit, and events only for visits of the last day.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadreel.models import ShareEvent, ShareVisit, Video, utcnow

MAX_OPENS_PER_HOUR = 300
MAX_EVENTS_PER_VISIT = 40
VISIT_TTL = timedelta(days=1)
PROGRESS_MARKS = (25, 50, 75, 100)

#: Substrings (case-insensitive) of user agents that fetch links without a person.
SCANNER_AGENTS: tuple[str, ...] = (
    "slackbot",
    "slack-imgproxy",
    "facebookexternalhit",
    "facebot",
    "twitterbot",
    "linkedinbot",
    "googlebot",
    "google-inspectiontool",
    "googleimageproxy",
    "bingbot",
    "bingpreview",
    "msnbot",
    "yandex",
    "baiduspider",
    "duckduckbot",
    "applebot",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "skypeuripreview",
    "microsoft office",
    "ms office",
    "ms-office",
    "msoffice",
    "outlook",
    "safelinks",
    "microsoftpreview",
    "teams",
    "proofpoint",
    "mimecast",
    "barracuda",
    "symantec",
    "forcepoint",
    "trendmicro",
    "zscaler",
    "cisco",
    "ironport",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "curl/",
    "wget",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "headlesschrome",
    "phantomjs",
    "embedly",
    "iframely",
    "pinterest",
    "redditbot",
    "vkshare",
    "snapchat",
    "viber",
    "line/",
    "kakaotalk",
    "mattermost",
    "rocket.chat",
    "zoominfobot",
    "crawler",
    "spider",
    "bot/",
    "bot;",
    "preview",
)
_BOTLIKE = re.compile(r"\b[a-z0-9_-]*bot\b", re.IGNORECASE)


def prefetch_reason(method: str, user_agent: str) -> str | None:
    """Why this request is not a person opening the page, or None."""
    if method.upper() == "HEAD":
        return "HEAD request"
    agent = (user_agent or "").strip()
    if not agent:
        return "no user agent"
    lowered = agent.lower()
    for needle in SCANNER_AGENTS:
        if needle in lowered:
            return f"scanner: {needle.strip('/;')}"
    if _BOTLIKE.search(agent):
        return "scanner: bot"
    return None


def record_open(
    session: Session, video: Video, *, method: str, user_agent: str, client_ip: str
) -> ShareVisit | None:
    """Store one page open (the caller commits); None when the hourly bound is reached."""
    since = utcnow() - timedelta(hours=1)
    recent = session.scalar(
        select(func.count(ShareVisit.id)).where(
            ShareVisit.video_id == video.id, ShareVisit.created_at >= since
        )
    )
    if (recent or 0) >= MAX_OPENS_PER_HOUR:
        return None
    reason = prefetch_reason(method, user_agent)
    visit = ShareVisit(
        video_id=video.id,
        key=secrets.token_urlsafe(18),
        kind="prefetch" if reason else "open",
        reason=reason,
        user_agent=(user_agent or "")[:300],
        client_ip=(client_ip or "")[:64],
    )
    session.add(visit)
    session.flush()
    return visit


def record_event(
    session: Session, video: Video, visit_key: str, kind: str, value: int | None
) -> bool:
    """Apply one script report to a visit of ``video`` (the caller commits).

    False when it does not count: unknown or foreign visit, prefetch visit, too old, too
    many events, or an unknown kind. The first report confirms the visit as a view.
    """
    if kind not in ("open", "play", "progress", "cta") or not visit_key or len(visit_key) > 64:
        return False
    visit = session.scalar(
        select(ShareVisit).where(ShareVisit.key == visit_key, ShareVisit.video_id == video.id)
    )
    now = utcnow()
    if visit is None or visit.kind == "prefetch" or visit.events >= MAX_EVENTS_PER_VISIT:
        return False
    if _aware(visit.created_at) < now - VISIT_TTL:
        return False
    if kind == "progress":
        if value not in PROGRESS_MARKS or value <= visit.progress:
            return False
        visit.progress = value
    elif kind == "play":
        if visit.played:  # replays and pauses/resumes do not count again
            return False
        visit.played = True
    elif kind == "cta":
        visit.cta_clicks += 1
    visit.events += 1
    session.add(
        ShareEvent(visit_id=visit.id, kind=kind, value=value if kind == "progress" else None)
    )
    counters: dict[str, object] = {"last_viewed_at": now}
    if visit.kind != "view":
        visit.kind, visit.confirmed_at = "view", now
        counters["view_count"] = Video.view_count + 1
        if video.first_viewed_at is None:
            counters["first_viewed_at"] = now
    if kind == "play":
        counters["play_count"] = Video.play_count + 1
    session.execute(update(Video).where(Video.id == video.id).values(**counters))
    return True


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ViewStats:
    """A video's link activity, for the lead page and the video page."""

    views: int
    plays: int
    prefetched: int
    cta_clicks: int
    completed: int  # views that reached 100%
    first_viewed_at: datetime | None
    last_viewed_at: datetime | None
    recent: list[ShareVisit]


def stats(session: Session, video: Video, recent: int = 10) -> ViewStats:
    rows = session.execute(
        select(
            ShareVisit.kind,
            func.count(ShareVisit.id),
            func.coalesce(func.sum(ShareVisit.cta_clicks), 0),
        )
        .where(ShareVisit.video_id == video.id)
        .group_by(ShareVisit.kind)
    ).all()
    by_kind = {kind: (count, clicks) for kind, count, clicks in rows}
    completed = session.scalar(
        select(func.count(ShareVisit.id)).where(
            ShareVisit.video_id == video.id, ShareVisit.kind == "view", ShareVisit.progress >= 100
        )
    )
    latest = session.scalars(
        select(ShareVisit)
        .where(ShareVisit.video_id == video.id)
        .order_by(ShareVisit.id.desc())
        .limit(recent)
    ).all()
    return ViewStats(
        views=video.view_count,
        plays=video.play_count,
        prefetched=by_kind.get("prefetch", (0, 0))[0] + by_kind.get("open", (0, 0))[0],
        cta_clicks=int(by_kind.get("view", (0, 0))[1]),
        completed=int(completed or 0),
        first_viewed_at=video.first_viewed_at,
        last_viewed_at=video.last_viewed_at,
        recent=list(latest),
    )
