"""Fixtures for the video tests: media generated at test time, small renders.

Colors are pure and distinct (green presenter, blue/red website, yellow ads, magenta
title card) so a pixel read from a decoded frame says which source it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import pytest
from PIL import Image, ImageStat

from leadreel.integrations.ffmpeg import run_ffmpeg
from leadreel.render.engine import RenderResult, render_video
from leadreel.render.graph import EncodeSettings
from leadreel.render.templates import VideoTemplate

GREEN, BLUE, RED = (0, 255, 0), (0, 0, 255), (255, 0, 0)
YELLOW, MAGENTA = (255, 255, 0), (255, 0, 255)
W, H, FPS = 320, 180, 30
FAST = EncodeSettings(preset="ultrafast", threads=2)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


def green_presenter(path: Path, audio: str = "sine=frequency=440:sample_rate=48000") -> Path:
    """A 2 s pure-green 'presenter' at 640x360 with the given lavfi audio source."""
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "color=c=0x00FF00:s=640x360:r=30:d=2",
            "-f",
            "lavfi",
            "-i",
            audio,
            "-t",
            "2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            str(path),
        ],
        timeout=30,
    )
    return path


@pytest.fixture(scope="session")
def green_clip(media_dir: Path) -> Path:
    """The presenter with a 440 Hz tone."""
    return green_presenter(media_dir / "green.mp4")


@pytest.fixture(scope="session")
def site_png(media_dir: Path) -> Path:
    """A 1280x3000 full-page 'screenshot': blue top half, red bottom half."""
    path = media_dir / "site.png"
    img = Image.new("RGB", (1280, 3000), BLUE)
    img.paste(Image.new("RGB", (1280, 1500), RED), (0, 1500))
    img.save(path)
    return path


def _solid_png(path: Path, color: tuple[int, int, int]) -> Path:
    Image.new("RGB", (1280, 720), color).save(path)
    return path


@pytest.fixture(scope="session")
def ads_png(media_dir: Path) -> Path:
    return _solid_png(media_dir / "ads.png", YELLOW)


@pytest.fixture(scope="session")
def card_png(media_dir: Path) -> Path:
    """The title card a caller passes when a screenshot failed."""
    return _solid_png(media_dir / "card.png", MAGENTA)


def make_template(segments: list[dict], **output: int) -> VideoTemplate:
    return VideoTemplate.model_validate(
        {
            "name": "test",
            "output": {"width": W, "height": H, "fps": FPS, **output},
            "segments": segments,
        }
    )


THREE_SEGMENTS = [
    {"type": "fullscreen", "id": "intro", "clip": "green", "duration": 1.0, "fade_out": 0.2},
    {
        "type": "pip",
        "id": "site",
        "clip": "green",
        "duration": 2.0,
        "position": "br",
        "size": 0.3,
        "margin": 8,
        "background": {"source": "website_scroll"},
    },
    {
        "type": "audio_over_image",
        "id": "ads",
        "clip": "green",
        "duration": 1.0,
        "image": {"source": "ads"},
        "texts": [
            {
                "text": "Hi {first_name}",
                "position": "center",
                "size": 0.3,
                "color": "white",
                "box_color": "black",
                "end": 0.5,
            }
        ],
    },
]


@pytest.fixture
def render(green_clip: Path, tmp_path: Path) -> Callable[..., RenderResult]:
    """Render with test defaults; keyword arguments override them."""

    def _render(template: VideoTemplate, **kwargs: object) -> RenderResult:
        options: dict[str, object] = {
            "variables": {"first_name": "Ann", "company_name": "Acme"},
            "assets": {"green": green_clip},
            "out_dir": tmp_path / "out",
            "cache_dir": tmp_path / "cache",
            "settings": FAST,
            "timeout": 60,
        }
        options.update(kwargs)
        return render_video(template, **options)  # type: ignore[arg-type]

    return _render


def frames_at(video: Path, times: list[float]) -> list[Image.Image]:
    """RGB frames shown at the given times (decodes the whole small file once)."""
    with av.open(str(video)) as container:
        decoded = [
            (float(f.time), f.to_image()) for f in container.decode(container.streams.video[0])
        ]
    result = []
    for t in times:
        shown = [img for ts, img in decoded if ts <= t + 1e-6]
        result.append(shown[-1])
    return result


def count_frames(video: Path) -> int:
    with av.open(str(video)) as container:
        return sum(1 for _ in container.decode(container.streams.video[0]))


def mean_color(frame: Image.Image, x0: int, y0: int, x1: int, y1: int) -> tuple[int, ...]:
    return tuple(int(c) for c in ImageStat.Stat(frame.crop((x0, y0, x1, y1))).mean)


def is_color(
    frame: Image.Image, box: tuple[int, int, int, int], color: tuple[int, int, int], tol: int = 40
) -> bool:
    got = mean_color(frame, *box)
    return all(abs(g - c) <= tol for g, c in zip(got, color, strict=True))
