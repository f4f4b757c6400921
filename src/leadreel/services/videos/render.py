"""Render one lead's video from a template: plan, run ffmpeg, cache the shared parts.

Why the plan has parts: a lead-independent segment (typically the intro) is identical for
every lead, so it is encoded once per template version into ``cache_dir`` and reused. The
per-lead segments are encoded with exactly the same x264 settings (profile, level,
pix_fmt, fps, GOP, timescale) and the parts are joined with the concat demuxer and
``-c:v copy``. Parts carry PCM audio and the AAC is encoded once in the join step: joining
AAC by stream copy would click at each seam (encoder priming).

A cached part cannot be cross-faded with its neighbour (that would need both sides'
frames in one encode), so :meth:`VideoTemplate.cacheable_segments` leaves a segment with an
xfade on either side to the per-lead graph. Fades through black (``fade_in``/``fade_out``)
stay inside a segment and keep the caching. A template with nothing cacheable is rendered
by a single ffmpeg process straight to the MP4.

Each ffmpeg step gets what is left of one overall ``timeout``; overrunning kills ffmpeg and
raises :class:`~leadreel.integrations.ffmpeg.FFmpegTimeout`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from leadreel.integrations.ffmpeg import (
    FFmpegError,
    FFmpegRunner,
    FFmpegTimeout,
    SubprocessRunner,
    find_ffmpeg,
)
from leadreel.services.videos.graph import EncodeSettings, GraphBuilder
from leadreel.services.videos.overlays import default_font
from leadreel.services.videos.plan import (
    Part,
    RenderError,
    cached_path,
    check_transitions,
    plan_parts,
    resolve_sources,
    thumbnail_time,
    total_frames,
)
from leadreel.services.videos.templates import VideoTemplate

__all__ = ["RenderError", "RenderResult", "clear_cache", "prune_cache", "render_video"]

ProgressCallback = Callable[[float], None]
_DEFAULT_FONT: Any = object()  # sentinel: "use DejaVu if installed"


@dataclass(frozen=True)
class RenderResult:
    video: Path
    thumbnail: Path
    preview: Path
    duration: float
    used_cached_segments: list[str] = field(default_factory=list)
    encoded_cached_segments: list[str] = field(default_factory=list)


class _Progress:
    """Maps each ffmpeg step's own 0..1 onto the whole render, weighted by seconds encoded."""

    def __init__(self, callback: ProgressCallback | None, weights: list[float]):
        self.callback, self.weights = callback, weights
        self.total = sum(weights) or 1.0
        self.done = 0.0
        self.step = 0

    def step_callback(self) -> ProgressCallback | None:
        if self.callback is None:
            return None
        base, weight, cb = self.done, self.weights[self.step], self.callback
        return lambda f: cb(min(1.0, (base + f * weight) / self.total))

    def finish_step(self) -> None:
        self.done += self.weights[self.step]
        self.step += 1
        if self.callback is not None:
            self.callback(min(1.0, self.done / self.total))


