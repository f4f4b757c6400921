"""An admin connects Google Drive in a real browser (Chromium through the fake Google's
consent redirect), picks it as the destination, sees its state and disconnects it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).parent / "screenshots"


def test_connect_choose_and_disconnect_in_a_browser(live_server, browser, admin, google, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, ignore_https_errors=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/login")
    page.fill("#email", admin.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/storage/")
    assert "No Drive account is connected" in page.content()
    with page.expect_navigation(url=f"{live_server}/storage/"):
        page.click("[data-testid=connect-drive]")  # to the fake Google and straight back
    assert "is connected" in page.locator(".flash-success").inner_text()
    row = page.locator("[data-testid=drive-accounts] tbody tr")
    assert row.count() == 1 and google.email in row.inner_text()
    assert row.locator("[data-testid=account-state]").inner_text() == "Connected"
    page.select_option("#destination", label=f"Drive: {google.email}")
    page.click("form[action$='/storage/destination'] >> text=Save")
    page.wait_for_url(f"{live_server}/storage/")
    assert "default" in page.locator("[data-testid=drive-accounts]").inner_text()
    page.screenshot(path=str(tmp_path / "storage.png"), full_page=True)
    (token,) = google.refresh_tokens
    assert token not in page.content()
    page.click("text=Disconnect")
    page.wait_for_url(f"{live_server}/storage/")
    assert "disconnected" in page.locator(".flash").first.inner_text()
    assert google.refresh_tokens[token] is False
    context.close()
