"""Share pages: token per rendered video, public page and media, view tracking, link
switch, access limits, and the token surviving a re-render."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import ShareEvent, ShareVisit, User, Video
from leadreel.services.delivery import views
from leadreel.services.videos import pipeline
from leadreel.services.videos.pipeline import Selection

from .conftest import build_app, drain, fake_capture

BROWSER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)


@pytest.fixture
def app(make_app, db_url, site, down_port, demo_files):
    """On SQLite and, when CI provides one, on PostgreSQL."""
    return build_app(make_app, site, down_port, demo_files, database_url=db_url)


def _render(app, owner, lead_id, template_id) -> int:
    with app.app_context():
        result = pipeline.start_renders(
            db.session, db.session.get(User, owner.id), Selection(lead_ids=[lead_id]), template_id
        )
        db.session.commit()
    drain(app)
    return result.started[0]


@pytest.fixture
def shared(app, make_user, make_lead, tiny_template, shots_dir):
    """A rep's lead with one rendered video; returns (rep, lead id, video id, token)."""
    rep = make_user("rep")
    with app.app_context():
        db.session.get(User, rep.id).name = "Riley Rep"
        db.session.commit()
    lead_id = make_lead(rep, first="Ann", company="Acme", screenshots=fake_capture(shots_dir))
    video_id = _render(app, rep, lead_id, tiny_template())
    with app.app_context():
        video = db.session.get(Video, video_id)
        assert video.status == "rendered"
        token = video.share_token
    return rep, lead_id, video_id, token


def _visit_key(html: str) -> str:
    match = re.search(r'data-visit="([^"]*)"', html)
    assert match is not None
    return match.group(1)


def _counts(app, video_id):
    with app.app_context():
        video = db.session.get(Video, video_id)
        return video.view_count, video.play_count


def test_rendered_video_gets_an_unguessable_token(app, shared):
    _rep, _lead, video_id, token = shared
    assert token and len(token) >= 22 and str(video_id) != token  # >= 128 bits, not the id


def test_public_page_without_login_has_og_tags_and_texts(app, client, shared):
    _rep, _lead, _video, token = shared
    response = client.get(f"/v/{token}", headers={"User-Agent": BROWSER_UA})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    base = "http://localhost"
    for prop, value in (
        ("og:image", f"{base}/v/{token}/thumbnail.jpg"),
        ("og:video", f"{base}/v/{token}/video.mp4"),
        ("og:url", f"{base}/v/{token}"),
        ("twitter:image", f"{base}/v/{token}/thumbnail.jpg"),
    ):
        assert re.search(rf'(property|name)="{prop}" content="{re.escape(value)}"', html), prop
    assert 'property="og:title" content="Made for Acme"' in html
    assert "Riley Rep" in html and "Made for Acme" in html
    assert "http://" not in html.replace(base, "")  # no third-party resource, absolute ours only
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_public_url_setting_shapes_links(app, client, shared):
    _rep, _lead, _video, token = shared
    app.config["SETTINGS"].public_url = "https://videos.example.com/"
    html = client.get(f"/v/{token}", headers={"User-Agent": BROWSER_UA}).get_data(as_text=True)
    assert f'content="https://videos.example.com/v/{token}/thumbnail.jpg"' in html


def test_media_routes_serve_only_this_video_with_ranges(app, client, shared):
    _rep, _lead, _video, token = shared
    full = client.get(f"/v/{token}/video.mp4")
    assert full.status_code == 200 and full.mimetype == "video/mp4"
    size = len(full.data)
    part = client.get(f"/v/{token}/video.mp4", headers={"Range": "bytes=10-99"})
    assert part.status_code == 206 and len(part.data) == 90
    assert part.headers["Content-Range"] == f"bytes 10-99/{size}"
    assert client.get(f"/v/{token}/thumbnail.jpg").mimetype == "image/jpeg"
    assert client.get(f"/v/{token}/preview.gif").mimetype == "image/gif"
    email = client.get(f"/v/{token}/email.jpg")
    assert email.status_code == 200 and email.mimetype == "image/jpeg"
    for bad in ("card.png", "..%2Fcard.png", "video.mp4.bak", "events"):
        assert client.get(f"/v/{token}/{bad}").status_code in (404, 405), bad


