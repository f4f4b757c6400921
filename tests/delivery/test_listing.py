"""`videos list` lists every video (a lead's replaced render too), or each lead's latest."""

from __future__ import annotations

from leadreel.extensions import db
from leadreel.models import Lead, User, Video
from leadreel.services.delivery import listing


def test_every_video_or_the_latest_per_lead_and_only_the_users(app, make_user):
    rep, other = make_user("rep"), make_user("rep")
    with app.app_context():
        mine = Lead(first_name="Ann", owner_id=rep.id)
        theirs = Lead(first_name="Eve", owner_id=other.id)
        db.session.add_all([mine, theirs])
        db.session.flush()
        old = Video(lead_id=mine.id, status="rendered")
        db.session.add(old)
        db.session.flush()
        new = Video(lead_id=mine.id, status="queued", share_token="t" * 32)
        db.session.add_all([new, Video(lead_id=theirs.id, status="rendered")])
        db.session.commit()
        user = db.session.get(User, rep.id)
        every = listing.list_videos(db.session, user, "http://x.test")
        assert [(r["id"], r["status"]) for r in every] == [(old.id, "rendered"), (new.id, "queued")]
        assert every[1]["share_url"] == "http://x.test/v/" + "t" * 32
        latest = listing.list_videos(db.session, user, "http://x.test", latest_only=True)
        assert [r["id"] for r in latest] == [new.id]
