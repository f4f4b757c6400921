"""No visible loss from the batch speed-ups: precomposed pip clip, cache fills, faster preset.

A lead's video from a warm template cache, at the product's preset, is compared frame by
frame with the reference path (one ffmpeg process, presenter scaled in the graph, x264
``veryfast``): SSIM >= 0.98 on the personalized part, same duration, same streams.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from leadreel.config import Settings
from leadreel.integrations.ffmpeg import probe, run_ffmpeg
from leadreel.render.engine import render_video
from leadreel.render.graph import EncodeSettings
from leadreel.render.quality import ssim

from .conftest import THREE_SEGMENTS, make_template

BAR = 0.98


@pytest.fixture(scope="module")
def textured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A moving, detailed presenter and a page of text: what SSIM would notice losing."""
    d = tmp_path_factory.mktemp("quality")
    clip = d / "walk.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=640x360:r=30:d=3",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=550:sample_rate=48000",
            "-t",
            "3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(clip),
        ],
        timeout=60,
    )
    paths = {"walk": clip}
    for name, shade in (("site", 0), ("other", 120)):
        page = Image.new("RGB", (1280, 3000), (250, 250, 245))
        draw = ImageDraw.Draw(page)
        for y in range(0, 3000, 40):
            draw.text((40 + shade, y), f"Line {y // 40}: widgets, pricing, contact " * 3, fill=0)
            draw.rectangle([1000, y + 5, 1000 + (y * 7) % 250, y + 30], fill=(y % 255, 90, shade))
        paths[name] = d / f"{name}.png"
        page.save(paths[name])
    paths["ads"] = d / "ads.png"
    Image.new("RGB", (1280, 720), (250, 200, 40)).save(paths["ads"])
    return paths


def test_batch_render_matches_the_reference_path(textured: dict[str, Path], tmp_path: Path):
    segments = [dict(s, clip="walk") for s in THREE_SEGMENTS]
    segments[1]["circle"] = True  # the mask is applied per lead over the precomposed clip
    template = make_template(segments)

    def render(tag: str, settings: EncodeSettings, *, site: str = "site", cache: bool = True):
        return render_video(
            template,
            variables={"first_name": "Ann"},
            assets={"walk": textured["walk"]},
            website_full=textured[site],
            ads=textured["ads"],
            out_dir=tmp_path / tag,
            cache_dir=tmp_path / "cache",
            settings=settings,
            use_cache=cache,
            timeout=120,
        )

    reference = render("ref", EncodeSettings(preset="veryfast"), cache=False)
    product = EncodeSettings(preset=Settings().render_preset)
    render("first", product)  # fills the template cache (intro, audio, pip clip)
    lead = render("lead", product)
    assert lead.used_cached_segments == ["intro"]
    assert any(p.name.startswith("pip-") for p in (tmp_path / "cache").iterdir())

    personal = 1.0  # the intro ends here; the rest is the lead's own pictures
    assert ssim(reference.video, lead.video, start=personal) >= BAR
    ref_info, info = probe(reference.video), probe(lead.video)
    assert info.duration == pytest.approx(ref_info.duration, abs=0.05)
    assert info.video is not None and (info.video.width, info.video.height) == (320, 180)
    assert info.audio is not None and info.audio.channels == 2
    # the measure does see a different page: the bar means something
    other = render("other", product, site="other")
    assert ssim(lead.video, other.video, start=personal, end=3.0) < BAR
