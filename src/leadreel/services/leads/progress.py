"""Per-lead progress for the overview's row: screenshot, render, upload, views, and the error.

Why derived, not stored: the lead's latest Video (status, progress, error, views) and its
latest task (which step failed, and why) already say it; a second copy would drift. Both
are read for a page's ids by primary key or ``ix_videos_lead_id`` / ``ix_tasks_lead``,
so the rows' poll (``/leads/progress.json``) costs the same at any table size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from leadreel.models import Video
from leadreel.tasks.status import lead_progress

ACTIVE = ("queued", "capturing", "rendering", "uploading")


@dataclass(frozen=True)
class LeadProgress:
    """Each step is "" (not started), queued, running, done or failed."""

    lead_id: int
    screenshot: str = ""
    render: str = ""
    upload: str = ""
    fraction: float = 0.0
    views: int = 0
    video_id: int | None = None
    video_status: str = ""
    error: str | None = None

    @property
    def active(self) -> bool:
        return self.video_status in ACTIVE

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "active": self.active}


def _steps(video: Video, failed_step: str) -> tuple[str, str, str]:
    status = video.status
    if status == "queued":
        return "queued", "queued", ""
    if status == "capturing":
        return "running", "queued", ""
    if status == "rendering":
        return "done", "running", ""
    if status == "rendered":
        return "done", "done", ""
    if status == "uploading":
        return "done", "done", "running"
    if status == "ready":
        return "done", "done", "done" if video.drive_url or video.drive_file_id else ""
    if status == "failed":
        if failed_step == "screenshot":
            return "failed", "", ""
        if failed_step == "upload":
            return "done", "done", "failed"
        return ("done" if video.screenshot_source else ""), "failed", ""
    return "", "", ""


def one(video: Video | None, lead_id: int, task: dict[str, Any] | None) -> LeadProgress:
    if video is None:
        return LeadProgress(lead_id)
    task_type = str((task or {}).get("type") or "")
    step = (
        "screenshot"
        if "screenshot" in task_type
        else ("upload" if "upload" in task_type else "render")
    )
    shot, render, upload = _steps(video, step)
    error = video.error or ((task or {}).get("error") if video.status == "failed" else None)
    return LeadProgress(
        lead_id,
        screenshot=shot,
        render=render,
        upload=upload,
        fraction=round(float(video.progress or 0), 3),
        views=int(video.view_count or 0),
        video_id=video.id,
        video_status=video.status,
        error=error,
    )


def progress_for(
    session: Session, lead_ids: Iterable[int], videos: dict[int, Video | None]
) -> dict[int, LeadProgress]:
    """Progress of each lead from its latest video (given) and its latest task."""
    ids = list(lead_ids)
    failed = [i for i in ids if (v := videos.get(i)) is not None and v.status == "failed"]
    tasks = lead_progress(session, failed) if failed else {}
    return {i: one(videos.get(i), i, tasks.get(i)) for i in ids}
