"""Confirmation tokens: bound to the user and the exact arguments and selection, single use,
expiring, unforgeable; the threshold of 25 leads for reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from leadreel.agent import executor
from leadreel.agent.context import ToolContext
from leadreel.extensions import db as _db
from leadreel.models import ChatConfirmation, Company, Lead, User, Video
from leadreel.services.leads.selection import Selection


def ctx(app, user_id, selection=None, secret=None):
    user = _db.session.get(User, user_id)
    return ToolContext(_db.session, user, app.config["SETTINGS"],
                       secret or app.config["SECRET_KEY"], selection or Selection())


def videos():
    return _db.session.scalar(select(func.count(Video.id)))


def propose(app, world, selection):
    out = executor.call(ctx(app, world.rep.id, selection), "start_renders",
                        {"leads": {"use_selection": True}, "template": "Default"})
    assert out.status == "proposed" and out.token
    return out


def test_single_use_and_bound_to_the_selection(app, world):
    picked = Selection(lead_ids=world.rep_leads[:2])
    with app.app_context():
        out = propose(app, world, picked)
        changed = executor.run_confirmed(ctx(app, world.rep.id,
                                             Selection(lead_ids=world.rep_leads[:3])), out.token)
        assert changed.status == "error" and "selection" in changed.message
        assert videos() == 0
        first = executor.run_confirmed(ctx(app, world.rep.id, picked), out.token)
        assert first.status == "confirmed" and videos() == 2
        again = executor.run_confirmed(ctx(app, world.rep.id, picked), out.token)
        assert again.status == "error" and "already confirmed" in again.message
        assert videos() == 2


def test_other_user_forged_expired(app, world):
    picked = Selection(lead_ids=world.rep_leads[:1])
    with app.app_context():
        out = propose(app, world, picked)
        stolen = executor.run_confirmed(ctx(app, world.other.id, picked), out.token)
        assert stolen.status == "refused"
        forged = executor.run_confirmed(ctx(app, world.rep.id, picked), out.token[:-3] + "abc")
        assert forged.status == "refused"
        wrong_key = executor.run_confirmed(ctx(app, world.rep.id, picked, secret="other"),
                                           out.token)
        assert wrong_key.status == "refused"
        row = _db.session.scalars(select(ChatConfirmation)).one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        _db.session.flush()
        expired = executor.run_confirmed(ctx(app, world.rep.id, picked), out.token)
        assert expired.status == "error" and "expired" in expired.message
        assert videos() == 0


def test_reads_over_25_leads_need_a_confirmation(app, world):
    with app.app_context():
        for i in range(30):
            company = Company(name=f"Bulk {i}", name_key=f"bulk {i}")
            _db.session.add(company)
            _db.session.flush()
            _db.session.add(Lead(first_name=f"B{i}", owner_id=world.rep.id,
                                 company_id=company.id))
        _db.session.commit()
        c = ctx(app, world.rep.id)
        small = executor.call(c, "export_leads", {"leads": {"batch": "March expo"}})
        assert small.status == "done"
        big = executor.call(c, "export_leads", {"leads": {"all_leads": True}})
        assert big.status == "proposed" and big.plan == "export 34 leads as CSV with template core"
        listing = executor.call(c, "search_leads", {"leads": {"all_leads": True}, "limit": 40})
        assert listing.status == "proposed" and listing.plan == "show 34 leads' details"
        assert executor.call(c, "search_leads", {"leads": {"all_leads": True}}).status == "done"
        done = executor.run_confirmed(ctx(app, world.rep.id), big.token)
        assert done.status == "confirmed" and done.result["rows"] == 34


def test_single_use_on_both_databases(make_app, db_url):
    """The conditional UPDATE that spends a token works the same on SQLite and PostgreSQL."""
    from tests.agent.conftest import build_world

    app = make_app(database_url=db_url)
    world = build_world(app)
    picked = Selection(lead_ids=world.rep_leads[:2])
    with app.app_context():
        out = propose(app, world, picked)
        assert executor.run_confirmed(ctx(app, world.rep.id, picked), out.token).status == \
            "confirmed"
        _db.session.commit()
        again = executor.run_confirmed(ctx(app, world.rep.id, picked), out.token)
        assert again.status == "error" and videos() == 2


def test_a_plan_whose_numbers_changed_needs_a_new_confirmation(app, world):
    """'Render 3 videos' confirmed after a fourth lead joined the batch would render 4."""
    with app.app_context():
        c = ctx(app, world.rep.id)
        out = executor.call(c, "start_renders", {"leads": {"batch": "March expo"}})
        assert out.plan == "render 3 videos with template Default"
        _db.session.add(Lead(first_name="Late", owner_id=world.rep.id,
                             batch_id=world.rep_batch))
        _db.session.commit()
        late = executor.run_confirmed(ctx(app, world.rep.id), out.token)
        assert late.status == "error"
        assert "now: render 4 videos with template Default" in late.message
        assert videos() == 0
