"""The mapping review page in a real browser at a laptop size (1366x768): one row per
column with three sample values, a readable full-width choice list, the confidence and
reason, and the person-or-business decision, which the user can switch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parent.parent / "data"


def test_review_page_of_a_business_file(live_server, browser, make_user, tmp_path):
    user = make_user("rep")
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/imports/")
    page.set_input_files("#f-file", str(DATA / "places_export.csv"))
    page.click("button[type=submit]:has-text('Upload and preview')")
    page.wait_for_url("**/preview")

    kind = page.locator("[data-testid=file-kind]")
    assert kind.get_attribute("data-kind") == "businesses"
    assert "Each row is a business" in kind.inner_text()
    rows = page.locator("[data-testid=mapping-row]")
    assert rows.count() == 21
    first = rows.nth(0)
    assert first.locator(".sample").count() == 3
    assert "Acme Fitness" in first.inner_text()
    select = first.locator("select")
    assert select.input_value() == "company_name"
    assert "85%" in first.locator("[data-testid=field-reason]").inner_text()
    assert "names each business" in first.inner_text()
    box = select.bounding_box()
    assert box is not None and box["width"] >= 250  # readable, not cut to a few letters
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # no sideways scroll
    shot = Path(os.environ.get("LEADREEL_SCREENSHOT_DIR", tmp_path)) / "import_review.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000

    page.click("[data-testid=kind-switch]")
    page.wait_for_url("**/preview")
    assert page.locator("[data-testid=file-kind]").get_attribute("data-kind") == "people"
    assert "You chose this" in page.locator("[data-testid=file-kind]").inner_text()
    page.click("[data-testid=kind-switch]")
    page.wait_for_url("**/preview")
    assert page.locator("[data-testid=mapping-row] select").first.input_value() == "company_name"
    context.close()


def test_review_page_shows_what_free_text_gave(live_server, page, make_user, tmp_path):
    user = make_user("rep")
    page.goto(f"{live_server}/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/imports/")
    page.set_input_files("#f-file", str(DATA / "prospect_notes.csv"))
    page.click("button[type=submit]:has-text('Upload and preview')")
    page.wait_for_url("**/preview")
    mined = page.locator("[data-testid=mined]").inner_text()
    assert "jose@granitemedia.com" in mined and "Granite Media" in mined
    assert "General Manager" in mined
    shot = Path(os.environ.get("LEADREEL_SCREENSHOT_DIR", tmp_path)) / "import_review_mined.png"
    page.locator("[data-testid=mined]").screenshot(path=str(shot))
    assert shot.stat().st_size > 5_000
