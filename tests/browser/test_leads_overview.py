"""The Leads page in Chromium: filter, select all matching, start renders, and watch the rows'
progress change without a reload; plus the keyboard (/, j, k, x) on a narrow screen."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select, update
from tests.leads.conftest import drain

from leadreel.extensions import db
from leadreel.models import Company, Lead, MediaAsset, Video
from leadreel.services.setup import create_user
from leadreel.services.videos import runs, template_store

PASSWORD = "correct horse battery"


def _spec(clip: str) -> dict[str, Any]:
    return {
        "output": {"width": 320, "height": 180, "fps": 15},
        "segments": [
            {"type": "pip", "id": "site", "clip": clip, "duration": 1.0, "size": 0.3,
             "margin": 8, "circle": True, "background": {"source": "website_scroll"}},
        ],
    }


def _seed(app) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with app.app_context():
        s = db.session
        admin = create_user(s, "boss@example.com", PASSWORD, "admin")
        acme = Company(name="Acme Widgets", name_key="acme widgets", domain="acme.test")
        other = Company(name="Globex", name_key="globex", domain="globex.test")
        s.add_all([acme, other])
        s.flush()
        for i in range(8):
            s.add(Lead(first_name=f"Ann{i}", last_name="Lee", email=f"ann{i}@x.test",
                       company_id=(acme if i < 3 else other).id, owner_id=admin.id))
        clip = MediaAsset(kind="clip", name="Presenter", path="media/presenter.mp4",
                          duration=5.0, width=320, height=180, has_audio=True)
        s.add(clip)
        s.flush()
        template_store.create_template(s, "Tiny", _spec(str(clip.id)), is_default=True)
        s.commit()
        acme_ids = sorted(s.scalars(select(Lead.id).where(Lead.company_id == acme.id)))
    return {"acme": acme_ids}


def test_filter_select_all_render_and_rows_update_without_reload(app, live_server, page):
    seeded = _seed(app)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "boss@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/")
    page.keyboard.press("/")  # focuses the search
    page.keyboard.type("acme")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=acme**")
    rows = page.locator("tbody tr[data-lead-id]")
    assert rows.count() == 3
    page.check("[data-testid=select-matching]")
    assert "all 3 matching" in page.locator("[data-selection-count]").first.inner_text()
    page.click("[data-testid=bulk-render]")
    page.wait_for_selector(".flash-success")
    assert "Preparing 3 render(s)" in page.locator(".flash-success").inner_text()
    assert "q=acme" in page.url  # the filter survives the action
    page.evaluate("window.__noReload = 'still here'")
    statuses = page.locator('tbody [data-role="video-status"]')
    assert statuses.all_inner_texts() == ["no video"] * 3

    drain(app, (runs.FANOUT,))  # the real fan-out task creates the videos (queued)
    expect(statuses).to_have_text(["queued"] * 3, timeout=15000)
    with app.app_context():
        db.session.execute(update(Video).where(Video.lead_id == seeded["acme"][0])
                           .values(status="rendering", progress=0.5))
        db.session.execute(update(Video).where(Video.lead_id == seeded["acme"][1])
                           .values(status="failed", error="Website timed out"))
        db.session.commit()
    first = page.locator(f'tr[data-lead-id="{seeded["acme"][0]}"]')
    second = page.locator(f'tr[data-lead-id="{seeded["acme"][1]}"]')
    first.locator("text=rendering").wait_for(timeout=15000)
    second.locator("text=Website timed out").wait_for(timeout=15000)
    assert first.locator('[data-step="render"]').get_attribute("class") == "step step-running"
    assert "Website timed out" in (second.locator('[data-role="progress"]').get_attribute("title")
                                   or "")
    bar = first.locator(".progress.mini span")
    assert bar.evaluate("el => el.style.width") == "50%"
    assert page.evaluate("window.__noReload") == "still here"  # no reload happened


def test_keyboard_moves_and_ticks_rows_on_a_narrow_screen(app, live_server, browser):
    _seed(app)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", "boss@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{live_server}/")
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("k")
        page.keyboard.press("j")
        page.keyboard.press("x")
        current = page.locator("tbody tr.current")
        assert current.count() == 1
        assert current.evaluate("el => [...el.parentNode.children].indexOf(el)") == 1
        assert current.locator('input[type="checkbox"]').is_checked()
        assert page.locator("[data-selection-count]").first.inner_text() == "1 selected"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400  # the page itself does not scroll sideways (the table may)
    finally:
        context.close()
