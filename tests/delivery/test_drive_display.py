"""The Videos page and the lead page show a video's Drive link, or how its upload stands."""

from __future__ import annotations

from leadreel.extensions import db
from leadreel.models import Lead, Video


def test_drive_link_and_upload_state_on_the_videos_and_lead_pages(app, make_user, login):
    admin = make_user("admin")
    with app.app_context():
        done, waiting = Lead(first_name="Ann"), Lead(first_name="Bob")
        db.session.add_all([done, waiting])
        db.session.flush()
        db.session.add_all([
            Video(lead_id=done.id, status="ready", upload_status="uploaded",
                  drive_url="https://drive.test/file/abc/view"),
            Video(lead_id=waiting.id, status="rendered", upload_status="paused",
                  upload_error="reconnect the Drive account"),
        ])
        db.session.commit()
        done_id, waiting_id = done.id, waiting.id
    client = login(admin)
    page = client.get("/videos/").get_data(as_text=True)
    assert 'href="https://drive.test/file/abc/view"' in page
    assert "Drive upload: paused" in page and "reconnect the Drive account" in page
    lead_page = client.get(f"/leads/{done_id}").get_data(as_text=True)
    assert "Google Drive" in lead_page and 'data-testid="drive-link"' in lead_page
    assert "Drive upload: paused" in client.get(f"/leads/{waiting_id}").get_data(as_text=True)
