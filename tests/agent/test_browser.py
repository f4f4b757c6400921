"""A real browser: select leads, ask the assistant for renders, confirm, see the rows change."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from leadreel.extensions import db as _db
from leadreel.models import ProcessingTask
from tests.agent.conftest import build_world

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def test_select_ask_confirm_and_see_render_tasks(app, live_server, page, tmp_path: Path):
    world = build_world(app)
    page.goto(f"{live_server}/login")
    page.fill("#email", "rep@x.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    picked = world.rep_leads[:2]
    for lead_id in picked:
        page.check(f'tr[data-lead-id="{lead_id}"] input[name="lead_ids"]')
    assert page.locator("[data-chat-scope]").inner_text() == "2 selected"
    page.fill("[data-chat-form] textarea", "render videos for the selected leads with Default")
    page.keyboard.press("Enter")
    plan = page.locator('[data-testid="chat-plan"]')
    plan.wait_for()
    assert "render 2 videos with template Default" in plan.inner_text()
    page.screenshot(path=str(tmp_path / "plan.png"), full_page=True)
    with app.app_context():
        assert _db.session.scalars(select(ProcessingTask)).all() == []
    plan.get_by_role("button", name="Confirm").click()
    page.locator(".chat-assistant", has_text="Started 2 renders with Default.").wait_for()
    for lead_id in picked:  # the rows refresh in place and show the queued renders
        cell = page.locator(f'tr[data-lead-id="{lead_id}"] [data-role="video-status"]')
        expect(cell).to_have_text("queued", timeout=15_000)
    untouched = page.locator(f'tr[data-lead-id="{world.rep_leads[2]}"] [data-role="video-status"]')
    assert untouched.inner_text().strip() == "no video"
    # ticks survive the refresh
    assert page.locator('tbody input[name="lead_ids"]:checked').count() == 2
    page.screenshot(path=str(tmp_path / "confirmed.png"), full_page=True)
    with app.app_context():
        tasks = _db.session.scalars(select(ProcessingTask)).all()
        assert sorted(t.lead_id for t in tasks) == sorted(picked)


def test_the_panel_folds_away_and_remembers_it(app, live_server, page):
    """Beside the table the panel folds into a button, and stays folded on the next page."""
    build_world(app)
    page.goto(f"{live_server}/login")
    page.fill("#email", "rep@x.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    box = page.locator(".chat-form textarea")
    expect(box).to_be_visible()
    page.click("[data-chat-toggle]")
    expect(box).to_be_hidden()
    page.reload()
    expect(page.locator(".chat-form textarea")).to_be_hidden()
    page.click("[data-chat-toggle]")
    expect(page.locator(".chat-form textarea")).to_be_visible()
