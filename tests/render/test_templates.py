"""Template models: validation messages name the field; text variables are safe."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from leadreel.render.templates import (
    DEFAULT_TEMPLATE,
    VideoTemplate,
    render_text,
)

from .conftest import THREE_SEGMENTS, make_template


def _errors(data: dict) -> str:
    with pytest.raises(ValidationError) as info:
        VideoTemplate.model_validate(data)
    return str(info.value)


@pytest.mark.parametrize(
    ("segment", "field"),
    [
        ({"type": "pip", "id": "a", "clip": "c", "size": 2}, "segments.0.pip.size"),
        ({"type": "pip", "id": "a", "clip": "c", "position": "middle"}, "segments.0.pip.position"),
        (
            {"type": "fullscreen", "id": "a", "clip": "c", "fade_in": -1},
            "segments.0.fullscreen.fade_in",
        ),
        ({"type": "fullscreen", "id": "a", "clip": ""}, "segments.0.fullscreen.clip"),
        ({"type": "slideshow", "id": "a", "clip": "c"}, "segments.0"),
        (
            {"type": "audio_over_image", "id": "a", "clip": "c", "image": {"source": "image"}},
            "segments.0.audio_over_image.image",
        ),
        (
            {
                "type": "fullscreen",
                "id": "a",
                "clip": "c",
                "texts": [{"text": "x", "color": "#12"}],
            },
            "segments.0.fullscreen.texts.0.color",
        ),
        ({"type": "fullscreen", "id": "a", "clip": "c", "bogus": 1}, "segments.0.fullscreen.bogus"),
    ],
)
def test_validation_errors_name_the_bad_field(segment: dict, field: str) -> None:
    assert field in _errors({"segments": [segment]})


def test_unknown_transition_and_odd_size_are_rejected() -> None:
    bad = {"type": "fullscreen", "id": "a", "clip": "c", "transition": {"type": "spin"}}
    ok = {"type": "fullscreen", "id": "b", "clip": "c"}
    assert "transition.type" in _errors({"segments": [bad, ok]})
    assert "output.width" in _errors({"output": {"width": 641}, "segments": [ok]})


def test_template_level_rules_name_the_segment() -> None:
    seg = {"type": "fullscreen", "id": "a", "clip": "c"}
    assert "duplicate segment id" in _errors({"segments": [seg, seg]})
    last = {**seg, "transition": {"type": "fade"}}
    assert "segments[0].transition" in _errors({"segments": [last]})
    short = {**seg, "duration": 0.4, "transition": {"type": "fade", "duration": 0.5}}
    assert "segments[0].transition.duration" in _errors({"segments": [short, {**seg, "id": "b"}]})


def test_render_text_substitutes_and_never_evaluates() -> None:
    variables = {"first_name": "Ann", "company_name": None, "x": object()}
    text = "Hi {first_name}, {company_name}{missing} {{literal}} {x.__class__} {0}"
    assert render_text(text, variables) == "Hi Ann,  {literal} {x.__class__} {0}"
    assert render_text("{first_name}", {"first_name": "{company_name}"}) == "{company_name}"


def test_default_template_is_valid_and_caches_only_the_intro() -> None:
    again = VideoTemplate.model_validate_json(DEFAULT_TEMPLATE.model_dump_json())
    assert again == DEFAULT_TEMPLATE
    assert [s.type for s in DEFAULT_TEMPLATE.segments] == ["fullscreen", "pip", "audio_over_image"]
    assert DEFAULT_TEMPLATE.lead_independent_segments() == [0]
    assert DEFAULT_TEMPLATE.cacheable_segments() == [0]
    assert DEFAULT_TEMPLATE.asset_ids() == {"intro", "walkthrough", "outro"}


def test_fullscreen_with_lead_text_is_personal() -> None:
    segments = [dict(s) for s in THREE_SEGMENTS]
    segments[0]["texts"] = [{"text": "For {company_name}"}]
    assert make_template(segments).lead_independent_segments() == []
    segments[0]["texts"] = [{"text": "Hello there"}]
    assert make_template(segments).lead_independent_segments() == [0]


def test_cache_key_is_stable_and_covers_content_output_and_encoder() -> None:
    template = make_template(THREE_SEGMENTS)

    def key(t: VideoTemplate = template, clip: str = "h1", preset: str = "fast") -> str:
        return t.segment_cache_key(0, asset_hashes={"green": clip}, encoder={"preset": preset})

    assert key() == key()
    assert key(clip="h2") != key()
    assert key(preset="slow") != key()
    assert key(make_template(THREE_SEGMENTS, width=640, height=360)) != key()
    changed = [dict(s) for s in THREE_SEGMENTS]
    changed[0]["fade_out"] = 0.3
    assert key(make_template(changed)) != key()
    with pytest.raises(ValueError, match="depends on the lead"):
        template.segment_cache_key(1, asset_hashes={"green": "h"}, encoder={})


def test_render_text_fallback_for_missing_values() -> None:
    text = "Talk soon, {first_name|friend}! {company_name|your team}"
    assert (
        render_text(text, {"first_name": "Ann", "company_name": "Acme"}) == "Talk soon, Ann! Acme"
    )
    assert (
        render_text(text, {"first_name": "  ", "company_name": None})
        == "Talk soon, friend! your team"
    )
    assert render_text("{first_name}", {}) == ""
