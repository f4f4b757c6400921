"""The offline interpreter: plain English to one tool call, a question or a refusal.

Names come from the database (templates "Default" / "Short intro", batches "March expo",
"export everything now", users "Sam Smith", "Rita Rep" ...), so the same sentence shape
works for any value the user has.
"""

from __future__ import annotations

import pytest

from leadreel.agent import commands
from leadreel.extensions import db as _db
from leadreel.services.leads.selection import Selection

TICKED = "ticked"
S = {"use_selection": True}
ALL = {"use_selection": False, "all_leads": True}
MARCH = {"use_selection": False, "batch": "March expo"}

# (message, page selection, user, tool, expected args (subset))
CALLS = [
    ("how many leads in batch March expo failed?", None, "rep", "count_leads",
     {"leads": {**MARCH, "video_status": "failed"}}),
    ("How many leads do I have?", None, "rep", "count_leads", {"leads": ALL}),
    ("count the selected leads", TICKED, "rep", "count_leads", {"leads": S}),
    ("number of leads without a video in march expo", None, "rep", "count_leads",
     {"leads": {**MARCH, "video_status": "none"}}),
    ("how many are ready?", None, "rep", "count_leads",
     {"leads": {**ALL, "video_status": "ready"}}),
    ("how many leads named ann", None, "rep", "count_leads",
     {"leads": {"use_selection": False, "search": "ann"}}),
    ("how many leads in batch export everything now?", None, "rep", "count_leads",
     {"leads": {"use_selection": False, "batch": "export everything now"}}),
    ("render videos for the selected leads with Default", TICKED, "rep", "start_renders",
     {"leads": S, "template": "Default", "samples": 0}),
    ("Render the selection using Short intro, samples first: 5", TICKED, "rep",
     "start_renders", {"template": "Short intro", "samples": 5}),
    ("make videos for these with 3 samples", TICKED, "rep", "start_renders",
     {"leads": S, "template": None, "samples": 3}),
    ("create videos for batch March expo", None, "rep", "start_renders",
     {"leads": MARCH, "template": None}),
    ("generate videos for all my leads with short intro", None, "rep", "start_renders",
     {"leads": ALL, "template": "Short intro"}),
    ("render leads 1, 2 and 3 with Default", None, "rep", "start_renders",
     {"leads": {"use_selection": False, "lead_ids": [1, 2, 3]}, "template": "Default"}),
    ('render "March expo" with "Short intro"', None, "rep", "start_renders",
     {"leads": MARCH, "template": "Short intro"}),
    ("please render them", TICKED, "rep", "start_renders", {"leads": S}),
    ("re-render the failed videos", TICKED, "rep", "rerender_failed", {"leads": S}),
    ("retry failed renders in march expo", None, "rep", "rerender_failed", {"leads": MARCH}),
    ("render the failed ones again", TICKED, "rep", "rerender_failed", {"leads": S}),
    ("rerender everything that failed", None, "rep", "rerender_failed", {"leads": ALL}),
    ("why did the renders fail?", TICKED, "rep", "summarize_failures", {"leads": S}),
    ("what went wrong in batch March expo", None, "rep", "summarize_failures",
     {"leads": MARCH}),
    ("show me the errors", None, "rep", "summarize_failures", {"leads": ALL}),
    ("failures?", None, "rep", "summarize_failures", {"leads": ALL}),
    ("export selected as core", TICKED, "rep", "export_leads",
     {"leads": S, "template": "core", "format": "csv"}),
    ("export these to excel", TICKED, "rep", "export_leads", {"format": "xlsx"}),
    ("export selected as Email outreach", TICKED, "rep", "export_leads",
     {"template": "Email outreach"}),
    ("download march expo as csv", None, "rep", "export_leads",
     {"leads": MARCH, "format": "csv"}),
    ("export all my leads", None, "rep", "export_leads", {"leads": ALL, "template": "core"}),
    ("assign these to Sam", TICKED, "manager", "assign_leads",
     {"leads": S, "to_user": "Sam Smith"}),
    ("give batch March expo to rita", None, "manager", "assign_leads",
     {"leads": MARCH, "to_user": "Rita Rep"}),
    ("reassign the selected leads to sam@x.test", TICKED, "manager", "assign_leads",
     {"to_user": "Sam Smith"}),
    ("hand over these to Max Manager", TICKED, "manager", "assign_leads",
     {"to_user": "Max Manager"}),
    ("upload the selected videos to drive", TICKED, "rep", "start_uploads", {"leads": S}),
    ("upload march expo", None, "rep", "start_uploads", {"leads": MARCH}),
    ("who watched their video this week?", None, "rep", "video_views",
     {"leads": ALL, "days": 7}),
    ("who viewed their videos today", None, "rep", "video_views", {"days": 1}),
    ("how many watched in the last 30 days?", None, "rep", "video_views", {"days": 30}),
    ("which of the selected opened their video this month", TICKED, "rep", "video_views",
     {"leads": S, "days": 30}),
    ("progress of batch March expo", None, "rep", "batch_progress", {"batch": "March expo"}),
    ("how far is march expo?", None, "rep", "batch_progress", {"batch": "March expo"}),
    ("status of export everything now", None, "rep", "batch_progress",
     {"batch": "export everything now"}),
    ("list the selected leads", TICKED, "rep", "search_leads", {"leads": S}),
    ("find leads at Ann Co", None, "rep", "search_leads",
     {"leads": {"use_selection": False, "search": "ann co"}}),
    ("show leads with no video", None, "rep", "search_leads",
     {"leads": {**ALL, "video_status": "none"}}),
    ("what templates are there?", None, "rep", "list_options", {}),
]

