"""The template editor's form, server side: what the page gives the form, what the form
posts is saved as is, errors come back with the loc of the field they belong to, and only
the roles that manage templates get in (CSRF included)."""

from __future__ import annotations

import copy
import html
import json
import re
from typing import Any

import pytest

from leadreel.extensions import db
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.render.templates import OutputSpec, TextOverlay
from leadreel.services.videos import template_store

EDITOR_DATA = re.compile(
    r'<script type="application/json" id="template-editor-data">(.*?)</script>', re.S
)
SPEC_BOX = re.compile(r'<textarea id="spec"[^>]*>(.*?)</textarea>', re.S)


def editor_data(page: str) -> dict[str, Any]:
    match = EDITOR_DATA.search(page)
    assert match, "the editor page embeds the form's options"
    return json.loads(match.group(1))


def spec_box(page: str) -> dict[str, Any]:
    match = SPEC_BOX.search(page)
    assert match
    return json.loads(html.unescape(match.group(1)))


def stored(app, template_id: int) -> TemplateRow:
    with app.app_context():
        row = db.session.get(TemplateRow, template_id)
        db.session.expunge(row)
        return row


def test_editor_page_gives_the_form_the_model_and_the_media(
    app, client, make_user, login, tiny_template
):
    template_id = tiny_template()
    login(make_user("manager"))
    response = client.get(f"/videos/templates/{template_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    data = editor_data(page)

    clips = {m["name"]: m for m in data["media"] if m["kind"] == "clip"}
    assert clips["Demo walkthrough"]["duration"] == pytest.approx(1.5, abs=0.1)
    assert {m["kind"] for m in data["media"]} == {"clip", "image"}
    assert data["segment_types"] == ["fullscreen", "pip", "audio_over_image"]
    # each type's fields, in the model's order, straight from the pydantic schema
    pip_fields = data["field_order"]["PipSegment"]
    assert pip_fields[:2] == ["id", "clip"]
    assert {"position", "size", "margin", "circle", "background"} <= set(pip_fields)
    assert "zoom" not in pip_fields and "zoom" in data["field_order"]["AudioOverImageSegment"]
    pip_schema = data["schema"]["$defs"]["PipSegment"]["properties"]
    assert pip_schema["position"]["enum"] == ["tl", "tr", "bl", "br"]
    assert (pip_schema["size"]["minimum"], pip_schema["size"]["maximum"]) == (0.05, 0.9)
    assert "fade" in data["transitions"] and "none" not in data["transitions"]
    assert {"first_name", "company_name", "job_title"} <= set(data["variables"])
    assert data["errors"] == []
    assert spec_box(page)["segments"][0]["id"] == "site"

    # CSP: module script from /static only, no inline code or styles; videos.js's old
    # editor is not loaded here
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert all("src=" in tag or 'type="application/json"' in tag for tag in scripts), scripts
    assert "/static/template_editor.js" in page and "/static/videos.js" not in page
    assert not re.search(r"\son[a-z]+=", page) and 'style="' not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_blank_segments_texts_and_presets_are_valid(app):
    with app.app_context():
        options = template_store.editor_options(db.session)
        clip = next(m["id"] for m in options["media"] if m["kind"] == "clip")
        for index, kind in enumerate(options["segment_types"]):
            blank = options["blank_segments"][kind]
            segment = dict(blank, type=kind, id=f"s{index}", clip=clip)
            segment["texts"] = [options["blank_text"]]
            model = template_store.parse_spec({"segments": [segment]}, session=db.session)
            assert model.segments[0].model_dump(mode="json") == segment
    assert TextOverlay.model_validate(options["blank_text"]).text == "Hi {first_name|there}"
    first, *others = options["presets"]
    assert (first["width"], first["height"]) == (OutputSpec().width, OutputSpec().height)
    for preset in options["presets"]:
        OutputSpec(width=preset["width"], height=preset["height"])
    assert [p["key"] for p in options["presets"]] == ["720p", "1080p", "square", "vertical"]


def test_what_the_form_posts_is_saved_as_posted(app, client, make_user, login, tiny_template):
    template_id = tiny_template()
    login(make_user("manager"))
    data = editor_data(client.get(f"/videos/templates/{template_id}").get_data(as_text=True))
    spec = template_store.editable_spec(stored(app, template_id).spec)
    walkthrough = next(m["id"] for m in data["media"] if m["name"] == "Demo walkthrough")
    # what the form builds: "+ Picture-in-picture", then position, size and a text
    added = dict(data["blank_segments"]["pip"], type="pip", id="pip_3", clip=walkthrough)
    added.update(position="tl", size=0.5, texts=[dict(data["blank_text"], start=0.5, end=1.0)])
    spec["segments"].append(added)
    vertical = next(p for p in data["presets"] if p["key"] == "vertical")
    spec["output"].update(width=vertical["width"], height=vertical["height"])

    response = client.post(
        f"/videos/templates/{template_id}",
        data={"name": "Tiny", "spec": json.dumps(spec), "allow_fallback": "on"},
    )
    assert response.status_code == 302
    row = stored(app, template_id)
    assert row.version == 2
    assert row.spec["segments"][2] == added
    assert (row.spec["output"]["width"], row.spec["output"]["height"]) == (1080, 1920)
    # reopening shows the same spec to the form and the JSON box
    page = client.get(f"/videos/templates/{template_id}").get_data(as_text=True)
    assert spec_box(page) == template_store.editable_spec(row.spec)

    # posting it again unchanged makes no new version
    client.post(
        f"/videos/templates/{template_id}",
        data={"name": "Tiny", "spec": json.dumps(spec), "allow_fallback": "on"},
    )
    assert stored(app, template_id).version == 2


def _set(path: str, value: Any):
    def change(spec: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = spec
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value

    return change


@pytest.mark.parametrize(
    "change,loc,fragment",
    [
        (_set("segments.0.size", 5), "segments.0.size", "less than or equal to 0.9"),
        # what the form sends when a number box holds something that is not a number
        (_set("segments.0.size", "not a number"), "segments.0.size", "valid number"),
        (_set("segments.0.position", "middle"), "segments.0.position", "'tl'"),
        (_set("segments.1.texts.0.color", "nope!"), "segments.1.texts.0.color", "not a color"),
        (_set("segments.1.texts.0.end", 0), "segments.1.texts.0.end", "greater than 0"),
        (_set("segments.0.clip", "999"), "segments.0.clip", "no media asset"),
        (_set("segments.0.background", {"source": "image"}), "segments.0.background", "asset"),
        (_set("output.width", 321), "output.width", "even"),
        # checks across segments used to come back with an empty loc; now they name it
        (_set("segments.1.id", "site"), "segments.1.id", "duplicate segment id"),
        (
            _set("segments.1.transition", {"type": "fade", "duration": 0.5}),
            "segments.1.transition",
            "last segment",
        ),
        (
            _set("segments.0.transition", {"type": "fade", "duration": 1.0}),
            "segments.0.transition.duration",
            "not shorter than segment",
        ),
    ],
)
def test_errors_come_back_with_the_loc_of_their_field(
    app, client, make_user, login, tiny_template, change, loc, fragment
):
    template_id = tiny_template()
    login(make_user("manager"))
    spec = copy.deepcopy(template_store.editable_spec(stored(app, template_id).spec))
    change(spec)

    live = client.post("/videos/templates/validate", json={"spec": json.dumps(spec)}).get_json()
    assert live["ok"] is False
    assert [e["loc"] for e in live["errors"]] == [loc]
    assert fragment in live["errors"][0]["message"]
    assert not live["errors"][0]["message"].startswith("segments[")

    response = client.post(
        f"/videos/templates/{template_id}", data={"name": "Tiny", "spec": json.dumps(spec)}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert editor_data(page)["errors"] == live["errors"]  # the form places them by loc
    assert f"<code>{loc}</code>" in page  # and the no-JavaScript list shows them
    assert spec_box(page) == spec  # what was posted stays in the editor
    assert stored(app, template_id).version == 1


def test_a_name_error_is_shown_at_the_name_field(app, client, make_user, login, tiny_template):
    template_id = tiny_template()
    login(make_user("manager"))
    spec = template_store.editable_spec(stored(app, template_id).spec)
    response = client.post(
        f"/videos/templates/{template_id}", data={"name": "  ", "spec": json.dumps(spec)}
    )
    assert response.status_code == 400
    assert editor_data(response.get_data(as_text=True))["errors"] == [
        {"loc": "name", "message": "a name is required"}
    ]


@pytest.mark.parametrize(
    "role,allowed",
    [("rep", False), ("manager", True), ("admin", True)],
)
def test_only_template_managers_use_the_editor(
    app, client, make_user, login, tiny_template, role, allowed
):
    template_id = tiny_template()
    login(make_user(role))
    spec = template_store.editable_spec(stored(app, template_id).spec)
    spec["segments"][0]["size"] = 0.4
    assert client.get(f"/videos/templates/{template_id}").status_code == (200 if allowed else 403)
    assert client.get("/videos/templates/new").status_code == (200 if allowed else 403)
    check = client.post("/videos/templates/validate", json={"spec": json.dumps(spec)})
    assert check.status_code == (200 if allowed else 403)
    saved = client.post(
        f"/videos/templates/{template_id}", data={"name": "Tiny", "spec": json.dumps(spec)}
    )
    assert saved.status_code == (302 if allowed else 403)
    assert stored(app, template_id).version == (2 if allowed else 1)


def test_the_form_and_its_checks_need_the_csrf_token(app, client, make_user, login, tiny_template):
    template_id = tiny_template()
    login(make_user("manager"))
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(f"/videos/templates/{template_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    spec = json.dumps(template_store.editable_spec(stored(app, template_id).spec))

    assert client.post("/videos/templates/validate", json={"spec": spec}).status_code == 400
    check = client.post(
        "/videos/templates/validate", json={"spec": spec}, headers={"X-CSRFToken": token}
    )
    assert check.get_json() == {"ok": True, "errors": []}
    form = {"name": "Renamed", "spec": spec}
    assert client.post(f"/videos/templates/{template_id}", data=form).status_code == 400
    saved = client.post(f"/videos/templates/{template_id}", data=dict(form, csrf_token=token))
    assert saved.status_code == 302
    assert stored(app, template_id).name == "Renamed"
