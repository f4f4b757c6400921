"""The ``upload_video`` task: one lead's rendered video to its Google Drive account.

Why it never leaves a second file: the Drive file carries app properties (this install's
id and the lead id). Before any upload the task looks for that file; found, it replaces the
content in place (``files.update`` with media: same id, same link), so a retried task, a
worker killed mid-upload (Drive only creates a file when its upload completes) and a
re-render of the lead all end with the one file the prospect's link points at.

The local file is never touched here: share pages keep serving it, and the Video row only
says ``ready`` (with the Drive id and link) once Drive confirmed the upload.

``invalid_grant`` marks the account "reconnect required" and pauses the video's upload
(``upload_status = paused``); it fails at once instead of retrying, and later uploads to
that account pause without calling Google until an admin connects it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from leadreel.config import Settings, load_settings
from leadreel.integrations.drive import DriveAuthError, DriveClient, DriveRequestError
from leadreel.models import Company, DriveAccount, ImportBatch, Lead, Video
from leadreel.services.delivery import drive
from leadreel.services.delivery.storage import UPLOAD_VIDEO, install_id
from leadreel.tasks.context import TaskCancelled, TaskContext
from leadreel.tasks.registry import PRIORITY_UPLOAD, task_type
from leadreel.tasks.retry import PermanentError, RetryPolicy

log = logging.getLogger("leadreel.delivery.upload")
PROGRESS_EVERY = 0.5
UPLOAD_RETRY = RetryPolicy(base=5.0, cap=600.0, jitter=0.5)


@contextmanager
def _short(ctx: TaskContext) -> Iterator[Session]:
    """A short transaction of its own (BEGIN IMMEDIATE on SQLite), committed at once."""
    with Session(ctx.engine, expire_on_commit=False) as session:
        if ctx.engine.dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        yield session
        session.commit()


def _set_video(ctx: TaskContext, video_id: int, **values: Any) -> None:
    with _short(ctx) as session:
        session.execute(update(Video).where(Video.id == video_id).values(**values))


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__


@task_type(
    UPLOAD_VIDEO,
    priority=PRIORITY_UPLOAD,
    max_attempts=5,
    timeout=3600,
    retry=UPLOAD_RETRY,
    permanent_errors=(DriveRequestError, DriveAuthError),
)
def upload_video(ctx: TaskContext) -> dict[str, Any]:
    """Upload (or replace in place) a lead's video on Drive and store the file id and link."""
    video_id = int(ctx.payload["video_id"])
    account_id = int(ctx.payload["account_id"])
    try:
        return _upload(ctx, video_id, account_id)
    except DriveAuthError as exc:
        with _short(ctx) as session:
            drive.mark_reconnect_required(session, account_id, str(exc))
        _set_video(
            ctx, video_id, status="rendered", upload_status="paused", upload_error=str(exc)[:500]
        )
        raise PermanentError(f"upload paused: {exc}; reconnect the account on Storage") from None
    except TaskCancelled:
        _set_video(ctx, video_id, status="rendered", upload_status="pending")
        raise
    except BaseException as exc:
        last = isinstance(exc, (PermanentError, DriveRequestError)) or (
            ctx.attempt >= ctx.task.max_attempts
        )
        message = _message(exc)
        _set_video(
            ctx,
            video_id,
            status="rendered",
            upload_status="failed" if last else "pending",
            upload_error=message if last else f"attempt {ctx.attempt} failed, retrying: {message}",
        )
        raise


def _names(session: Session, lead: Lead) -> tuple[str, str]:
    """The file's name and its batch folder's name, as a person would look for them."""
    company = session.get(Company, lead.company_id) if lead.company_id else None
    person = lead.full_name or " ".join(p for p in (lead.first_name, lead.last_name) if p)
    label = " - ".join(p for p in ((company.name if company else ""), person) if p)
    batch = session.get(ImportBatch, lead.batch_id) if lead.batch_id else None
    folder = batch.name if batch and batch.name else "Leads without a batch"
    return f"{label or f'Lead {lead.id}'} ({lead.id}).mp4", folder


def _upload(ctx: TaskContext, video_id: int, account_id: int) -> dict[str, Any]:
    settings = ctx.settings if isinstance(ctx.settings, Settings) else load_settings()
    with _short(ctx) as session:
        video = session.get(Video, video_id)
        if video is None:
            return {"skipped": "video deleted"}
        account = session.get(DriveAccount, account_id)
        if account is None or account.status == "disconnected":
            raise PermanentError("the Drive account was disconnected")
        if account.status == "reconnect_required":  # paused: do not ask Google again
            video.status, video.upload_status = "rendered", "paused"
            video.upload_error = account.last_error or "the Drive account needs reconnecting"
            video.drive_account_id = account.id
            return {"paused": True, "account": account.email}
        if not video.file_path or not Path(video.file_path).is_file():
            raise PermanentError("the video has no rendered file to upload")
        lead = session.get(Lead, video.lead_id)
        if lead is None:
            raise PermanentError("the lead no longer exists")
        name, folder_name = _names(session, lead)
        job = _Job(
            video_id=video_id,
            account_id=account.id,
            lead_id=lead.id,
            path=Path(video.file_path),
            name=name,
            folder_name=folder_name,
            install=install_id(session),
            batch_key=str(lead.batch_id or "none"),
            root=account.folder_id,
        )
        client = drive.client_for(settings, account)
        video.status, video.progress, video.upload_status = "uploading", 0.0, "uploading"
        video.upload_error, video.drive_account_id = None, account.id
    with client:
        result = _send(ctx, client, job)
    ctx.session.execute(
        update(Video)
        .where(Video.id == video_id)
        .values(
            status="ready",
            progress=1.0,
            drive_file_id=result["id"],
            drive_url=result["link"],
            drive_account_id=account_id,
            upload_status="uploaded",
            upload_error=None,
        )
    )
    return result


@dataclass(frozen=True)
class _Job:
    """What the upload needs, read in one short transaction before any network call."""

    video_id: int
    account_id: int
    lead_id: int
    path: Path
    name: str
    folder_name: str
    install: str
    batch_key: str
    root: str | None


def _send(ctx: TaskContext, client: DriveClient, job: _Job) -> dict[str, Any]:
    install, root, video_id, lead_id = job.install, job.root, job.video_id, job.lead_id
    if root is None:
        root = client.ensure_folder("LeadReel", {"leadreel_install": install, "leadreel_root": "1"})
        with _short(ctx) as session:
            session.execute(
                update(DriveAccount).where(DriveAccount.id == job.account_id).values(folder_id=root)
            )
    folder = client.ensure_folder(
        job.folder_name, {"leadreel_install": install, "leadreel_batch": job.batch_key}, parent=root
    )
    ctx.check()
    props = {"leadreel_install": install, "leadreel_lead": str(lead_id)}
    existing = client.find(props, folder=False)
    if len(existing) > 1:
        log.warning("lead %s has %d files on Drive; updating the oldest", lead_id, len(existing))
    file_id = str(existing[0]["id"]) if existing else None
    last = [0.0]

    def progress(fraction: float) -> None:
        ctx.set_progress(min(0.99, fraction))
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            _set_video(ctx, video_id, progress=round(fraction, 3))

    response = client.upload(
        job.path,
        name=job.name,
        app_properties=props,
        parents=[folder],
        file_id=file_id,
        on_progress=progress,
    )
    uploaded = str(response["id"])
    client.share_with_anyone(uploaded)
    link = str(response.get("webViewLink") or "") or client.link(uploaded)
    return {"id": uploaded, "link": link, "replaced": file_id is not None, "video_id": video_id}
