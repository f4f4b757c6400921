"""The template editor in a real browser: the live preview draws the lead's screenshot and
the JSON box shows server-side errors per field while typing (CSRF on, CSP enforced)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import PASSWORD

from .conftest import fake_capture

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


def test_live_preview_and_field_errors(
    live_server, page, make_user, make_lead, tiny_template, shots_dir
):
    manager = make_user("manager")
    make_lead(manager, screenshots=fake_capture(shots_dir))
    template_id = tiny_template()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server}/login")
    page.fill("#email", manager.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/videos/templates/{template_id}")

    # the website screenshot (solid blue in the fake capture) fills the pip segment's background
    page.wait_for_function(
        """() => {
        const c = document.querySelector('[data-stage]');
        const [r, g, b] = c.getContext('2d').getImageData(c.width / 2, c.height / 3, 1, 1).data;
        return b > 200 && r < 60 && g < 60;
    }""",
        timeout=15000,
    )
    assert page.locator("[data-time]").inner_text().endswith("/ 2.0 s")

    page.click("[data-json-panel] > summary")  # the JSON sits in the "Advanced (JSON)" box
    spec = json.loads(page.input_value("[data-spec]"))
    spec["segments"][0]["size"] = 5
    page.fill("[data-spec]", json.dumps(spec, indent=2))
    page.wait_for_selector("[data-errors] li:has-text('segments.0.size')", timeout=10000)

    # scrub to the ads segment: the yellow ads image replaces the site
    page.eval_on_selector(
        "[data-scrub]", "el => { el.value = 800; el.dispatchEvent(new Event('input')); }"
    )
    page.wait_for_function(
        """() => {
        const c = document.querySelector('[data-stage]');
        const [r, g, b] = c.getContext('2d').getImageData(c.width / 2, c.height / 3, 1, 1).data;
        return r > 200 && g > 200 && b < 80;
    }""",
        timeout=10000,
    )
    page.click("[data-add-segment=fullscreen]")
    assert json.loads(page.input_value("[data-spec]"))["segments"][-1]["type"] == "fullscreen"
    assert "{first_name} = Ann" in page.inner_text("[data-variables]")
    assert problems == []
