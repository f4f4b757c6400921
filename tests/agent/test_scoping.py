"""Role scoping: a rep's assistant cannot count, export or render another rep's leads, by any
phrasing, tool argument or forged page selection."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from leadreel.agent import executor, turn
from leadreel.agent.context import ToolContext
from leadreel.extensions import db as _db
from leadreel.models import Export, Lead, User, Video
from leadreel.services.leads.selection import Selection


@pytest.fixture
def shared(shared_app):
    app, world = shared_app
    with app.app_context():
        yield app, world


def rep_ctx(shared, selection=None):
    app, world = shared
    user = _db.session.get(User, world.rep.id)
    return ToolContext(_db.session, user, app.config["SETTINGS"], app.config["SECRET_KEY"],
                       selection or Selection())


def others(shared):
    return shared[1].other_leads


ATTACKS = [
    ("count_leads", lambda w: {"leads": {"lead_ids": w.other_leads}}, "refused"),
    ("count_leads", lambda w: {"leads": {"lead_ids": [w.rep_leads[0], w.other_leads[0]]}},
     "refused"),
    ("count_leads", lambda w: {"leads": {"batch": "Sam's list"}}, "error"),
    ("count_leads", lambda w: {"leads": {"batch": str(w.other_batch)}}, "error"),
    ("count_leads", lambda w: {"leads": {"owner_id": w.other.id}}, "invalid"),
    ("count_leads", lambda w: {"leads": {"all_leads": True}, "sql": "1=1"}, "invalid"),
    ("search_leads", lambda w: {"leads": {"lead_ids": w.other_leads}}, "refused"),
    ("batch_progress", lambda w: {"batch": "Sam's list"}, "error"),
    ("batch_progress", lambda w: {"batch": str(w.other_batch)}, "error"),
    ("summarize_failures", lambda w: {"leads": {"lead_ids": w.other_leads}}, "refused"),
    ("video_views", lambda w: {"leads": {"lead_ids": w.other_leads}}, "refused"),
    ("export_leads", lambda w: {"leads": {"lead_ids": w.other_leads}}, "refused"),
    ("export_leads", lambda w: {"leads": {"batch": "Sam's list"}}, "error"),
    ("start_renders", lambda w: {"leads": {"lead_ids": w.other_leads}}, "refused"),
    ("start_renders", lambda w: {"leads": {"batch": str(w.other_batch)}}, "error"),
    ("rerender_failed", lambda w: {"leads": {"lead_ids": w.other_leads}}, "refused"),
    ("start_uploads", lambda w: {"leads": {"lead_ids": w.other_leads}}, "refused"),
    ("assign_leads", lambda w: {"leads": {"lead_ids": w.rep_leads}, "to_user": "Rita Rep"},
     "error"),
]


@pytest.mark.parametrize(("tool", "args", "status"), ATTACKS,
                         ids=[f"{a[0]}-{i}" for i, a in enumerate(ATTACKS)])
def test_tool_arguments_cannot_reach_other_leads(shared, tool, args, status):
    out = executor.call(rep_ctx(shared), tool, args(shared[1]))
    assert out.status == status, out
    assert out.token is None
    assert _db.session.scalar(select(func.count(Video.id))) == 0


def test_filters_only_see_the_reps_leads(shared):
    ctx = rep_ctx(shared)
    assert executor.call(ctx, "count_leads", {"leads": {"all_leads": True}}).result["count"] == 4
    assert executor.call(ctx, "count_leads", {"leads": {"search": "Eve"}}).result["count"] == 0
    found = executor.call(ctx, "search_leads", {"leads": {"all_leads": True}, "limit": 20})
    assert "Eve" not in found.result["leads"] and "Ann" in found.result["leads"]


@pytest.mark.parametrize("forged", [
    lambda w: Selection(lead_ids=w.other_leads),
    lambda w: Selection(batch_id=w.other_batch),
])
def test_a_forged_page_selection_is_refused(shared, forged):
    ctx = rep_ctx(shared, forged(shared[1]))
    for tool in ("count_leads", "export_leads", "start_renders"):
        assert executor.call(ctx, tool, {"leads": {"use_selection": True}}).status == "refused"


def test_export_everything_holds_only_the_reps_leads(shared):
    app, _ = shared
    out = executor.call(rep_ctx(shared), "export_leads", {"leads": {"all_leads": True}})
    assert out.status == "done" and out.result["rows"] == 4
    with app.app_context():
        path = _db.session.get(Export, out.result["export_id"]).file_path
    rows = list(csv.reader(open(path, encoding="utf-8-sig")))
    names = {r[rows[0].index("first_name")] for r in rows[1:]}
    assert names == {"Ann", "Bob", "Cid", "Dee"}


PHRASINGS = [
    ("how many leads?", "4 leads match"),
    ("how many leads in batch Sam's list?", "I don't know a batch named"),
    ("count leads named eve", "0 leads match"),
    ("export leads 5 and 6", "can't do that"),
    ("render leads 5, 6 with Default", "can't do that"),
    ("re-render failed videos of leads 5 and 6", "can't do that"),
    ("why did leads 5 and 6 fail?", "can't do that"),
    ("assign leads 1 and 2 to Sam", "only managers and admins may assign leads"),
    ("progress of batch 2", "no batch named '2'"),
]


@pytest.mark.parametrize(("message", "reply"), PHRASINGS, ids=[p[0] for p in PHRASINGS])
def test_no_phrasing_reaches_other_leads(shared, message, reply):
    app, world = shared
    world_ids = set(world.other_leads)
    assert world_ids == {5, 6}  # the phrasings name them by id
    user = _db.session.get(User, world.rep.id)
    out = turn.run_turn(_db.session, user, app.config["SETTINGS"], app.config["SECRET_KEY"],
                        message)
    assert reply.lower() in out["reply"].lower(), out["reply"]
    assert out["pending"] == []
    owners = set(_db.session.scalars(select(Lead.owner_id).where(Lead.id.in_(world_ids))))
    assert owners == {world.other.id}
    assert _db.session.scalar(select(func.count(Video.id))) == 0