def render_video(
    template: VideoTemplate,
    *,
    variables: Mapping[str, Any],
    assets: Mapping[str, Path],
    out_dir: Path,
    cache_dir: Path,
    website_full: Path | None = None,
    website_view: Path | None = None,
    ads: Path | None = None,
    fallback_image: Path | None = None,
    on_progress: ProgressCallback | None = None,
    timeout: float = 600,
    settings: EncodeSettings | None = None,
    font_path: Path | None = _DEFAULT_FONT,
    runner: FFmpegRunner | None = None,
    basename: str = "video",
    preview_format: Literal["gif", "webp"] = "gif",
    use_cache: bool = True,
) -> RenderResult:
    """Render ``template`` for one lead into ``out_dir`` (MP4, JPEG thumbnail, preview)."""
    settings = settings or EncodeSettings()
    runner = runner or SubprocessRunner()
    font = default_font() if font_path is _DEFAULT_FONT else font_path
    deadline = time.monotonic() + timeout
    out_dir.mkdir(parents=True, exist_ok=True)
    out = template.output
    images = {"website_full": website_full, "website_view": website_view, "ads": ads}

    sources = resolve_sources(template, assets, images, fallback_image)
    check_transitions(template, sources)
    parts = (
        plan_parts(template, assets, settings, identity=_encoder_identity(font, runner))
        if use_cache
        else [Part(list(range(len(template.segments))))]
    )
    if use_cache:
        cache_dir.mkdir(parents=True, exist_ok=True)

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FFmpegTimeout(f"render exceeded its {timeout:g}s timeout")
        return left

    video = out_dir / f"{basename}.mp4"
    tmp_video = out_dir / f".{basename}.partial.mp4"
    used: list[str] = []
    encoded: list[str] = []
    seconds = [sum(sources[i].frames for i in p.indices) / out.fps for p in parts]
    fresh = [p.cache_key is None or not cached_path(cache_dir, p).is_file() for p in parts]
    single = len(parts) == 1 and parts[0].cache_key is None
    weights = [s for s, todo in zip(seconds, fresh, strict=True) if todo]
    weights += ([] if single else [0.05 * sum(seconds)]) + [0.05 * sum(seconds)]  # join, stills
    progress = _Progress(on_progress, weights)

    def encode(part: Part, text_dir: Path, target: Path, output_args: list[str]) -> int:
        """Build the part's graph and encode it; returns its frame count."""
        builder = GraphBuilder(
            out,
            variables={} if part.cache_key else variables,
            text_dir=text_dir,
            font_path=font,
        )
        pieces = [builder.add_segment(template.segments[i], sources[i]) for i in part.indices]
        builder.join(pieces, [template.segments[i].transition for i in part.indices[:-1]])
        args = [*builder.g.args(), *settings.video_args(out), *output_args, str(target)]
        runner.run(
            args,
            timeout=remaining(),
            on_progress=progress.step_callback(),
            total_seconds=builder.g.frames / out.fps,
        )
        progress.finish_step()
        return builder.g.frames

    pcm_mov = ["-c:a", "pcm_s16le", "-f", "mov"]
    try:
        with tempfile.TemporaryDirectory(prefix="render-", dir=out_dir) as tmp_name:
            tmp = Path(tmp_name)
            if single:
                mp4 = [*settings.audio_args(), "-movflags", "+faststart"]
                encode(parts[0], tmp, tmp_video, mp4)
            else:
                part_files: list[tuple[Path, int]] = []
                for part, todo in zip(parts, fresh, strict=True):
                    names = [template.segments[i].id for i in part.indices]
                    if part.cache_key is None:
                        target = tmp / f"part-{len(part_files)}.mov"
                        part_files.append((target, encode(part, tmp, target, pcm_mov)))
                        continue
                    target = cached_path(cache_dir, part)
                    frames = sum(sources[i].frames for i in part.indices)
                    if todo:
                        staging = target.with_name(f".{target.stem}.{os.getpid()}.tmp.mov")
                        try:
                            frames = encode(part, tmp, staging, pcm_mov)
                            os.replace(staging, target)  # atomic for concurrent workers
                        finally:
                            staging.unlink(missing_ok=True)
                        encoded += names
                    else:
                        used += names
                        _touch(target)
                    part_files.append((target, frames))
                _join(
                    runner,
                    part_files,
                    tmp,
                    tmp_video,
                    settings,
                    out.fps,
                    remaining(),
                    progress.step_callback(),
                )
                progress.finish_step()
            os.replace(tmp_video, video)
    finally:
        tmp_video.unlink(missing_ok=True)

    duration = total_frames(template, sources) / out.fps
    thumb = out_dir / f"{basename}.jpg"
    preview = out_dir / f"{basename}.{preview_format}"
    at = thumbnail_time(template, sources, duration)
    _stills(runner, video, thumb, preview, at=at, duration=duration, timeout=remaining())
    progress.finish_step()
    return RenderResult(video, thumb, preview, duration, used, encoded)


def _concat_line(path: Path) -> str:
    return "file '" + str(path.resolve()).replace("'", "'\\''") + "'"


