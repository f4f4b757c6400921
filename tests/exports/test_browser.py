"""Chromium drives the export pages: the editor reorders by keyboard and by drag, duplicates
and deletes columns with a live preview, saves; the overview exports ticked leads; the
Exports page downloads a file. Screenshots go to LEADREEL_SCREENSHOT_DIR when set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from leadreel.extensions import db as _db
from leadreel.models import Company, ExportTemplate, Lead
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def shot(page, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = Path(os.environ.get("LEADREEL_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"exports-{name}.png"), full_page=True)


@pytest.fixture
def manager_page(app, live_server, page, make_user):  # type: ignore[no-untyped-def]
    user = make_user("manager")
    with app.app_context():
        for first, company in (("Ann", "Acme"), ("Bo", "Beta"), ("", "Gamma")):
            _db.session.add(
                Lead(
                    owner_id=user.id,
                    first_name=first or None,
                    email=f"{company.lower()}@x.example",
                    company=Company(name=company),
                )
            )
        _db.session.commit()
    page.goto(f"{live_server}/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    return page


def test_editor_reorders_by_keyboard_and_drag(app, live_server, manager_page, tmp_path) -> None:
    page = manager_page
    page.goto(f"{live_server}/exports/templates/new")
    page.fill("[data-role=name]", "Outreach mine")
    page.click("[data-action=add]")  # Email
    page.click("[data-action=add]")
    last = page.locator(".column-row").nth(2)
    last.locator("[data-role=kind]").select_option("format")
    last = page.locator(".column-row").nth(2)
    last.locator("[data-role=value]").fill("Hi {first_name|there} at {company_name}")
    last.locator("[data-role=header]").fill("Greeting")
    th = page.locator("[data-testid=preview] th")
    expect(th).to_have_text(["First name", "Email", "Greeting"])
    expect(page.locator("[data-testid=preview] td", has_text="Hi there at Gamma")).to_have_count(1)
    # keyboard: focus the Greeting handle, move it to the top
    handle = page.locator(".column-row").nth(2).locator("[data-role=handle]")
    handle.focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.dataset.role") == "handle"
    expect(th).to_have_text(["Greeting", "First name", "Email"])
    assert "moved to position 1" in page.locator("#move-status").inner_text()
    # drag: Email onto the top half of the first row
    page.locator(".column-row").nth(2).drag_to(
        page.locator(".column-row").nth(0), target_position={"x": 20, "y": 3}
    )
    expect(th).to_have_text(["Email", "Greeting", "First name"])
    # duplicate and delete
    page.locator(".column-row").nth(1).locator("[data-action=duplicate]").click()
    expect(th).to_have_count(4)
    page.locator(".column-row").nth(0).locator("[data-action=delete]").click()
    expect(th).to_have_text(["Greeting", "Greeting", "First name"])
    shot(page, tmp_path, "editor")
    page.click("[data-testid=save-template]")
    page.wait_for_selector("text=Saved “Outreach mine”.")
    with app.app_context():
        saved = _db.session.query(ExportTemplate).filter_by(name="Outreach mine").one()
        assert [c["header"] for c in saved.columns] == ["Greeting", "Greeting", "First name"]
    assert "/edit" in page.url


def test_export_page_downloads_and_lists(live_server, manager_page, tmp_path) -> None:
    page = manager_page
    page.goto(f"{live_server}/exports/")
    shot(page, tmp_path, "index-empty")
    page.select_option("[data-testid=export-template]", "Email outreach")
    with page.expect_download() as info:
        page.click("[data-testid=export-submit]")
    download = info.value
    assert download.suggested_filename.startswith("leadreel-email-outreach-")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("First name,Last name,Email,Company,Video link")
    page.goto(f"{live_server}/exports/")
    assert page.locator("[data-testid=exports-table] tbody tr").count() == 1
    assert page.locator("[data-testid=download]").count() == 1
    shot(page, tmp_path, "index")


def test_overview_exports_ticked_leads(live_server, manager_page, tmp_path) -> None:
    page = manager_page
    page.goto(f"{live_server}/videos/")
    boxes = page.locator("tbody input[type=checkbox][name=lead_ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("[data-testid=export-selected]")
    page.wait_for_url("**/exports/new")
    assert "2" in page.locator("[data-testid=export-count]").inner_text()
    page.wait_for_selector("[data-preview] th")
    assert page.locator("[data-preview] tbody tr").count() == 2
    shot(page, tmp_path, "new")
    page.check("input[value=xlsx]")
    assert page.locator("[data-csv-only]").is_hidden()
    with page.expect_download() as info:
        page.click("[data-testid=export-submit]")
    assert info.value.suggested_filename.endswith(".xlsx")


def test_fields_page(live_server, manager_page, tmp_path) -> None:
    page = manager_page
    page.goto(f"{live_server}/exports/fields")
    page.fill("[data-testid=field-new] input[name=label]", "Lead Source")
    page.click("[data-testid=field-new] button")
    page.wait_for_selector("[data-testid=custom-fields]")
    assert "lead_source" in page.content()
    shot(page, tmp_path, "fields")
    page.click("text=Delete…")
    page.wait_for_selector("[data-testid=field-delete]")
    assert "0 value(s)" in page.inner_text("[data-testid=field-delete]")
    page.click("[data-testid=confirm-delete]")
    page.wait_for_selector("text=deleted with 0 value(s)")