def test_token_opens_nothing_else(
    app, client, make_user, make_lead, tiny_template, shots_dir, shared
):
    rep, _lead, _video, token = shared
    other = make_user("rep")
    other_lead = make_lead(other, first="Bo", company="Beta", screenshots=fake_capture(shots_dir))
    other_id = _render(app, other, other_lead, tiny_template(name="Tiny 2"))
    client.get(f"/v/{token}", headers={"User-Agent": BROWSER_UA})
    # the share page gave no session: app pages and other videos' files stay closed
    for url in ("/videos/", f"/videos/{other_id}", f"/videos/{other_id}/file/video", "/leads/"):
        response = client.get(url)
        assert response.status_code in (302, 401, 404), url
        assert response.status_code != 200
    wrong = token[:-1] + ("x" if token[-1] != "x" else "y")
    assert client.get(f"/v/{wrong}/video.mp4").status_code == 404
    assert client.get("/v/" + "A" * 32).status_code == 404


def test_view_counts_need_script_activity_and_skip_scanners(app, client, shared):
    _rep, _lead, video_id, token = shared
    assert client.head(f"/v/{token}").status_code == 200
    slack = client.get(f"/v/{token}", headers={"User-Agent": "Slackbot-LinkExpanding 1.0"})
    assert _visit_key(slack.get_data(as_text=True)) == ""  # no key: nothing can confirm it
    client.get(f"/v/{token}", headers={"User-Agent": "python-requests/2.31"})
    client.get(f"/v/{token}", headers={"User-Agent": BROWSER_UA})  # opened, no script ran
    assert _counts(app, video_id) == (0, 0)
    key = _visit_key(
        client.get(f"/v/{token}", headers={"User-Agent": BROWSER_UA}).get_data(as_text=True)
    )
    post = lambda body: client.post(f"/v/{token}/events", json=body).get_json()  # noqa: E731
    assert post({"visit": key, "kind": "open"})["counted"] is True
    assert post({"visit": key, "kind": "play"})["counted"] is True
    assert post({"visit": key, "kind": "play"})["counted"] is False  # once per visit
    assert post({"visit": key, "kind": "progress", "value": 50})["counted"] is True
    assert post({"visit": key, "kind": "progress", "value": 33})["counted"] is False
    assert post({"visit": key, "kind": "cta"})["counted"] is True
    assert post({"visit": "made-up", "kind": "play"})["counted"] is False
    assert post({"visit": key, "kind": "hack"})["counted"] is False
    assert _counts(app, video_id) == (1, 1)
    with app.app_context():
        video = db.session.get(Video, video_id)
        stats = views.stats(db.session, video)
        assert stats.prefetched == 4 and stats.cta_clicks == 1
        assert video.first_viewed_at is not None and video.last_viewed_at is not None
        kinds = {v.reason for v in db.session.scalars(select(ShareVisit)) if v.kind == "prefetch"}
        assert kinds == {"HEAD request", "scanner: slackbot", "scanner: python-requests"}
        assert db.session.query(ShareEvent).count() == 4


@pytest.mark.parametrize(
    "agent",
    [
        "facebookexternalhit/1.1",
        "Twitterbot/1.0",
        "LinkedInBot/1.0",
        "Googlebot/2.1",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Microsoft Office/16.0 (Windows NT 10.0)",
        "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
        "Proofpoint URL Defense",
        "Mimecast Link Scanner",
        "Barracuda Sentinel",
        "WhatsApp/2.23",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Discordbot/2.0)",
        "Applebot/0.1",
        "curl/8.4.0",
        "",
    ],
)
def test_scanner_agents_are_prefetch(agent):
    assert views.prefetch_reason("GET", agent) is not None
    assert views.prefetch_reason("GET", BROWSER_UA) is None


