"""The lead's latest-video status and views (what the overview sorts on) follow every write
to ``videos``, whatever wrote it: ORM, Core bulk update, delete, cascade."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from leadreel.extensions import db
from leadreel.models import Lead, Video


def _summary(lead_id: int) -> tuple[str | None, int | None]:
    db.session.expire_all()
    row = db.session.execute(
        select(Lead.video_status, Lead.video_views).where(Lead.id == lead_id)
    ).one()
    return row.video_status, row.video_views


def test_latest_video_status_and_views_are_kept_on_the_lead(db_app):
    with db_app.app_context():
        s = db.session
        lead, other = Lead(first_name="Ann"), Lead(first_name="Bo")
        s.add_all([lead, other])
        s.commit()
        lead_id, other_id = lead.id, other.id
        assert _summary(lead_id) == (None, None)  # no video yet

        first = Video(lead_id=lead_id, status="failed", view_count=0)
        s.add(first)
        s.commit()
        first_id = first.id
        assert _summary(lead_id) == ("failed", 0)

        second = Video(lead_id=lead_id, status="queued", view_count=0)
        s.add(second)
        s.commit()
        second_id = second.id
        assert _summary(lead_id) == ("queued", 0)  # the newest video wins

        s.execute(update(Video).where(Video.id == second_id).values(status="ready", view_count=7))
        s.commit()
        assert _summary(lead_id) == ("ready", 7)  # a Core bulk update too

        s.get(
            Video, first_id
        ).status = "ready"  # an older video changing does not override the latest
        s.commit()
        assert _summary(lead_id) == ("ready", 7)

        s.execute(delete(Video).where(Video.id == second_id))
        s.commit()
        assert _summary(lead_id) == ("ready", 0)  # back to the one left

        s.execute(update(Video).where(Video.id == first_id).values(lead_id=other_id))
        s.commit()
        assert _summary(lead_id) == (None, None)  # moved away: both leads recomputed
        assert _summary(other_id) == ("ready", 0)

        s.execute(delete(Lead).where(Lead.id == other_id))  # cascades to its video
        s.commit()
        assert s.scalar(select(Video.id).where(Video.id == first_id)) is None


def test_every_plain_sort_walks_an_index_on_sqlite(db_app):
    """No sort of the overview asks SQLite to sort the table (video and views included)."""
    from sqlalchemy import text

    from leadreel.services.leads import query as lq
    from leadreel.services.leads.selection import Selection
    from leadreel.services.setup import create_user

    with db_app.app_context():
        if db.engine.dialect.name != "sqlite":
            return  # PostgreSQL's plans depend on statistics; the sort tests cover results
        admin = create_user(db.session, "plan@example.com", "correct horse battery", "admin")
        db.session.commit()
        for name in ("created", "name", "email", "job_title", "city", "country", "video", "views"):
            key = lq.sort_key(name)
            assert key.indexed, name
            for desc in (False, True):
                query = lq._segment0(lq._base(admin, Selection(), key), key, desc, None).limit(51)
                compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
                plan = " | ".join(
                    r[-1] for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
                )
                assert "TEMP B-TREE" not in plan, (name, plan)
