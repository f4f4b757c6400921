"""Real renders (small and fast): durations, streams, and pixels from decoded frames."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from leadreel.integrations.ffmpeg import FFmpegTimeout, probe, run_ffmpeg
from leadreel.render.engine import RenderError, RenderResult, prune_cache

from .conftest import (
    BLUE,
    FPS,
    GREEN,
    MAGENTA,
    RED,
    THREE_SEGMENTS,
    YELLOW,
    H,
    W,
    count_frames,
    frames_at,
    green_presenter,
    is_color,
    make_template,
    mean_color,
)

Render = Callable[..., RenderResult]
PIP_BOX = (226, 128, 302, 164)  # inside the 96x54 pip at x=216, y=118
BG_BOX = (10, 10, 120, 60)  # top-left, away from the pip
CENTER = (120, 75, 200, 105)


def test_three_segment_render_has_exact_duration_streams_and_size(
    render: Render, site_png: Path, ads_png: Path
) -> None:
    result = render(make_template(THREE_SEGMENTS), website_full=site_png, ads=ads_png)
    info = probe(result.video)
    assert result.duration == pytest.approx(4.0)
    assert info.duration == pytest.approx(4.0, abs=0.1)
    assert info.video is not None and info.audio is not None
    assert (info.video.codec, info.video.width, info.video.height) == ("h264", W, H)
    assert info.video.fps == pytest.approx(FPS)
    assert info.audio.codec == "aac"
    assert count_frames(result.video) == 4 * FPS
    assert result.thumbnail.stat().st_size > 0 and result.preview.stat().st_size > 0
    assert result.preview.read_bytes()[:6] in (b"GIF89a", b"GIF87a")


def test_pixels_show_presenter_scrolling_site_ads_and_text(
    render: Render, site_png: Path, ads_png: Path
) -> None:
    result = render(make_template(THREE_SEGMENTS), website_full=site_png, ads=ads_png)
    intro, pip_start, pip_end, text_on, text_off = frames_at(
        result.video, [0.4, 1.05, 2.95, 3.2, 3.8]
    )
    assert is_color(intro, (20, 20, 300, 160), GREEN)
    assert is_color(pip_start, PIP_BOX, GREEN), mean_color(pip_start, *PIP_BOX)
    assert is_color(pip_start, BG_BOX, BLUE), mean_color(pip_start, *BG_BOX)
    # scrolled to the bottom of the page by the end of the segment
    assert is_color(pip_end, BG_BOX, RED), mean_color(pip_end, *BG_BOX)
    assert is_color(pip_end, PIP_BOX, GREEN)
    # the text overlay (shown until 0.5 s into the segment) changes the centre pixels
    assert not is_color(text_on, CENTER, YELLOW, tol=60), mean_color(text_on, *CENTER)
    assert is_color(text_off, CENTER, YELLOW)
    assert is_color(text_on, (5, 5, 60, 40), YELLOW)  # ads around the text


def test_circle_pip_over_still_website_keeps_corners_transparent(
    render: Render, site_png: Path
) -> None:
    template = make_template(
        [
            {
                "type": "pip",
                "id": "p",
                "clip": "green",
                "duration": 1.0,
                "position": "tl",
                "size": 0.5,
                "margin": 0,
                "circle": True,
                "background": {"source": "website"},
            }
        ]
    )
    result = render(template, website_full=site_png)
    (frame,) = frames_at(result.video, [0.5])
    assert is_color(frame, (70, 70, 90, 90), GREEN)  # centre of the 160x160 circle
    assert is_color(frame, (0, 0, 8, 8), BLUE)  # corner of its square: masked out


def test_missing_screenshot_and_ads_fall_back_to_the_title_card(
    render: Render, card_png: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_text("not an image")
    result = render(
        make_template(THREE_SEGMENTS), website_full=broken, ads=None, fallback_image=card_png
    )
    pip_frame, ads_frame = frames_at(result.video, [1.5, 3.8])
    assert is_color(pip_frame, BG_BOX, MAGENTA), mean_color(pip_frame, *BG_BOX)
    assert is_color(pip_frame, PIP_BOX, GREEN)
    assert is_color(ads_frame, CENTER, MAGENTA)


def test_missing_image_without_fallback_is_a_clear_error(render: Render) -> None:
    with pytest.raises(RenderError, match="site.*website_scroll"):
        render(make_template(THREE_SEGMENTS))


def test_missing_clip_asset_is_a_clear_error(render: Render, site_png: Path) -> None:
    with pytest.raises(RenderError, match="clip asset 'green' is missing"):
        render(make_template(THREE_SEGMENTS), assets={}, website_full=site_png)


def test_intro_is_encoded_once_and_reused_for_the_second_lead(
    render: Render, site_png: Path, ads_png: Path, tmp_path: Path
) -> None:
    template = make_template(THREE_SEGMENTS)
    cache = tmp_path / "shared-cache"
    first = render(
        template,
        website_full=site_png,
        ads=ads_png,
        cache_dir=cache,
        out_dir=tmp_path / "lead1",
        variables={"first_name": "Ann"},
    )
    second = render(
        template,
        website_full=site_png,
        ads=ads_png,
        cache_dir=cache,
        out_dir=tmp_path / "lead2",
        variables={"first_name": "Bob"},
    )
    assert first.encoded_cached_segments == ["intro"] and first.used_cached_segments == []
    assert second.used_cached_segments == ["intro"] and second.encoded_cached_segments == []
    # the intro, the audio track and the precomposed pip clip, shared by every lead
    cached = sorted(cache.iterdir())
    assert [p.name.split("-")[0] for p in cached] == ["audio", "pip", "segment"]
    assert prune_cache(cache, max_age_days=30) == []  # just used: kept
    old = time.time() - 40 * 86400
    for path in cached:
        os.utime(path, (old, old))
    assert sorted(prune_cache(cache, max_age_days=30)) == cached
    for result in (first, second):
        info = probe(result.video)
        assert info.duration == pytest.approx(4.0, abs=0.1)
        assert info.audio is not None and info.audio.codec == "aac"
        assert count_frames(result.video) == 4 * FPS  # decodes fully across the seam
        intro, pip = frames_at(result.video, [0.4, 1.5])
        assert is_color(intro, (20, 20, 300, 160), GREEN)
        assert is_color(pip, PIP_BOX, GREEN)


def test_xfade_out_of_the_intro_disables_caching_and_shortens_the_video(
    render: Render, site_png: Path, ads_png: Path, tmp_path: Path
) -> None:
    segments = [dict(s) for s in THREE_SEGMENTS]
    segments[0]["transition"] = {"type": "fade", "duration": 0.5}
    template = make_template(segments)
    assert template.lead_independent_segments() == [0]
    assert template.cacheable_segments() == []
    result = render(template, website_full=site_png, ads=ads_png, cache_dir=tmp_path / "c")
    assert result.used_cached_segments == [] and result.encoded_cached_segments == []
    # no cached segment or audio track: only the precomposed presenter clip is shared
    assert [p.name.split("-")[0] for p in (tmp_path / "c").iterdir()] == ["pip"]
    assert result.duration == pytest.approx(3.5)
    assert probe(result.video).duration == pytest.approx(3.5, abs=0.1)
    assert count_frames(result.video) == round(3.5 * FPS)


@pytest.mark.parametrize("use_cache", [True, False])
def test_progress_reaches_one(
    render: Render, site_png: Path, ads_png: Path, use_cache: bool
) -> None:
    seen: list[float] = []
    render(
        make_template(THREE_SEGMENTS),
        website_full=site_png,
        ads=ads_png,
        on_progress=seen.append,
        use_cache=use_cache,
    )
    assert seen and seen[-1] == pytest.approx(1.0)
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen)


@pytest.mark.parametrize("cached_intro", [False, True])
def test_timeout_kills_ffmpeg_raises_and_leaves_no_partial_files(
    render: Render, site_png: Path, tmp_path: Path, cached_intro: bool
) -> None:
    segments = [
        {
            "type": "pip",
            "id": "long",
            "clip": "green",
            "duration": 300,
            "background": {"source": "website_scroll"},
        }
    ]
    if cached_intro:  # the timeout hits while the shared intro is being encoded
        segments.insert(0, {"type": "fullscreen", "id": "intro", "clip": "green", "duration": 300})
    long = make_template(segments, width=1280, height=720)
    started = time.monotonic()
    with pytest.raises(FFmpegTimeout):
        render(long, website_full=site_png, timeout=0.5)
    assert time.monotonic() - started < 10
    assert list((tmp_path / "out").iterdir()) == []
    cache = tmp_path / "cache"
    assert not cache.exists() or list(cache.iterdir()) == []


def test_text_with_quotes_colons_and_percent_renders_literally(
    render: Render, ads_png: Path
) -> None:
    template = make_template(
        [
            {
                "type": "audio_over_image",
                "id": "t",
                "clip": "green",
                "duration": 1.0,
                "image": {"source": "ads"},
                "texts": [{"text": "For {company_name}", "position": "center", "size": 0.2}],
            }
        ]
    )
    nasty = "O'Reilly: 100% %{pts} \\ [x];y,z"
    for font in (None, Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")):
        result = render(template, ads=ads_png, variables={"company_name": nasty}, font_path=font)
        (frame,) = frames_at(result.video, [0.5])
        assert not is_color(frame, CENTER, YELLOW, tol=60)


def test_zoom_and_image_asset_source(render: Render, green_clip: Path, tmp_path: Path) -> None:
    picture = tmp_path / "square.png"
    img = Image.new("RGB", (1280, 720), (255, 255, 255))
    img.paste(Image.new("RGB", (320, 320), (0, 0, 0)), (480, 200))  # dark centre square
    img.save(picture)
    template = make_template(
        [
            {
                "type": "audio_over_image",
                "id": "z",
                "clip": "green",
                "duration": 1.0,
                "image": {"source": "image", "asset_id": "picture"},
                "zoom": 0.5,
            }
        ]
    )
    result = render(template, assets={"green": green_clip, "picture": picture})
    assert count_frames(result.video) == FPS
    first, last = frames_at(result.video, [0.0, 0.99])
    band = (0, 85, W, 95)  # a row through the centre: more of it is dark once zoomed in
    assert mean_color(last, *band)[0] < mean_color(first, *band)[0] - 20


def test_portrait_clip_in_pip_keeps_its_aspect_and_fits_the_frame(
    render: Render, site_png: Path, tmp_path: Path
) -> None:
    portrait = tmp_path / "portrait.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "color=c=0x00FF00:s=180x320:r=30:d=1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(portrait),
        ],
        timeout=30,
    )
    template = make_template(
        [
            {
                "type": "pip",
                "id": "p",
                "clip": "phone",
                "position": "br",
                "size": 0.3,
                "margin": 8,
                "background": {"source": "website"},
            }
        ]
    )
    result = render(template, assets={"phone": portrait}, website_full=site_png)
    assert result.duration == pytest.approx(1.0)
    (frame,) = frames_at(result.video, [0.5])
    assert is_color(frame, (235, 20, 300, 160), GREEN)  # 92x164 at x=220, y=8
    assert is_color(frame, (150, 20, 200, 160), BLUE)
    assert is_color(frame, (235, 174, 300, 180), BLUE)  # inside the bottom margin


def test_long_text_is_shrunk_to_stay_inside_the_frame(render: Render, ads_png: Path) -> None:
    template = make_template(
        [
            {
                "type": "audio_over_image",
                "id": "t",
                "clip": "green",
                "duration": 1.0,
                "image": {"source": "ads"},
                "texts": [
                    {
                        "text": "{company_name}",
                        "size": 0.2,
                        "position": "center",
                        "box": False,
                        "color": "black",
                    }
                ],
            }
        ]
    )
    result = render(template, ads=ads_png, variables={"company_name": "W" * 30})
    (frame,) = frames_at(result.video, [0.5])
    assert is_color(frame, (0, 0, 4, H), YELLOW)  # left edge untouched
    assert is_color(frame, (W - 4, 0, W, H), YELLOW)  # right edge untouched
    darkest, _ = frame.crop((20, 70, W - 20, 110)).convert("L").getextrema()
    assert darkest < 100  # the text is there ...
    assert frame.crop((5, 70, 40, 110)).convert("L").getextrema()[0] < 100  # ... wide


def test_animated_webp_preview_and_thumbnail_are_small_images(
    render: Render, site_png: Path, ads_png: Path
) -> None:
    result = render(
        make_template(THREE_SEGMENTS), website_full=site_png, ads=ads_png, preview_format="webp"
    )
    data = result.preview.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    with Image.open(result.preview) as preview:
        assert preview.n_frames > 10 and preview.size[0] <= 320
    with Image.open(result.thumbnail) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (W, H)
        # taken mid picture-in-picture: the presenter is in its corner
        assert is_color(thumb.convert("RGB"), PIP_BOX, GREEN)


def test_audio_only_file_works_for_audio_over_image_but_not_fullscreen(
    render: Render, ads_png: Path, tmp_path: Path
) -> None:
    voice = tmp_path / "voice.m4a"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=300:sample_rate=48000:duration=1.5",
            "-c:a",
            "aac",
            str(voice),
        ],
        timeout=30,
    )
    ok = make_template(
        [{"type": "audio_over_image", "id": "a", "clip": "voice", "image": {"source": "ads"}}]
    )
    result = render(ok, assets={"voice": voice}, ads=ads_png)
    assert result.duration == pytest.approx(1.5)
    assert probe(result.video).audio is not None
    bad = make_template([{"type": "fullscreen", "id": "f", "clip": "voice"}])
    with pytest.raises(RenderError, match="no video track"):
        render(bad, assets={"voice": voice})


def _loudness(video: Path, windows: list[tuple[float, float]]) -> list[float]:
    """RMS of the decoded audio in each (start, end) window, in seconds."""
    import av
    import numpy as np

    with av.open(str(video)) as container:
        stream = container.streams.audio[0]
        chunks = [
            (float(frame.time), frame.to_ndarray().mean(axis=0))
            for frame in container.decode(stream)
        ]
    rate = stream.rate
    samples = np.concatenate([c for _, c in chunks])
    start = chunks[0][0]
    out = []
    for a, b in windows:
        part = samples[int((a - start) * rate) : int((b - start) * rate)]
        out.append(float(np.sqrt(np.mean(part**2))))
    return out


def test_cached_audio_track_lines_up_with_each_segment(
    render: Render, green_clip: Path, media_dir: Path, site_png: Path, ads_png: Path, tmp_path: Path
) -> None:
    """The audio is encoded once per template and muxed by stream copy: each segment's
    sound must still play under that segment's pictures, for every lead."""
    silent = green_presenter(media_dir / "silent.mp4", "anullsrc=r=48000:cl=stereo")
    segments = [
        {"type": "fullscreen", "id": "intro", "clip": "green", "duration": 1.0},
        {
            "type": "pip",
            "id": "site",
            "clip": "silent",
            "duration": 1.0,
            "background": {"source": "website_scroll"},
        },
        {
            "type": "audio_over_image",
            "id": "ads",
            "clip": "green",
            "duration": 1.0,
            "image": {"source": "ads"},
        },
    ]
    template = make_template(segments)
    assets = {"green": green_clip, "silent": silent}
    for lead in ("ann", "bob"):  # bob's video reuses the cached intro and audio track
        result = render(
            template,
            assets=assets,
            website_full=site_png,
            ads=ads_png,
            out_dir=tmp_path / lead,
            cache_dir=tmp_path / "cache",
        )
        intro, site, ads = _loudness(result.video, [(0.1, 0.9), (1.1, 1.9), (2.1, 2.9)])
        assert intro > 0.03 and ads > 0.03, (intro, ads)  # lavfi sine at 1/8 scale: RMS ~0.06
        assert site < 0.003, site
    assert result.used_cached_segments == ["intro"]
