"""Template share settings, the CTA link, the email play-button image and the drawn demo
presenter (with and without espeak-ng)."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
from PIL import Image

from leadreel.integrations import ffmpeg, speech
from leadreel.render import demo_presenter
from leadreel.render.templates import DEFAULT_TEMPLATE, ShareSettings, VideoTemplate
from leadreel.services.delivery.email_image import email_image
from leadreel.services.delivery.shares import cta_link


def test_share_settings_defaults_and_validation() -> None:
    assert ShareSettings().headline == "Made for {company_name|you}"
    spec = DEFAULT_TEMPLATE.model_dump(mode="json")
    del spec["share"]
    assert VideoTemplate.model_validate(spec).share == ShareSettings()  # old templates load
    with pytest.raises(pydantic.ValidationError, match="must start with https://"):
        ShareSettings(cta_url="javascript:alert(1)")
    assert ShareSettings(cta_url="{booking_url}").cta_url == "{booking_url}"


def test_cta_link_encodes_values_and_refuses_other_schemes() -> None:
    variables = {"company_name": "Smith & Sons?", "booking_url": "https://cal.example.com/x?a=1"}
    assert (
        cta_link("https://cal.example.com/b?c={company_name}", variables)
        == "https://cal.example.com/b?c=Smith%20%26%20Sons%3F"
    )
    assert cta_link("{booking_url}", variables) == "https://cal.example.com/x?a=1"
    assert cta_link("{booking_url}", {"booking_url": "javascript:alert(1)"}) == ""


def test_email_image_has_a_play_button_and_is_cached(tmp_path: Path) -> None:
    thumb = tmp_path / "thumb.jpg"
    Image.new("RGB", (640, 360), (0, 90, 200)).save(thumb)
    out = email_image(thumb, tmp_path / "cache", "email-1")
    with Image.open(out) as image:
        assert image.size == (640, 360)
        center, corner = image.getpixel((320 + 10, 180)), image.getpixel((10, 10))
        assert center[0] > 200 and center[1] > 200  # the white triangle
        assert abs(corner[2] - 200) < 20  # the thumbnail itself around it
    mtime = out.stat().st_mtime_ns
    assert email_image(thumb, tmp_path / "cache", "email-1").stat().st_mtime_ns == mtime


@pytest.mark.parametrize("voice", [True, False])
def test_presenter_clip_speaks_or_falls_back_to_a_tone(tmp_path, monkeypatch, voice) -> None:
    if not voice:
        monkeypatch.setattr(speech, "espeak_binary", lambda: None)
    elif speech.espeak_binary() is None:
        pytest.fail("espeak-ng is missing: `make chromium` installs it")
    target = tmp_path / "clip.mp4"
    line = demo_presenter.LINES[0]
    demo_presenter.make_presenter_clip(
        line,
        target,
        seconds=None,
        width=160,
        height=90,
        fps=10,
        runner=ffmpeg.SubprocessRunner(),
        timeout=60,
    )
    info = ffmpeg.probe(target)
    assert info.audio is not None and info.video is not None
    assert (info.video.width, info.video.height) == (160, 90)
    assert info.duration > (1.5 if voice else 3.0)
    assert not list(tmp_path.glob("presenter-*"))  # the frames were cleaned up


def test_mouth_opens_with_the_voice() -> None:
    closed = demo_presenter.draw_frame(320, 180, demo_presenter.LINES[0], 0, False)
    open_ = demo_presenter.draw_frame(320, 180, demo_presenter.LINES[0], 3, False)
    box = (140, 90, 180, 110)
    assert list(closed.crop(box).getdata()) != list(open_.crop(box).getdata())
