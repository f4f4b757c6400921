"""A real browser logs in, sees the leads page, and logs out."""

from __future__ import annotations

import pytest
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_login_see_leads_logout(live_server, page, make_user):
    user = make_user("manager")
    page.goto(f"{live_server}/")
    assert "/login" in page.url
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert page.locator("h1").first.inner_text().startswith("Leads")
    assert page.locator("nav a", has_text="Tasks").count() == 1
    page.click("[data-testid=logout]")
    page.wait_for_url("**/login")
    assert "signed out" in page.content()


def test_wrong_password_shows_message(live_server, page, make_user):
    user = make_user("rep")
    page.goto(f"{live_server}/login")
    page.fill("#email", user.email)
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".flash-error").inner_text().startswith("Wrong email or password")


def test_phone_layout_has_menu_toggle(live_server, browser, make_user):
    user = make_user("rep")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert not page.locator("nav.nav").is_visible()
    page.click(".nav-toggle-label")
    assert page.locator("nav.nav").is_visible()
    context.close()
