"""The upload_video task with the real google-api-python-client against the fake Drive:
resumable sessions with 308 + Range, retries on 500 and 429, one file per lead whatever
happens, in-place replacement on a re-render, and invalid_grant pausing the account."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from leadreel.errors import PermissionDenied
from leadreel.extensions import db
from leadreel.models import DriveAccount, ProcessingTask, utcnow
from leadreel.services.delivery import storage
from leadreel.services.delivery.uploads import start_uploads
from leadreel.services.leads.selection import Selection
from tests.delivery.conftest import drain, run_oauth, video

FOLDER = "application/vnd.google-apps.folder"


@pytest.fixture
def app(make_app, google, db_url):
    """These run on SQLite and, when LEADREEL_TEST_DATABASE_URL is set, on PostgreSQL."""
    app = make_app(database_url=db_url, **google.settings())
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def upload(app, user, *video_ids: int, account_id: int | None = None):
    with app.app_context():
        from leadreel.models import User, Video

        actor = db.session.get(User, user.id)
        leads = [db.session.get(Video, v).lead_id for v in video_ids]
        out = start_uploads(db.session, actor, Selection(lead_ids=leads), account_id=account_id)
        db.session.commit()
        return out


def tasks(app) -> list[ProcessingTask]:
    with app.app_context():
        rows = db.session.scalars(
            select(ProcessingTask)
            .where(ProcessingTask.type == "upload_video")
            .order_by(ProcessingTask.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_upload_creates_one_shared_file_in_the_batch_folder(
    app, admin, account, rendered, google, caplog
):
    caplog.set_level(logging.DEBUG)
    video_id = rendered()
    out = upload(app, admin, video_id)
    assert out.queued == [video_id]
    assert video(app, video_id).upload_status == "pending"
    drain(app)
    done = video(app, video_id)
    assert done.status == "ready" and done.upload_status == "uploaded" and done.progress == 1.0
    file = google.files[done.drive_file_id]
    assert done.drive_url == file["webViewLink"] and done.drive_account_id == account
    assert google.contents[file["id"]] == Path(done.file_path).read_bytes()  # kept locally too
    (batch_folder,) = google.files_with("leadreel_batch", str(_batch_of(app, video_id)))
    (root,) = google.files_with("leadreel_root", "1")
    assert batch_folder["name"] == "Spring outreach" and batch_folder["mimeType"] == FOLDER
    assert file["parents"] == [batch_folder["id"]] and batch_folder["parents"] == [root["id"]]
    assert google.permissions[file["id"]] == [{"type": "anyone", "role": "reader"}]
    assert google.count("PUT", "/upload/session/") == 3  # 700 KiB in 256 KiB chunks (two 308s)
    (task,) = tasks(app)
    assert task.status == "succeeded" and task.progress == 1.0 and task.attempts == 1
    for token in google.refresh_tokens:
        assert token not in caplog.text


def _batch_of(app, video_id: int) -> int:
    with app.app_context():
        from leadreel.models import Lead, Video

        return db.session.get(Lead, db.session.get(Video, video_id).lead_id).batch_id


def test_a_500_mid_upload_and_a_429_are_retried_in_the_same_attempt(
    app, admin, account, rendered, google
):
    video_id = rendered()
    google.fail("session", 429)
    google.fail("list", 503)
    google.fail("chunk", 500)  # the second chunk is lost: the client asks where it stands
    upload(app, admin, video_id)
    drain(app)
    done = video(app, video_id)
    assert done.status == "ready"
    assert google.contents[done.drive_file_id] == Path(done.file_path).read_bytes()
    assert len(google.files_with("leadreel_lead", str(done.lead_id))) == 1
    assert tasks(app)[0].attempts == 1
    assert not google.faults  # every fault was met


def test_a_rerender_replaces_the_content_in_place(app, admin, account, rendered, google):
    first = rendered()
    upload(app, admin, first)
    drain(app)
    before = video(app, first)
    second = rendered(lead_id=before.lead_id, size=300 * 1024)
    upload(app, admin, second)
    drain(app)
    after = video(app, second)
    assert after.drive_file_id == before.drive_file_id and after.drive_url == before.drive_url
    assert google.contents[after.drive_file_id] == Path(after.file_path).read_bytes()
    assert len(google.files_with("leadreel_lead", str(after.lead_id))) == 1
    assert google.count("PATCH", f"/upload/drive/v3/files/{after.drive_file_id}") == 1


def test_a_failed_attempt_after_the_upload_finds_the_file_again(
    app, admin, account, rendered, google
):
    video_id = rendered()
    google.fail("permissions", 500, times=7)  # the file exists, setting its sharing keeps failing
    upload(app, admin, video_id)
    drain(app)
    (task,) = tasks(app)
    assert task.status == "pending" and task.attempts == 1  # waits for its retry
    failed = video(app, video_id)
    assert failed.status == "rendered" and failed.upload_status == "pending"
    assert "retrying" in failed.upload_error
    with app.app_context():
        db.session.execute(update(ProcessingTask).values(run_after=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    drain(app)
    done = video(app, video_id)
    assert done.status == "ready"
    assert len(google.files_with("leadreel_lead", str(done.lead_id))) == 1  # not a second file
    assert google.count("PATCH", "/upload/drive/v3/files/") == 1  # the retry replaced it


def test_invalid_grant_pauses_the_account_until_it_is_reconnected(
    app, admin, admin_client, account, rendered, google
):
    google.refuse_refresh()
    first, second = rendered(), rendered()
    upload(app, admin, first)
    drain(app)
    (task,) = tasks(app)
    assert task.status == "failed" and task.attempts == 1  # not retried
    assert "reconnect" in task.errors[-1]["error"]
    paused = video(app, first)
    assert paused.upload_status == "paused" and paused.status == "rendered"
    with app.app_context():
        row = db.session.get(DriveAccount, account)
        assert row.status == "reconnect_required" and "invalid_grant" in row.last_error
    refreshes = google.count("POST", "/token")
    upload(app, admin, second)
    drain(app)
    assert video(app, second).upload_status == "paused"
    assert google.count("POST", "/token") == refreshes  # paused: Google is not asked again
    page = admin_client.get("/storage/").get_data(as_text=True)
    assert "needs reconnecting" in page and "2 uploads paused" in page
    assert "Reconnect required" in page
    google.refused = False
    run_oauth(admin_client, google)  # the admin connects it again
    with app.app_context():
        assert db.session.get(DriveAccount, account).status == "connected"
    drain(app)
    assert video(app, first).status == "ready" and video(app, second).status == "ready"


def test_videos_stay_local_unless_a_drive_destination_is_chosen(app, admin, account, rendered):
    video_id = rendered()
    batch_id = _batch_of(app, video_id)
    with app.app_context():
        from leadreel.models import ImportBatch, User

        batch = db.session.get(ImportBatch, batch_id)
        storage.set_batch_destination(
            db.session, db.session.get(User, admin.id), batch, storage.Destination()
        )
        db.session.commit()
    out = upload(app, admin, video_id)
    assert out.queued == [] and out.local_only == [video(app, video_id).lead_id]
    out = upload(app, admin, video_id, account_id=account)  # an explicit account wins
    assert out.queued == [video_id]


def test_a_rep_cannot_upload_another_reps_videos(app, make_user, account, rendered):
    owner, other = make_user("rep"), make_user("rep")
    video_id = rendered(owner)
    with pytest.raises(PermissionDenied):
        upload(app, other, video_id)
    assert upload(app, owner, video_id).queued == [video_id]


def test_unrendered_videos_are_not_uploaded(app, admin, account, rendered):
    video_id = rendered()
    with app.app_context():
        from leadreel.models import Video

        db.session.get(Video, video_id).status = "rendering"
        db.session.commit()
    out = upload(app, admin, video_id)
    assert out.queued == [] and out.not_rendered == [video(app, video_id).lead_id]
