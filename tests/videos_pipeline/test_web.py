"""The videos blueprint: pages, upload validation, editor errors, file permissions."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import MediaAsset, RenderRun, User, Video
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.services.videos import pipeline, runs, template_store
from leadreel.services.videos.pipeline import Selection

from .conftest import drain, fake_capture


def _rendered_video(app, owner, make_lead, tiny_template, shots_dir) -> int:
    lead_id = make_lead(owner, screenshots=fake_capture(shots_dir))
    template_id = tiny_template()
    with app.app_context():
        result = pipeline.start_renders(
            db.session, db.session.get(User, owner.id), Selection(lead_ids=[lead_id]), template_id
        )
        db.session.commit()
    drain(app)
    return result.started[0]


def test_pages_render(app, client, make_user, login, make_lead, tiny_template, shots_dir):
    manager = make_user("manager")
    video_id = _rendered_video(app, manager, make_lead, tiny_template, shots_dir)
    login(manager)
    for url in (
        "/videos/",
        "/videos/render",
        "/videos/media",
        "/videos/templates",
        "/videos/templates/new",
        f"/videos/{video_id}",
        "/videos/render?q=ann",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get("/videos/").get_data(as_text=True)
    assert "data-video-id" in page and "live" in page and 'style="' not in page
    status = client.get(f"/videos/status.json?ids={video_id}").get_json()
    assert status["videos"][0]["status"] == "rendered"
    assert status["videos"][0]["thumbnail"].endswith("/file/thumbnail")
    player = client.get(f"/videos/{video_id}").get_data(as_text=True)
    assert "<video" in player and f"/videos/{video_id}/file/video" in player


def test_file_routes_check_the_lead(
    app, client, make_user, login, make_lead, tiny_template, shots_dir
):
    owner, other = make_user("rep"), make_user("rep")
    video_id = _rendered_video(app, owner, make_lead, tiny_template, shots_dir)
    login(other)
    for kind in ("video", "thumbnail", "preview"):
        assert client.get(f"/videos/{video_id}/file/{kind}").status_code == 404
    assert client.get(f"/videos/{video_id}").status_code == 404
    assert client.get(f"/videos/status.json?ids={video_id}").get_json()["videos"] == []
    with app.app_context():
        lead_id = db.session.get(Video, video_id).lead_id
    assert client.get(f"/videos/leads/{lead_id}/screenshot/website").status_code == 404
    client.post("/logout")
    login(owner)
    response = client.get(f"/videos/{video_id}/file/video?download=1")
    assert response.status_code == 200 and response.mimetype == "video/mp4"
    assert "attachment" in response.headers["Content-Disposition"]
    response.close()
    assert client.get(f"/videos/{video_id}/file/thumbnail").mimetype == "image/jpeg"
    assert client.get(f"/videos/{video_id}/file/nope").status_code == 404
    assert client.get(f"/videos/leads/{lead_id}/screenshot/website").status_code == 200


def test_rep_cannot_start_renders_for_others(
    app, client, make_user, login, make_lead, tiny_template
):
    alice, bob = make_user("rep"), make_user("rep")
    bobs = make_lead(bob)
    tiny_template()
    login(alice)
    response = client.post("/videos/render", data={"ids": str(bobs), "samples": "0"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Video)).all() == []


def test_render_form_samples_then_approve(app, client, make_user, login, make_lead, tiny_template):
    manager = make_user("manager")
    ids = [make_lead(manager, first=f"P{i}", company=f"C{i}") for i in range(3)]
    tiny_template()
    login(manager)
    response = client.post(
        "/videos/render",
        data={"ids": ",".join(map(str, ids)), "samples": "1"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Preparing 3 render(s): the first 1 as samples" in page
    assert 'data-run-status="preparing"' in page
    client.post("/videos/render", data={"ids": str(ids[0])})  # a second click, same lead
    drain(app, types=(runs.FANOUT,))
    page = client.get("/videos/").get_data(as_text=True)
    assert "1 render(s) queued; 2 waiting for your approval of the samples" in page
    assert "0 render(s) queued; 1 skipped (already rendering)" in page
    assert 'data-testid="samples-run"' in page
    with app.app_context():
        run_id = db.session.scalar(select(RenderRun.id).where(RenderRun.held == 2))
    response = client.post(f"/videos/runs/{run_id}/approve", follow_redirects=True)
    assert "2 render(s) released" in response.get_data(as_text=True)


def test_media_upload_validation(app, client, make_user, login):
    manager = make_user("manager")
    login(manager)
    bad = client.post(
        "/videos/media",
        data={"file": (io.BytesIO(b"not a video" * 100), "talk.mp4")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "talk.mp4: not a readable video file" in text
    wrong = client.post(
        "/videos/media",
        data={"file": (io.BytesIO(b"x"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 400 and "unsupported file type" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(MediaAsset).where(MediaAsset.name == "talk")) is None
        media = app.config["SETTINGS"].data_dir / "media"
        assert sorted(p.name for p in media.iterdir() if p.is_file()) == []
        demo = db.session.scalar(select(MediaAsset).where(MediaAsset.name == "Demo intro"))
        clip = Path(demo.path).read_bytes()
    good = client.post(
        "/videos/media",
        data={"file": (io.BytesIO(clip), "hello.mp4"), "name": "Hello"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert good.status_code == 200 and "Hello added." in good.get_data(as_text=True)
    with app.app_context():
        asset = db.session.scalar(select(MediaAsset).where(MediaAsset.name == "Hello"))
        assert asset.kind == "clip" and asset.has_audio and asset.duration > 1
        assert Path(asset.path).name != "hello.mp4" and len(asset.content_hash) == 64
        used = db.session.scalar(select(MediaAsset).where(MediaAsset.name == "Demo intro"))
    # a clip used by the default template cannot be deleted
    blocked = client.post(f"/videos/media/{used.id}/delete", follow_redirects=True)
    assert "used by template(s): Default" in blocked.get_data(as_text=True)
    client.post(f"/videos/media/{asset.id}/delete")
    assert not Path(asset.path).exists()


@pytest.mark.parametrize("role,code", [("rep", 403), ("manager", 200)])
def test_media_and_templates_need_their_role(app, client, make_user, login, role, code):
    login(make_user(role))
    assert client.get("/videos/media").status_code == code
    assert client.get("/videos/templates").status_code == code


def test_template_editor_errors_per_field(app, client, make_user, login, tiny_template):
    manager = make_user("manager")
    template_id = tiny_template()
    login(manager)
    with app.app_context():
        spec = db.session.get(TemplateRow, template_id).spec
    bad = json.loads(json.dumps(spec))
    bad["segments"][0]["size"] = 3
    bad["segments"][1]["texts"][0]["color"] = "not a colour!"
    response = client.post(
        f"/videos/templates/{template_id}",
        data={"name": "Tiny", "spec": json.dumps(bad), "allow_fallback": "on"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<code>segments.0.size</code>" in page
    assert "<code>segments.1.texts.0.color</code>" in page and "not a color" in page
    with app.app_context():
        assert db.session.get(TemplateRow, template_id).version == 1
    syntax = client.post("/videos/templates/validate", json={"spec": "{oops"}).get_json()
    assert syntax["ok"] is False and "not valid JSON" in syntax["errors"][0]["message"]
    live = client.post("/videos/templates/validate", json={"spec": json.dumps(bad)}).get_json()
    assert {e["loc"] for e in live["errors"]} == {"segments.0.size", "segments.1.texts.0.color"}
    assert client.post(
        "/videos/templates/validate", json={"spec": json.dumps(spec)}
    ).get_json() == {"ok": True, "errors": []}
    good = json.loads(json.dumps(spec))
    good["segments"][0]["size"] = 0.4
    response = client.post(
        f"/videos/templates/{template_id}",
        data={"name": "Tiny", "spec": json.dumps(good)},
        follow_redirects=True,
    )
    assert "version 2" in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(TemplateRow, template_id)
        assert row.version == 2 and row.allow_fallback is False


def test_live_preview_data_and_real_preview(
    app, client, make_user, login, make_lead, tiny_template, shots_dir
):
    manager = make_user("manager")
    lead_id = make_lead(manager, first="Ann", screenshots=fake_capture(shots_dir))
    template_id = tiny_template()
    login(manager)
    data = client.get(f"/videos/templates/lead/{lead_id}.json").get_json()
    assert data["variables"]["first_name"] == "Ann"
    assert set(data["images"]) == {"website", "website_viewport", "ads"}
    assert client.get(data["images"]["ads"]).status_code == 200
    assert client.get(data["assets"][0]["url"]).status_code == 200
    with app.app_context():
        spec = template_store.get_template(db.session, template_id).spec
    started = client.post(
        "/videos/templates/preview", json={"spec": json.dumps(spec), "lead_id": lead_id}
    ).get_json()
    drain(app)
    status = client.get(started["status_url"]).get_json()
    assert status["status"] == "succeeded", status
    video = client.get(status["video"])
    assert video.status_code == 200 and video.mimetype == "video/mp4"
    video.close()
    with app.app_context():
        assert db.session.scalars(select(Video)).all() == []  # previews are not lead videos


def test_lead_page_partial_shows_status_and_source(
    app, make_user, make_lead, tiny_template, shots_dir
):
    from flask import render_template_string

    from leadreel.models import Lead

    rep = make_user("rep")
    video_id = _rendered_video(app, rep, make_lead, tiny_template, shots_dir)
    with app.test_request_context():
        lead = db.session.get(Lead, db.session.get(Video, video_id).lead_id)
        html = render_template_string('{% include "videos/_lead_video.html" %}', lead=lead)
        assert "rendered" in html and "live capture" in html and f"/videos/{video_id}" in html
        other = db.session.get(Lead, make_lead(rep, first="New", company="Newco"))
        html = render_template_string('{% include "videos/_lead_video.html" %}', lead=other)
        assert "No video yet" in html and f"ids={other.id}" in html
