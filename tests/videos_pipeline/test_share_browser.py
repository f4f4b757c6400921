"""The share page as a prospect, in Debian's Chromium: no login, the video plays (it
reports a duration), the play and the CTA click are recorded, scanners are not counted.
Also: the template editor shows the share page settings, and the Videos page links to
the share page in one click."""

from __future__ import annotations

import urllib.request

import pytest
from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import ShareVisit, User, Video
from leadreel.models import VideoTemplate as TemplateRow
from leadreel.services.videos import pipeline
from leadreel.services.videos.pipeline import Selection
from tests.conftest import PASSWORD

from .conftest import drain, fake_capture, tiny_spec

pytestmark = pytest.mark.browser
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture
def shared_video(app, make_user, make_lead, shots_dir):
    rep = make_user("rep")
    lead_id = make_lead(rep, first="Ann", company="Acme", screenshots=fake_capture(shots_dir))
    with app.app_context():
        share = {
            "headline": "Made for {company_name|you}",
            "message": "Hi {first_name}, a quick idea for {company_name}.",
            "cta_label": "Book a call with me",
            "cta_url": "https://booking.example.com/meet?company={company_name}",
        }
        row = TemplateRow(name="Tiny", spec=tiny_spec(db.session, share=share), is_default=True)
        db.session.add(row)
        db.session.commit()
        result = pipeline.start_renders(
            db.session, db.session.get(User, rep.id), Selection(lead_ids=[lead_id]), row.id
        )
        db.session.commit()
    drain(app)
    with app.app_context():
        video = db.session.get(Video, result.started[0])
        assert video.status == "rendered"
        return rep, video.id, video.share_token


def _visits(app, video_id):
    with app.app_context():
        return list(db.session.scalars(select(ShareVisit).where(ShareVisit.video_id == video_id)))


def test_prospect_plays_the_video_and_clicks_the_cta(
    app, live_server, browser, shared_video, tmp_path
):
    _rep, video_id, token = shared_video
    # a scanner and a HEAD first: stored apart, not views
    for request in (
        urllib.request.Request(f"{live_server}/v/{token}", method="HEAD"),
        urllib.request.Request(f"{live_server}/v/{token}", headers={"User-Agent": "Slackbot 1.0"}),
    ):
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
    # A person's phone browser (headless Chromium says "HeadlessChrome", which is on the
    # scanner list: sandboxes that open links use it).
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, user_agent=PHONE_UA
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(live_server)
            else (outside.append(route.request.url), route.fulfill(status=200, body="booked"))
        ),
    )
    page.goto(f"{live_server}/v/{token}")
    assert page.inner_text("[data-testid=share-headline]") == "Made for Acme"
    assert "Hi Ann, a quick idea for Acme." in page.inner_text("[data-testid=share-message]")
    page.screenshot(path=str(tmp_path / "share-phone.png"), full_page=True)
    duration = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const v = document.querySelector('video');
            v.muted = true;
            v.addEventListener('playing', () => resolve(v.duration), { once: true });
            v.addEventListener('error', () => reject(new Error('media error ' + v.error.code)));
            v.play().catch(reject);
        })"""
    )
    assert duration > 1.5
    page.evaluate(  # the app's CSP has no 'unsafe-eval': wait inside a function, not a string
        """() => new Promise((resolve) => {
            const v = document.querySelector('video');
            if (v.ended) resolve(true);
            v.addEventListener('ended', () => resolve(true), { once: true });
        })"""
    )
    with page.expect_navigation():
        page.click("[data-testid=share-cta]")
    assert outside == ["https://booking.example.com/meet?company=Acme"]
    assert problems == []
    context.close()
    with app.app_context():
        video = db.session.get(Video, video_id)
        assert (video.view_count, video.play_count) == (1, 1)
    visits = _visits(app, video_id)
    kinds = sorted((v.kind, v.reason or "") for v in visits)
    assert kinds == [("prefetch", "HEAD request"), ("prefetch", "scanner: slackbot"), ("view", "")]
    view = next(v for v in visits if v.kind == "view")
    assert view.played and view.progress == 100 and view.cta_clicks == 1


def test_share_page_is_one_click_from_the_videos_page(app, live_server, browser, shared_video):
    rep, _video_id, token = shared_video
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", rep.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/videos/")
    with context.expect_page() as opened:
        page.click("[data-testid=share-page-link]")
    share = opened.value
    share.wait_for_load_state()
    assert share.url == f"{live_server}/v/{token}"
    assert share.inner_text("[data-testid=share-headline]") == "Made for Acme"
    context.close()


def test_editor_form_shows_share_settings(app, live_server, browser, make_user, shared_video):
    manager = make_user("manager")
    with app.app_context():
        template_id = db.session.scalar(select(TemplateRow.id).where(TemplateRow.name == "Tiny"))
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", manager.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/videos/templates/{template_id}")
    page.wait_for_selector("#tf-share-cta_label")
    assert page.input_value("#tf-share-cta_label") == "Book a call with me"
    page.fill("#tf-share-headline", "Hello {company_name}")
    page.fill("#tf-share-cta_url", "ftp://nope")
    error = page.locator("[data-loc='share.cta_url'] .tf-error")
    error.wait_for(timeout=10000)
    assert "https://" in error.inner_text()
    page.fill("#tf-share-cta_url", "https://cal.example.com/{first_name}")
    page.wait_for_selector("[data-validity]:has-text('No problems found.')")
    page.click("form[data-template-form] button[type=submit]")
    page.wait_for_selector("[data-testid=template-version]:has-text('v2')")
    with app.app_context():
        saved = db.session.get(TemplateRow, template_id).spec["share"]
        assert saved["headline"] == "Hello {company_name}"
        assert saved["cta_url"] == "https://cal.example.com/{first_name}"
    context.close()


def test_share_link_appears_when_a_render_finishes_without_reload(
    app, live_server, browser, make_user, make_lead, shots_dir
):
    rep = make_user("rep")
    lead_id = make_lead(rep, first="Cy", company="Cyan", screenshots=fake_capture(shots_dir))
    with app.app_context():
        row = TemplateRow(name="Tiny", spec=tiny_spec(db.session), is_default=True)
        db.session.add(row)
        db.session.commit()
        pipeline.start_renders(
            db.session, db.session.get(User, rep.id), Selection(lead_ids=[lead_id]), row.id
        )
        db.session.commit()
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", rep.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/videos/")
    assert page.locator("[data-testid=share-page-link]").count() == 0
    page.evaluate("() => { window.notReloaded = true; }")
    drain(app)
    page.wait_for_selector("[data-testid=share-page-link]", timeout=15000)
    assert page.evaluate("() => window.notReloaded === true")
    with app.app_context():
        token = db.session.scalar(select(Video.share_token).where(Video.lead_id == lead_id))
    assert page.get_attribute("[data-testid=share-page-link]", "href") == f"{live_server}/v/{token}"
    context.close()
