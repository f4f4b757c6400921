"""Uploaded media: check presenter clips and images before they reach a render; demo clips.

Why check at upload: a corrupt or exotic clip otherwise fails hours later inside a batch
of renders, with an ffmpeg error the user cannot act on. Here the user gets a message in
plain words while they are still on the upload page. The check probes the container and
then decodes the first frames, because a file with valid headers can still be truncated.

Demo clips are generated locally (a drawn presenter, a spoken line) so a fresh install
can render the default template with no uploads and no network.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from leadreel.integrations.ffmpeg import (
    FFmpegRunner,
    MediaInfo,
    MediaProbeError,
    SubprocessRunner,
    probe,
)
from leadreel.render.demo_presenter import LINES, make_presenter_clip


class MediaValidationError(ValueError):
    """The uploaded file cannot be used; the message is meant for the user."""


@dataclass(frozen=True)
class MediaLimits:
    max_bytes: int = 500 * 1024 * 1024
    min_duration: float = 0.5
    max_duration: float = 600.0
    max_width: int = 3840
    max_height: int = 2160
    min_side: int = 64
    containers: frozenset[str] = frozenset({"mov", "mp4", "m4a", "matroska", "webm", "avi"})
    image_formats: frozenset[str] = frozenset({"PNG", "JPEG", "WEBP"})
    max_image_pixels: int = 80_000_000  # a 1280 x 60000 full-page screenshot still fits


DEFAULT_LIMITS = MediaLimits()


def _check_file(path: Path, limits: MediaLimits) -> int:
    if not path.is_file():
        raise MediaValidationError(f"{path.name}: file not found")
    size = path.stat().st_size
    if size == 0:
        raise MediaValidationError(f"{path.name}: the file is empty")
    if size > limits.max_bytes:
        raise MediaValidationError(
            f"{path.name}: {size / 1e6:.0f} MB is over the {limits.max_bytes / 1e6:.0f} MB limit"
        )
    return size


def validate_clip(path: Path, *, limits: MediaLimits = DEFAULT_LIMITS) -> MediaInfo:
    """Return the clip's :class:`MediaInfo` or raise :class:`MediaValidationError`."""
    path = Path(path)
    _check_file(path, limits)
    try:
        info = probe(path)
    except MediaProbeError as exc:
        raise MediaValidationError(
            f"{path.name}: not a readable video file (corrupt or not a video)"
        ) from exc
    formats = set(info.container.split(","))
    if not formats & limits.containers:
        raise MediaValidationError(
            f"{path.name}: container {info.container!r} is not supported; use MP4, MOV or WebM"
        )
    if info.video is None:
        raise MediaValidationError(f"{path.name}: the file has no video track")
    v = info.video
    if not (
        limits.min_side <= v.width <= limits.max_width
        and limits.min_side <= v.height <= limits.max_height
    ):
        raise MediaValidationError(
            f"{path.name}: {v.width}x{v.height} is outside the supported sizes "
            f"({limits.min_side}..{limits.max_width} x {limits.min_side}..{limits.max_height})"
        )
    if not limits.min_duration <= info.duration <= limits.max_duration:
        raise MediaValidationError(
            f"{path.name}: duration {info.duration:.1f}s must be between "
            f"{limits.min_duration:g}s and {limits.max_duration:g}s"
        )
    _decode_start(path)
    return info


def _decode_start(path: Path, frames: int = 3) -> None:
    """Decode the first few video frames: catches truncated or garbage payloads."""
    import av

    try:
        with av.open(os.fspath(path)) as container:
            stream = container.streams.video[0]
            decoded = 0
            for _ in container.decode(stream):
                decoded += 1
                if decoded >= frames:
                    break
    except (av.FFmpegError, OSError, IndexError) as exc:
        raise MediaValidationError(f"{path.name}: the video data is corrupt ({exc})") from exc
    if decoded == 0:
        raise MediaValidationError(f"{path.name}: no video frame could be decoded")


def validate_image(path: Path, *, limits: MediaLimits = DEFAULT_LIMITS) -> tuple[int, int]:
    """Return ``(width, height)`` of a usable PNG/JPEG/WebP or raise MediaValidationError.

    The pixel limit is checked from the header before any decode, so a decompression bomb
    costs nothing (and Pillow's own bomb warning never fires).
    """
    path = Path(path)
    _check_file(path, limits)
    try:
        with Image.open(path) as img:
            fmt, (width, height) = img.format, img.size
            if width * height > limits.max_image_pixels:
                raise MediaValidationError(
                    f"{path.name}: {width}x{height} has too many pixels "
                    f"(limit {limits.max_image_pixels:,})"
                )
            img.verify()
    except MediaValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaValidationError(f"{path.name}: not a readable image ({exc})") from exc
    if fmt not in limits.image_formats:
        raise MediaValidationError(f"{path.name}: {fmt} images are not supported; use PNG or JPEG")
    if min(width, height) < limits.min_side:
        raise MediaValidationError(f"{path.name}: {width}x{height} is too small")
    return width, height


def generate_demo_clips(
    directory: Path,
    *,
    seconds: float | None = None,
    width: int = 1280,
    height: int = 720,
    fps: int = 30,
    runner: FFmpegRunner | None = None,
    timeout: float = 120,
) -> dict[str, Path]:
    """Create the demo presenter clips (a drawn character saying a line, see
    :mod:`~leadreel.render.demo_presenter`) and a demo image in ``directory``; return asset
    id -> path. ``seconds=None``: each clip as long as its line.

    Existing files are kept, so calling this at every start is cheap.
    """
    runner = runner or SubprocessRunner()
    directory.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = {}
    for line in LINES:
        target = directory / f"presenter_{line.asset_id}.mp4"
        if not target.is_file():
            make_presenter_clip(
                line,
                target,
                seconds=seconds,
                width=width,
                height=height,
                fps=fps,
                runner=runner,
                timeout=timeout,
            )
        made[line.asset_id] = target
    image = directory / "demo_image.png"
    if not image.is_file():
        staging = directory / ".demo_image.tmp.png"
        runner.run(
            [
                "-f",
                "lavfi",
                "-i",
                f"gradients=s={width}x{height}:seed=7",
                "-frames:v",
                "1",
                "-f",
                "image2",
                "-c:v",
                "png",
                str(staging),
            ],
            timeout=timeout,
        )
        os.replace(staging, image)
    made["demo_image"] = image
    return made