# (message, page selection, user, substring of the question / refusal)
ANSWERS = [
    ("delete all leads", None, "rep", "can't do that"),
    ("drop table leads", None, "rep", "can't do that"),
    ("select * from users", None, "rep", "can't do that"),
    ("show me the openai api key", None, "rep", "can't do that"),
    ("what's the weather like?", None, "rep", "did not understand"),
    ("hello", None, "rep", "did not understand"),
    ("help", None, "rep", "I understand plain commands"),
    ("", None, "rep", "I understand plain commands"),
    ("render videos for the selected leads with Fancy", TICKED, "rep",
     "no video template named 'fancy'"[3:]),
    ("render the selected leads", None, "rep", "Nothing is selected on the page"),
    ("render videos", None, "rep", "Which leads?"),
    ("render these with samples first", TICKED, "rep", "How many samples first?"),
    ("export selected as Cold outreach", TICKED, "rep",
     "I don't know an export template named 'cold outreach'"),
    ("how many leads in batch April fair", None, "rep", "I don't know a batch named 'april fair'"),
    ("assign these", TICKED, "manager", "Assign them to whom?"),
    ("assign these to Zed", TICKED, "manager", "Who is 'zed'?"),
    ("progress of the batch", None, "rep", "Which batch? Your batches:"),
]


@pytest.fixture
def shared(shared_app):
    app, world = shared_app
    with app.app_context():
        yield app, world


def _setup(shared, selection, role):
    from leadreel.agent.context import ToolContext
    from leadreel.models import User

    app, world = shared
    user = _db.session.get(User, {"rep": world.rep, "manager": world.manager}[role].id)
    sel = Selection(lead_ids=world.rep_leads[:2]) if selection == TICKED else Selection()
    return ToolContext(_db.session, user, app.config["SETTINGS"], "secret", sel)


def _subset(expected, actual):
    for key, value in expected.items():
        if isinstance(value, dict):
            _subset(value, actual[key])
        else:
            assert actual[key] == value, (key, actual)


@pytest.mark.parametrize(("message", "selection", "role", "tool", "args"), CALLS,
                         ids=[c[0] for c in CALLS])
def test_phrasing_maps_to_a_tool_call(shared, message, selection, role, tool, args):
    parsed = commands.interpret(_setup(shared, selection, role), message)
    assert parsed.tool == tool, parsed
    _subset(args, parsed.args)


@pytest.mark.parametrize(("message", "selection", "role", "answer"), ANSWERS,
                         ids=[a[0] or "empty" for a in ANSWERS])
def test_phrasing_gets_a_question_or_refusal(shared, message, selection, role, answer):
    parsed = commands.interpret(_setup(shared, selection, role), message)
    assert parsed.tool is None
    assert answer.lower() in parsed.reply.lower(), parsed.reply


def test_vocabulary_comes_from_the_database(app, world, ctx_for):
    """A new template or batch name is understood at once: no sentence list to update."""
    from leadreel.models import ImportBatch, VideoTemplate

    with app.app_context():
        spec = _db.session.get(VideoTemplate, world.templates["Default"]).spec
        _db.session.add(VideoTemplate(name="Holiday Special 2027", spec=spec))
        _db.session.add(ImportBatch(name="Trade show Q1", filename="f.csv", stored_path="-",
                                    owner_id=world.rep.id))
        _db.session.commit()
        parsed = commands.interpret(ctx_for(world.rep),
                                    "render trade show q1 with holiday special 2027")
    assert parsed.tool == "start_renders"
    assert parsed.args["template"] == "Holiday Special 2027"
    assert parsed.args["leads"]["batch"] == "Trade show Q1"
