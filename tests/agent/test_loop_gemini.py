"""The agent loop against a scripted fake Gemini server (google-genai, function calling)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from leadreel.agent import turn
from leadreel.extensions import db as _db
from leadreel.models import ChatToolCall, ProcessingTask, User, Video
from tests.fakes.gemini_server import FakeGemini


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    with FakeGemini() as server:
        yield server


def ask(app, fake, user_id, message, selection=None, **extra):
    settings = app.config["SETTINGS"].model_copy(update={
        "assistant_provider": "gemini", "gemini_base_url": fake.url, "gemini_api_key": "k",
        "gemini_model": "fake-gemini", "ai_timeout": 5.0, **extra})
    events: list[dict] = []
    user = _db.session.get(User, user_id)
    out = turn.run_turn(_db.session, user, settings, app.config["SECRET_KEY"], message,
                        selection=selection, on_event=events.append)
    return out, events


def test_function_call_confirmation_and_tasks(app, world, fake):
    fake.call_functions(("start_renders", {"leads": {"batch": "March expo"},
                                           "template": "Short intro"}))
    fake.reply("Confirm to render the March expo leads with Short intro.")
    with app.app_context():
        out, events = ask(app, fake, world.rep.id, "render March expo with Short intro")
        assert out["provider"] == "gemini"
        assert out["pending"][0]["plan"] == "render 3 videos with template Short intro"
        assert len([e for e in events if e["type"] == "text"]) > 1  # streamed in pieces
        assert all(":streamGenerateContent" in r.path for r in fake.requests)
        # the function response went back as a functionResponse part
        last = fake.requests[-1].body["contents"][-1]["parts"][0]
        assert last["functionResponse"]["name"] == "start_renders"
        assert "NEEDS CONFIRMATION" in last["functionResponse"]["response"]["result"]
        decl = fake.requests[0].body["tools"][0]["functionDeclarations"]
        assert {d["name"] for d in decl} >= {"start_renders", "count_leads", "export_leads"}
        user = _db.session.get(User, world.rep.id)
        done = turn.confirm(_db.session, user, app.config["SETTINGS"], app.config["SECRET_KEY"],
                            out["pending"][0]["token"])
        assert done["ok"], done
        assert _db.session.scalar(select(func.count(Video.id))) == 3
        assert _db.session.scalar(select(func.count(ProcessingTask.id))) == 3


def test_bad_arguments_and_tool_errors_go_back_as_text(app, world, fake):
    fake.call_functions(("count_leads", {"leads": {"lead_ids": "lots"}}),
                        ("batch_progress", {"batch": "No such batch"}))
    fake.call_functions(("count_leads", {"leads": {"batch": "March expo"}}))
    fake.reply("3 leads.")
    with app.app_context():
        out, _ = ask(app, fake, world.rep.id, "how many?")
    parts = fake.requests[1].body["contents"][-1]["parts"]
    results = [p["functionResponse"]["response"]["result"] for p in parts]
    assert results[0].startswith("INVALID ARGUMENTS: leads.lead_ids")
    assert results[1].startswith("ERROR: no batch named 'No such batch'")
    assert [c["status"] for c in out["tool_calls"]] == ["invalid", "error", "done"]
    assert out["reply"] == "3 leads."


def test_step_limit(app, world, fake):
    for _ in range(5):
        fake.call_functions(("count_leads", {}))
    with app.app_context():
        out, _ = ask(app, fake, world.rep.id, "loop", assistant_max_steps=2)
        assert _db.session.scalar(select(func.count(ChatToolCall.id))) == 2
    assert out["stopped"] == "step_limit" and len(fake.requests) == 2
