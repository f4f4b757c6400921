"""The agent loop against a scripted fake OpenAI server (the real SDK, streaming, tools)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from leadreel.agent import turn
from leadreel.extensions import db as _db
from leadreel.models import ChatConfirmation, ChatToolCall, ProcessingTask, User, Video
from leadreel.services.leads.selection import Selection
from tests.fakes.openai_server import FakeOpenAI, tool_call


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def settings_for(app, fake: FakeOpenAI, **extra):
    return app.config["SETTINGS"].model_copy(update={
        "assistant_provider": "openai", "openai_base_url": fake.base_url,
        "openai_api_key": "test-key", "openai_model": "fake-gpt", "ai_timeout": 5.0, **extra})


def ask(app, fake, user_id: int, message: str, selection: Selection | None = None, **extra):
    events: list[dict] = []
    user = _db.session.get(User, user_id)
    out = turn.run_turn(_db.session, user, settings_for(app, fake, **extra),
                        app.config["SECRET_KEY"], message, selection=selection,
                        on_event=events.append)
    return out, events


def test_full_tool_call_confirmation_and_tasks(app, world, fake):
    picked = world.rep_leads[:2]
    fake.call_tools(tool_call("start_renders", {"leads": {"use_selection": True},
                                                "template": "Default", "samples": 1}))
    fake.reply("I prepared the renders; please confirm the plan.")
    with app.app_context():
        out, events = ask(app, fake, world.rep.id, "render videos for the selected leads, "
                          "one sample first", Selection(lead_ids=picked))
        assert out["provider"] == "openai"
        assert out["pending"][0]["plan"] == "render 2 videos with template Default, samples first: 1"
        assert out["reply"] == "I prepared the renders; please confirm the plan."
        # streamed: the text came in several pieces, the tool call as its own event
        texts = [e["text"] for e in events if e["type"] == "text"]
        assert len(texts) > 1 and "".join(texts) == out["reply"]
        assert [e["status"] for e in events if e["type"] == "tool"] == ["proposed"]
        assert all(r.body["stream"] is True for r in fake.requests)
        # the model was told to wait, and never saw the token
        tool_msg = fake.sent_messages(-1)[-1]
        assert tool_msg["role"] == "tool" and "NEEDS CONFIRMATION" in tool_msg["content"]
        assert out["pending"][0]["token"] not in json.dumps([r.body for r in fake.requests])
        # the tool schema sent to the model is the Args model's
        tools = {t["function"]["name"]: t["function"] for t in fake.requests[0].body["tools"]}
        assert "samples" in tools["start_renders"]["parameters"]["properties"]
        assert _db.session.scalar(select(func.count(Video.id))) == 0  # nothing yet

        user = _db.session.get(User, world.rep.id)
        done = turn.confirm(_db.session, user, app.config["SETTINGS"], app.config["SECRET_KEY"],
                            out["pending"][0]["token"], selection=Selection(lead_ids=picked),
                            conversation_id=out["conversation_id"])
        assert done["ok"], done
        videos = _db.session.scalars(select(Video).order_by(Video.id)).all()
        assert sorted(v.lead_id for v in videos) == sorted(picked)
        tasks = _db.session.scalars(select(ProcessingTask)).all()
        assert {t.lead_id for t in tasks} >= set(picked)
        assert {t.type for t in tasks} == {"screenshot"}
        assert sum(v.is_sample for v in videos) == 1
        log = _db.session.scalars(select(ChatToolCall).order_by(ChatToolCall.id)).all()
        assert [(c.tool, c.status) for c in log] == [("start_renders", "proposed"),
                                                     ("start_renders", "confirmed")]
        assert log[0].confirmation_id == log[1].confirmation_id
        assert log[1].arguments["template"] == "Default"
        row = _db.session.get(ChatConfirmation, log[0].confirmation_id)
        assert row.used_at is not None and row.user_id == world.rep.id


def test_malformed_tool_call_is_fed_back(app, world, fake):
    fake.call_tools(tool_call("count_leads", '{"leads": {"batch": '))  # broken JSON
    fake.call_tools(tool_call("count_leads", {"leads": {"lead_ids": "many"}}))  # wrong type
    fake.call_tools(tool_call("drop_tables", {}))  # no such tool
    fake.call_tools(tool_call("count_leads", {"leads": {"batch": "March expo"}}))
    fake.reply("There are 3 leads in March expo.")
    with app.app_context():
        out, _ = ask(app, fake, world.rep.id, "how many leads in March expo?")
    tool_results = [m["content"] for m in fake.sent_messages(-1) if m["role"] == "tool"]
    assert tool_results[0].startswith("INVALID ARGUMENTS: arguments are not valid JSON")
    assert tool_results[1].startswith("INVALID ARGUMENTS: leads.lead_ids")
    assert tool_results[2].startswith("INVALID ARGUMENTS: unknown tool 'drop_tables'")
    assert json.loads(tool_results[3])["count"] == 3
    assert [c["status"] for c in out["tool_calls"]] == ["invalid", "invalid", "invalid", "done"]
    assert out["reply"] == "There are 3 leads in March expo."


def test_tool_error_is_fed_back(app, world, fake):
    fake.call_tools(tool_call("start_renders", {"template": "Nope"}))
    fake.reply("There is no template called Nope.")
    with app.app_context():
        out, _ = ask(app, fake, world.rep.id, "render with Nope",
                     Selection(lead_ids=world.rep_leads[:1]))
        assert _db.session.scalar(select(func.count(Video.id))) == 0
    result = fake.sent_messages(-1)[-1]["content"]
    assert result.startswith("ERROR: no video template named 'Nope'")
    assert out["tool_calls"][0]["status"] == "error" and out["pending"] == []


def test_step_limit(app, world, fake):
    for _ in range(6):
        fake.call_tools(tool_call("count_leads", {}))
    with app.app_context():
        out, _ = ask(app, fake, world.rep.id, "count forever", assistant_max_steps=3)
    assert out["stopped"] == "step_limit"
    assert len(fake.requests) == 3 and len(out["tool_calls"]) == 3
    assert "stopped after 3 steps" in out["reply"]


def test_provider_failure_and_timeout_answer_without_changes(app, world, fake):
    fake.error(500)
    fake.slow("too late", delay=3)
    with app.app_context():
        failed, _ = ask(app, fake, world.rep.id, "hello")
        slow, _ = ask(app, fake, world.rep.id, "hello again", ai_timeout=0.5)
    assert failed["stopped"] == "provider_error" and "Nothing was changed" in failed["reply"]
    assert slow["stopped"] == "provider_error"


def test_lead_data_reaches_the_model_only_as_data(app, world, fake):
    fake.call_tools(tool_call("search_leads", {"leads": {"batch": "export everything now"}}))
    fake.reply("One lead.")
    with app.app_context():
        ask(app, fake, world.rep.id, "who is in that batch?")
    first = fake.requests[0].body["messages"]
    assert first[0]["role"] == "system"
    assert "ignore previous instructions" not in json.dumps(first)
    assert "export everything now" not in first[0]["content"]  # no batch names in the prompt
    assert first[1] == {"role": "user", "content": "who is in that batch?\n\n[page: nothing selected]"}
    result = fake.sent_messages(-1)[-1]["content"]
    leads = json.loads(result)["leads"]
    assert leads.startswith("<data>") and "ignore previous instructions" in leads


def test_the_turn_has_a_timeout(app, world, fake):
    fake.call_tools(tool_call("count_leads", {"leads": {"all_leads": True}}))
    fake.slow("far too late", delay=5)
    with app.app_context():
        out, _ = ask(app, fake, world.rep.id, "count", assistant_timeout=1.5)
    assert out["stopped"] == "timeout" and "ran out of time" in out["reply"]
    assert [c["status"] for c in out["tool_calls"]] == ["done"]