def test_events_from_one_video_do_not_count_on_another(
    app, client, make_user, make_lead, tiny_template, shots_dir, shared
):
    _rep, _lead, video_id, token = shared
    other = make_user("rep")
    lead = make_lead(other, first="Bo", company="Beta", screenshots=fake_capture(shots_dir))
    other_id = _render(app, other, lead, tiny_template(name="Tiny 2"))
    with app.app_context():
        other_token = db.session.get(Video, other_id).share_token
    key = _visit_key(
        client.get(f"/v/{token}", headers={"User-Agent": BROWSER_UA}).get_data(as_text=True)
    )
    reply = client.post(f"/v/{other_token}/events", json={"visit": key, "kind": "play"})
    assert reply.get_json()["counted"] is False
    assert _counts(app, other_id) == (0, 0) and _counts(app, video_id) == (0, 0)


def test_disabled_link_404s_and_only_owner_or_manager_can_switch(
    app, client, make_user, login, shared
):
    rep, _lead, video_id, token = shared
    other, manager = make_user("rep"), make_user("manager")
    login(other)
    assert client.post(f"/videos/{video_id}/share", data={"enabled": "0"}).status_code == 404
    assert client.get(f"/videos/{video_id}").status_code == 404
    client.post("/logout")
    login(rep)
    assert client.post(f"/videos/{video_id}/share", data={"enabled": "0"}).status_code == 302
    client.post("/logout")
    gone = client.get(f"/v/{token}", headers={"User-Agent": BROWSER_UA})
    assert gone.status_code == 404 and "not available" in gone.get_data(as_text=True)
    assert client.get(f"/v/{token}/video.mp4").status_code == 404
    login(manager)
    assert client.post(f"/videos/{video_id}/share", data={"enabled": "1"}).status_code == 302
    client.post("/logout")
    assert client.get(f"/v/{token}", headers={"User-Agent": BROWSER_UA}).status_code == 200


def test_rep_cannot_see_another_reps_links_or_views(app, client, make_user, login, shared):
    rep, lead_id, video_id, token = shared
    other = make_user("rep")
    login(other)
    assert token not in client.get("/videos/").get_data(as_text=True)
    assert client.get(f"/leads/{lead_id}").status_code == 404
    client.post("/logout")
    login(rep)
    page = client.get("/videos/").get_data(as_text=True)
    assert f"/v/{token}" in page and 'data-testid="copy-snippet"' in page
    lead_page = client.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert f"/v/{token}" in lead_page and 'data-testid="view-stats"' in lead_page


def test_rerender_keeps_the_link_and_its_views(app, client, shared, tiny_template):
    rep, lead_id, video_id, token = shared
    key = _visit_key(
        client.get(f"/v/{token}", headers={"User-Agent": BROWSER_UA}).get_data(as_text=True)
    )
    client.post(f"/v/{token}/events", json={"visit": key, "kind": "play"})
    with app.app_context():
        result = pipeline.rerender(db.session, db.session.get(User, rep.id), video_id)
        db.session.commit()
    drain(app)
    new_id = result.started[0]
    with app.app_context():
        new, old = db.session.get(Video, new_id), db.session.get(Video, video_id)
        assert new.status == "rendered" and new.share_token == token and old.share_token is None
        assert (new.view_count, new.play_count) == (1, 1)
        new_file = new.file_path
    response = client.get(f"/v/{token}/video.mp4")
    assert response.status_code == 200
    with open(new_file, "rb") as handle:
        assert response.data == handle.read()


def test_videos_page_sorts_by_views(
    app, client, make_user, login, make_lead, tiny_template, shots_dir
):
    manager = make_user("manager")
    template_id = tiny_template()
    ids = []
    for first in ("Ann", "Bob"):
        lead = make_lead(
            manager, first=first, company=f"{first} Co", screenshots=fake_capture(shots_dir)
        )
        ids.append(_render(app, manager, lead, template_id))
    with app.app_context():
        db.session.get(Video, ids[0]).view_count = 5  # the older lead is the most viewed
        db.session.commit()
    login(manager)
    newest = client.get("/videos/").get_data(as_text=True)
    by_views = client.get("/videos/?sort=views").get_data(as_text=True)
    order = lambda html: [int(i) for i in re.findall(r'data-video-id="(\d+)"', html)]  # noqa: E731
    assert order(newest) == [ids[1], ids[0]]
    assert order(by_views) == [ids[0], ids[1]]
