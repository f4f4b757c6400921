"""With a Drive destination, each render's chain ends with upload_video; a re-render of the
lead replaces the Drive file's content in place (same id, same link)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import DriveAccount, ProcessingTask, User, Video
from leadreel.security import SecretBox
from leadreel.services.delivery import storage
from leadreel.services.videos import pipeline
from leadreel.services.videos.pipeline import Selection
from tests.fakes.google_server import FakeGoogle

from .conftest import VIDEO_TYPES, build_app, drain, fake_capture

pytestmark = pytest.mark.slow


@pytest.fixture
def google(tmp_path):
    with FakeGoogle(tmp_path / "tls") as fake:
        yield fake


@pytest.fixture
def app(make_app, site, down_port, demo_files, google):
    return build_app(make_app, site, down_port, demo_files, **google.settings())


def connect(app, google, admin) -> int:
    with app.app_context():
        box = SecretBox(app.config["SETTINGS"].resolved_encryption_key())
        account = DriveAccount(
            email=google.email, encrypted_refresh_token=box.encrypt(google.issue_refresh_token())
        )
        db.session.add(account)
        db.session.flush()
        actor = db.session.get(User, admin.id)
        storage.set_workspace_destination(db.session, actor, storage.Destination(account.id))
        db.session.commit()
        return account.id


def render(app, user, lead_id, template_id) -> int:
    with app.app_context():
        result = pipeline.start_renders(
            db.session, db.session.get(User, user.id), Selection(lead_ids=[lead_id]), template_id
        )
        db.session.commit()
        return result.started[0]


def test_render_then_upload_then_rerender_replaces_in_place(
    app, make_user, make_lead, tiny_template, shots_dir, google
):
    admin = make_user("admin")
    account_id = connect(app, google, admin)
    lead_id = make_lead(admin, screenshots=fake_capture(shots_dir))
    template_id = tiny_template()
    first = render(app, admin, lead_id, template_id)
    drain(app, types=(*VIDEO_TYPES, "upload_video"))
    with app.app_context():
        video = db.session.get(Video, first)
        assert video.status == "ready", (video.error, video.upload_error)
        assert video.drive_account_id == account_id and video.upload_status == "uploaded"
        file_id, link = video.drive_file_id, video.drive_url
        assert google.contents[file_id] == Path(video.file_path).read_bytes()
        types = db.session.scalars(select(ProcessingTask.type).order_by(ProcessingTask.id)).all()
        assert types == ["screenshot", "render_video", "upload_video"]
    second = render(app, admin, lead_id, template_id)
    drain(app, types=(*VIDEO_TYPES, "upload_video"))
    with app.app_context():
        video = db.session.get(Video, second)
        assert video.status == "ready"
        assert (video.drive_file_id, video.drive_url) == (file_id, link)
        assert google.contents[file_id] == Path(video.file_path).read_bytes()
    assert [f["id"] for f in google.files_with("leadreel_lead", str(lead_id))] == [file_id]


def test_local_destination_chains_no_upload(app, make_user, make_lead, tiny_template, shots_dir):
    admin = make_user("admin")
    lead_id = make_lead(admin, screenshots=fake_capture(shots_dir))
    render(app, admin, lead_id, tiny_template())
    with app.app_context():
        task = db.session.scalar(select(ProcessingTask))
        assert task.next_task["type"] == "render_video" and task.next_task["next"] is None
