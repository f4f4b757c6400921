"""The template editor's form in a real browser (CSRF on, the app's CSP enforced).

A salesperson adds a picture-in-picture segment with the form, the JSON and the live
preview follow, a bad value gets the server's message next to its field (while typing and
after a refused save), and saving makes a new version. Also: the JSON box drives the form,
keyboard-only reordering and variable insertion, and the phone-width layout.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from leadreel.extensions import db
from leadreel.models import VideoTemplate as TemplateRow
from tests.conftest import PASSWORD

from .conftest import fake_capture

pytestmark = pytest.mark.browser

# Share of "website blue" pixels (the fake capture is solid blue) in a canvas rectangle.
BLUE_SHARE = """([x0, y0, x1, y1]) => {
    const c = document.querySelector('[data-stage]');
    const data = c.getContext('2d').getImageData(x0, y0, x1 - x0, y1 - y0).data;
    let blue = 0, all = 0;
    for (let i = 0; i < data.length; i += 16) {
        all += 1;
        if (data[i + 2] > 200 && data[i] < 60 && data[i + 1] < 60) blue += 1;
    }
    return blue / all;
}"""


@pytest.fixture
def open_editor(
    live_server, browser, make_user, make_lead, tiny_template, shots_dir
) -> Iterator[Callable[..., tuple[Any, int, list[str]]]]:
    """Log a manager in and open the tiny template; returns (page, template id, problems)."""
    contexts = []

    def do(width: int = 1400, height: int = 900) -> tuple[Any, int, list[str]]:
        manager = make_user("manager")
        make_lead(manager, screenshots=fake_capture(shots_dir))
        template_id = tiny_template()
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server}/login")
        page.fill("#email", manager.email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/")
        page.goto(f"{live_server}/videos/templates/{template_id}")
        page.wait_for_selector("[data-form-root] .tf-seg >> nth=1")
        page.wait_for_selector("[data-validity]:has-text('No problems found.')")
        return page, template_id, problems

    yield do
    for context in contexts:
        context.close()


def spec_of(page: Any) -> dict[str, Any]:
    return json.loads(page.input_value("[data-spec]"))


def test_add_a_pip_with_the_form_see_json_preview_errors_and_save(app, open_editor):
    page, template_id, problems = open_editor()

    page.click("[data-add-segment=pip]")
    assert page.evaluate("document.activeElement.id") == "tf-segments-2-type"
    page.select_option("#tf-segments-2-clip", label="Demo walkthrough · 1.5 s")
    page.select_option("#tf-segments-2-position", "tl")
    page.fill("#tf-segments-2-size", "0.5")

    added = spec_of(page)["segments"][2]
    assert added["type"] == "pip" and added["position"] == "tl" and added["size"] == 0.5
    assert added["id"] not in ("site", "ads") and added["duration"] is None
    # the new segment lasts its clip (1.5 s): the preview's timeline grew from 2.0 s
    page.wait_for_function("document.querySelector('[data-time]').textContent.endsWith('/ 3.5 s')")
    # scrub into it: the presenter covers the top left, the website shows bottom right
    page.eval_on_selector(
        "[data-scrub]", "el => { el.value = 786; el.dispatchEvent(new Event('input')); }"
    )
    page.wait_for_function(
        f"() => ({BLUE_SHARE})([80, 70, 330, 210]) < 0.5 && ({BLUE_SHARE})([420, 250, 620, 350]) > 0.95",
        timeout=10000,
    )
    assert "pip" in page.inner_text("[data-segment-label]")

    # an invalid value: the server's message appears next to the field while typing
    page.fill("#tf-segments-2-size", "5")
    error = page.locator("[data-loc='segments.2.size'] .tf-error")
    error.wait_for(timeout=10000)
    assert "0.9" in error.inner_text()
    assert page.get_attribute("#tf-segments-2-size", "aria-invalid") == "true"
    assert "segments.2.size" in page.inner_text("[data-errors]")

    # a refused save keeps what was posted and puts the error on the same field
    page.click("form[data-template-form] button[type=submit]")
    page.wait_for_selector("[data-loc='segments.2.size'] .tf-error")
    assert page.input_value("#tf-segments-2-size") == "5"
    assert page.inner_text("[data-testid=template-version]") == "v1"

    page.fill("#tf-segments-2-size", "0.5")
    page.wait_for_selector("[data-validity]:has-text('No problems found.')")
    assert page.locator(".tf-error").count() == 0
    page.click("form[data-template-form] button[type=submit]")
    page.wait_for_selector("[data-testid=template-version]:has-text('v2')")
    assert "Saved Tiny (version 2)" in page.inner_text(".flashes")
    with app.app_context():
        saved = db.session.get(TemplateRow, template_id)
        assert saved.version == 2
        pip = saved.spec["segments"][2]
        assert (pip["type"], pip["position"], pip["size"]) == ("pip", "tl", 0.5)
    assert page.input_value("#tf-segments-2-size") == "0.5"
    # the refused save answered 400, which Chromium logs; nothing else may show up
    assert [p for p in problems if "status of 400" not in p] == []


def test_json_box_drives_the_form_and_the_form_waits_for_valid_json(open_editor):
    page, _, problems = open_editor()
    page.click("[data-json-panel] > summary")
    spec = spec_of(page)
    spec["segments"][0]["margin"] = 12
    spec["segments"][1]["texts"].append({"text": "Hello {first_name}", "position": "top"})
    page.fill("[data-spec]", json.dumps(spec, indent=2))
    assert page.input_value("#tf-segments-0-margin") == "12"
    assert page.input_value("#tf-segments-1-texts-1-text") == "Hello {first_name}"
    assert page.input_value("#tf-segments-1-texts-1-position") == "top"

    page.fill("[data-spec]", '{"segments": [')
    assert page.is_visible("[data-form-paused]")
    assert page.is_disabled("#tf-segments-0-margin")
    page.wait_for_selector("[data-loc=''] .tf-error:has-text('not valid JSON')")

    page.fill("[data-spec]", json.dumps(spec))
    assert not page.is_visible("[data-form-paused]")
    assert page.is_enabled("#tf-segments-0-margin")
    page.wait_for_selector("[data-validity]:has-text('No problems found.')")
    assert problems == []


def test_keyboard_only_reorder_and_insert_a_variable(open_editor):
    page, _, problems = open_editor()
    page.focus("[data-action=seg-down][data-seg='0']")
    page.keyboard.press("Enter")
    assert [s["id"] for s in spec_of(page)["segments"]] == ["ads", "site"]
    # focus stays on the moved segment (its "down" button is disabled now it is last)
    assert page.evaluate("document.activeElement.dataset.action") == "seg-up"
    assert page.evaluate("document.activeElement.dataset.seg") == "1"
    page.wait_for_selector("[data-announce]:has-text('Segment 1 moved to position 2.')")

    text_input = "#tf-segments-0-texts-0-text"
    page.focus(text_input)
    page.keyboard.press("End")
    page.keyboard.type(", ")
    page.keyboard.press("Tab")  # to the "Insert a lead variable" disclosure
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the first variable: {first_name}
    page.keyboard.press("Enter")
    assert page.input_value(text_input) == "Bye {first_name}, {first_name}"
    assert spec_of(page)["segments"][0]["texts"][0]["text"] == "Bye {first_name}, {first_name}"

    # every control of the generated form has a label
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('[data-form-root] input, [data-form-root] select')]
            .filter((el) => !el.labels.length && !el.getAttribute('aria-label'))
            .map((el) => el.id || el.outerHTML)"""
    )
    assert unlabeled == []
    assert problems == []


def test_phone_width_cards_stack(open_editor):
    page, _, problems = open_editor(width=390, height=844)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot = page.locator("#tf-segments-0-type").bounding_box()
    seg_id = page.locator("#tf-segments-0-id").bounding_box()
    assert shot["x"] == seg_id["x"] and seg_id["y"] > shot["y"]  # one column
    card = page.locator("#tf-segments-0").bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= 390
    page.click("[data-add-segment=audio_over_image]")
    page.select_option("#tf-segments-2-image-source", "image")
    # the image asset select appears, preselected with the library's demo image
    assert page.input_value("#tf-segments-2-image-asset_id") != ""
    assert spec_of(page)["segments"][2]["image"]["source"] == "image"
    page.wait_for_selector("[data-validity]:has-text('No problems found.')")
    assert problems == []
