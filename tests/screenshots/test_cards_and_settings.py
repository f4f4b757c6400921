"""Title cards and screenshot settings (no browser)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from pydantic import ValidationError

from leadreel.render import cards
from leadreel.render.cards import title_card
from leadreel.services.videos.screenshots import (
    CaptureTarget,
    ScreenshotSettings,
    ads_url_for,
    website_url_for,
)


@pytest.mark.parametrize(
    ("name", "domain"),
    [
        ("Acme", "acme.com"),
        ("Müller & Söhne Präzisionsmaschinenbau GmbH & Co. KG International", "mueller.de"),
        ("W" * 300, None),
        ("", "only-domain.io"),
        ("北京科技有限公司", "example.cn"),
    ],
)
def test_title_card(name: str, domain: str | None, tmp_path: Path) -> None:
    out = title_card(name, domain, tmp_path / "sub" / "card.png")
    with Image.open(out) as image:
        assert image.size == (1280, 720) and image.format == "PNG"
        stats = ImageStat.Stat(image.convert("L"))
        assert stats.extrema[0][1] > 200  # white text was drawn on the dark background


def test_title_card_is_stable_per_company_and_sized(tmp_path: Path) -> None:
    a = title_card("Acme", "acme.com", tmp_path / "a.png", size=(640, 360))
    b = title_card("Acme", "acme.com", tmp_path / "b.png", size=(640, 360))
    assert a.read_bytes() == b.read_bytes()
    with Image.open(a) as image:
        assert image.size == (640, 360)
    with pytest.raises(ValueError, match="too small"):
        title_card("Acme", None, tmp_path / "c.png", size=(10, 10))


def test_title_card_without_dejavu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cards, "FONT_DIR", tmp_path / "no-fonts")
    cards._font.cache_clear()
    try:
        out = title_card("Fallback Font Inc", "fallback.example", tmp_path / "card.png")
    finally:
        cards._font.cache_clear()
    with Image.open(out) as image:
        assert image.size == (1280, 720)


def test_ads_url_pattern_is_url_encoded() -> None:
    settings = ScreenshotSettings()
    target = CaptureTarget(name="Acme & Co/ä", domain="acme.example")
    url = ads_url_for(target, settings)
    assert url.startswith("https://www.facebook.com/ads/library/")
    assert url.endswith("q=Acme%20%26%20Co%2F%C3%A4")
    by_domain = ScreenshotSettings(ads_url_pattern="https://ads.example/?d={domain}")
    assert ads_url_for(target, by_domain) == "https://ads.example/?d=acme.example"
    own = dataclasses.replace(target, ads_url=" https://ads.example/acme ")
    assert ads_url_for(own, settings) == "https://ads.example/acme"


@pytest.mark.parametrize(
    ("website", "domain", "url"),
    [
        ("acme.com", None, "https://acme.com"),
        ("http://acme.com/x", None, "http://acme.com/x"),
        (None, "acme.com", "https://acme.com"),
        ("//acme.com", None, "https://acme.com"),
        (None, None, None),
        ("ftp://acme.com", None, "ftp://acme.com"),  # refused later by check_url
    ],
)
def test_website_url_for(website: str | None, domain: str | None, url: str | None) -> None:
    assert website_url_for(CaptureTarget(name="x", website=website, domain=domain)) == url


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ads_url_pattern", "https://ads.example/?q={name}"),
        ("ads_url_pattern", "file:///tmp/{domain}"),
        ("ads_url_pattern", "https://ads.example/?q={0}"),
        ("ads_url_pattern", "https://ads.example/?q={company_name.__class__}"),
        ("ads_url_pattern", "https://ads.example/?q={domain!r}"),
        ("ads_url_pattern", "https://ads.example/?q={domain:>30}"),
        ("max_height", 10),
        ("navigation_timeout_s", 0),
        ("unknown_option", 1),
    ],
)
def test_settings_validation(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        ScreenshotSettings(**{field: value})
