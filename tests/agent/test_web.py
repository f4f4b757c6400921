"""The chat endpoints: streamed JSON lines, CSRF, confirm, privacy, downloads, the admin log,
and the panel beside the leads table."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from leadreel.extensions import db as _db
from leadreel.models import ProcessingTask, Video
from tests.agent.conftest import build_world

PASSWORD = "correct horse battery"


def lines(response):
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines() if line]


def sign_in(client, email):
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302


def test_csrf_header_is_required(make_app):
    app = make_app()  # CSRF on
    build_world(app)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": "rep@x.test", "password": PASSWORD,
                                "csrf_token": token})
    body = {"message": "how many leads?"}
    assert client.post("/chat/api/message", json=body).status_code == 400
    assert client.post("/chat/api/confirm", json={"token": "x" * 20}).status_code == 400
    meta = re.search(r'name="csrf-token" content="([^"]+)"',
                     client.get("/chat/").get_data(as_text=True)).group(1)
    response = client.post("/chat/api/message", json=body, headers={"X-CSRFToken": meta})
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert lines(response)[-1]["reply"] == "4 leads match (4 no video)."


def test_message_stream_plan_and_confirm(app, world, client):
    sign_in(client, "rep@x.test")
    selection = {"lead_ids": world.rep_leads[:3]}
    response = client.post("/chat/api/message", json={
        "message": "render videos for the selected leads with Default", "selection": selection})
    events = lines(response)
    assert [e["type"] for e in events] == ["tool", "text", "done"]
    done = events[-1]
    assert done["pending"][0]["plan"] == "render 3 videos with template Default"
    token = done["pending"][0]["token"]
    changed = client.post("/chat/api/confirm", json={
        "token": token, "selection": {"lead_ids": world.rep_leads[:2]}})
    assert changed.status_code == 409 and "changed" in changed.get_json()["reply"]
    ok = client.post("/chat/api/confirm", json={"token": token, "selection": selection,
                                                "conversation_id": done["conversation_id"]})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["reply"] == "Started 3 renders with Default."
    with app.app_context():
        assert _db.session.scalar(select(func.count(Video.id))) == 3
        assert _db.session.scalar(select(func.count(ProcessingTask.id))) == 3
    assert client.post("/chat/api/confirm", json={"token": token,
                                                  "selection": selection}).status_code == 409
    # the conversation is stored and readable by its owner, not by another rep
    conv = client.get(f"/chat/api/conversations/{done['conversation_id']}").get_json()
    assert [m["role"] for m in conv["messages"]] == ["user", "assistant", "assistant"]
    client.post("/logout")
    sign_in(client, "sam@x.test")
    assert client.get(f"/chat/api/conversations/{done['conversation_id']}").status_code == 404
    assert client.post("/chat/api/confirm", json={"token": token,
                                                  "selection": selection}).status_code == 409


def test_bad_bodies_get_clear_errors(app, world, client):
    sign_in(client, "rep@x.test")
    assert client.post("/chat/api/message", json={}).status_code == 400
    bad = client.post("/chat/api/message", json={"message": "hi",
                                                  "selection": {"video_status": "bogus"}})
    assert bad.status_code == 400 and "unknown video status" in bad.get_json()["message"]


def test_export_download_is_the_owners_only(app, world, client):
    sign_in(client, "rep@x.test")
    done = lines(client.post("/chat/api/message", json={"message": "export all my leads"}))[-1]
    url = done["tool_calls"][0]["result"]["download_url"]
    path = url.split("localhost", 1)[-1]
    got = client.get(path)
    assert got.status_code == 200 and b"first_name" in got.data and b"Ann" in got.data
    client.post("/logout")
    sign_in(client, "sam@x.test")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(("email", "status"), [("rep@x.test", 403), ("manager@x.test", 403),
                                               ("admin@x.test", 200)])
def test_admin_reads_the_tool_log(app, world, client, email, status):
    sign_in(client, "rep@x.test")
    client.post("/chat/api/message", json={"message": "how many leads in batch March expo?"})
    client.post("/logout")
    sign_in(client, email)
    page = client.get("/chat/log")
    assert page.status_code == status
    if status == 200:
        text = page.get_data(as_text=True)
        assert "rep@x.test" in text and "count_leads" in text and "March expo" in text


def test_panel_sits_beside_the_leads_table(app, world, client):
    sign_in(client, "rep@x.test")
    page = client.get("/?q=ann").get_data(as_text=True)
    assert 'data-chat' in page and 'data-message-url="/chat/api/message"' in page
    assert "chat.js" in page and "\"q\": \"ann\"" in page  # the page's filter
    assert 'data-role="video-status"' in page
    assert client.get("/chat/").status_code == 200