def _join(
    runner: FFmpegRunner,
    parts: list[tuple[Path, int]],
    tmp: Path,
    output: Path,
    settings: EncodeSettings,
    fps: int,
    timeout: float,
    on_progress: ProgressCallback | None,
) -> None:
    """Concat demuxer, video stream-copied; the whole audio track encoded to AAC here."""
    listing = tmp / "parts.txt"
    lines = [f"{_concat_line(p)}\nduration {frames / fps:.6f}" for p, frames in parts]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    total = sum(frames for _, frames in parts) / fps
    runner.run(
        [
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-map",
            "0:v",
            "-map",
            "0:a",
            "-c:v",
            "copy",
            *settings.audio_args(),
            "-movflags",
            "+faststart",
            str(output),
        ],
        timeout=timeout,
        on_progress=on_progress,
        total_seconds=total,
    )


def _stills(
    runner: FFmpegRunner,
    video: Path,
    thumb: Path,
    preview: Path,
    *,
    at: float,
    duration: float,
    timeout: float,
    seconds: float = 3.0,
    width: int = 320,
) -> None:
    """One ffmpeg run for both email images: a JPEG frame and a small looping animation."""
    start = max(0.0, min(at, duration - seconds))
    if preview.suffix == ".gif":
        anim = (
            f"fps=10,scale={width}:-2:flags=lanczos,split[g1][g2];"
            "[g2]palettegen=max_colors=128:stats_mode=diff[pal];"
            "[g1][pal]paletteuse=dither=bayer:bayer_scale=4[anim]"
        )
        codec = ["-loop", "0"]
    else:
        anim = f"fps=12,scale={width}:-2:flags=lanczos[anim]"
        codec = ["-c:v", "libwebp_anim", "-loop", "0", "-q:v", "60"]
    graph = f"[0:v]split[a][b];[a]trim=start_frame=0:end_frame=1,setpts=PTS-STARTPTS[th];[b]{anim}"
    runner.run(
        [
            "-ss",
            f"{start:.3f}",
            "-t",
            f"{seconds:.3f}",
            "-i",
            str(video),
            "-filter_complex",
            graph,
            "-map",
            "[th]",
            "-frames:v",
            "1",
            "-q:v",
            "3",
            str(thumb),
            "-map",
            "[anim]",
            *codec,
            str(preview),
        ],
        timeout=timeout,
    )
    for path in (thumb, preview):
        if not path.is_file() or path.stat().st_size == 0:
            raise RenderError(f"ffmpeg produced no {path.name}")


def _encoder_identity(font: Path | None, runner: FFmpegRunner) -> dict[str, Any]:
    """What besides settings changes a cached part's bytes: the ffmpeg build and the font."""
    binary = getattr(runner, "binary", None)  # SubprocessRunner's configured path, if any
    try:
        exe = Path(binary or find_ffmpeg())
        build: list[Any] = [exe.name, exe.stat().st_size]
    except (OSError, FFmpegError):
        build = [str(binary)]
    return {"ffmpeg": build, "font": str(font) if font else None}


def _touch(path: Path) -> None:
    """Mark a cached part as used now, so :func:`prune_cache` keeps what is still in use."""
    try:
        os.utime(path)
    except OSError:  # read-only cache: reuse still works, pruning just sees it as older
        pass


def prune_cache(cache_dir: Path, *, max_age_days: float = 30) -> list[Path]:
    """Delete cached parts not used for ``max_age_days`` (old template versions, old clips).

    Safe while workers render: a part deleted between planning and joining only costs that
    render a failed join, which its retry re-encodes.
    """
    if not cache_dir.is_dir():
        return []
    cutoff = time.time() - max_age_days * 86400
    removed = []
    for path in cache_dir.glob("segment-*.mov"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue
    return removed


def clear_cache(cache_dir: Path) -> None:
    """Drop every cached segment (e.g. after a font or ffmpeg upgrade)."""
    if cache_dir.is_dir():
        shutil.rmtree(cache_dir)
