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

import dataclasses
import functools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
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
from leadreel.render.graph import EncodeSettings, GraphBuilder, SegmentSources
from leadreel.render.overlays import default_font
from leadreel.render.plan import (
    Part,
    RenderError,
    audio_cache_key,
    cached_path,
    check_transitions,
    file_sha256,
    part_frames,
    plan_parts,
    resolve_sources,
    thumbnail_time,
    total_frames,
)
from leadreel.render.precompose import pip_cache_key, pip_cached_path, precompose_pip
from leadreel.render.stills import make_stills, stills_outputs, stills_window
from leadreel.render.templates import PipSegment, VideoTemplate

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
    """Maps each ffmpeg step's own 0..1 onto the whole render, weighted by seconds encoded.

    Steps are named: the template's cache fills run side by side, and each reports when it
    is done. The callback is only called from the thread that calls ``render_video``.
    """

    def __init__(self, callback: ProgressCallback | None, weights: dict[str, float]):
        self.callback, self.weights = callback, weights
        self.total = sum(weights.values()) or 1.0
        self.done: dict[str, float] = dict.fromkeys(weights, 0.0)
        self.last = 0.0

    def _report(self, name: str, fraction: float) -> None:
        self.done[name] = max(self.done[name], min(1.0, fraction))
        overall = sum(self.weights[k] * f for k, f in self.done.items()) / self.total
        self.last = max(self.last, min(1.0, overall))
        if self.callback is not None:
            self.callback(self.last)

    def step_callback(self, name: str) -> ProgressCallback | None:
        if self.callback is None:
            return None
        return lambda f: self._report(name, f)

    def finish_step(self, name: str) -> None:
        self._report(name, 1.0)


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
    identity = _encoder_identity(font, runner)
    parts = (
        plan_parts(template, assets, settings, identity=identity)
        if use_cache
        else [Part(list(range(len(template.segments))))]
    )
    single = len(parts) == 1 and parts[0].cache_key is None
    if use_cache:
        cache_dir.mkdir(parents=True, exist_ok=True)
    pips = _pip_clips(template, sources, cache_dir, identity) if use_cache else {}
    for i, path in pips.items():
        sources[i] = dataclasses.replace(sources[i], pip_clip=path)

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FFmpegTimeout(f"render exceeded its {timeout:g}s timeout")
        return left

    duration = total_frames(template, sources) / out.fps
    video = out_dir / f"{basename}.mp4"
    thumb = out_dir / f"{basename}.jpg"
    preview = out_dir / f"{basename}.{preview_format}"
    tmp_video = out_dir / f".{basename}.partial.mp4"
    first, count = stills_window(thumbnail_time(template, sources, duration), duration, out.fps)
    lengths = [part_frames(template, sources, p) for p in parts]
    starts = [sum(lengths[:i]) for i in range(len(parts))]
    # The stills come from the per-lead graph whose frames hold the whole window.
    stills_part = next(
        (
            i
            for i, p in enumerate(parts)
            if p.cache_key is None
            and starts[i] <= first
            and first + count <= starts[i] + lengths[i]
        ),
        None,
    )
    audio_key = None if single else audio_cache_key(template, assets, settings, identity)
    audio_file = None if audio_key is None else cache_dir / f"audio-{audio_key}.m4a"
    todo = [
        i
        for i, p in enumerate(parts)
        if p.cache_key is None or not cached_path(cache_dir, p).is_file()
    ]
    pip_todo = [i for i, path in pips.items() if not path.is_file()]
    # Progress weights: seconds of video each step encodes (audio and join count less).
    weights = {f"pip{i}": 0.2 * sources[i].frames / out.fps for i in pip_todo}
    if audio_file is not None and not audio_file.is_file():
        weights["audio"] = 0.05 * duration
    weights.update({f"part{i}": lengths[i] / out.fps for i in todo})
    if not single:
        weights["join"] = 0.02 * duration
    if stills_part is None:
        weights["stills"] = 0.05 * duration
    progress = _Progress(on_progress, weights)
    used: list[str] = []
    encoded: list[str] = []

    def encode(
        part: Part, text_dir: Path, target: Path, *, index: int, report: bool = True
    ) -> None:
        """Build one part's graph and encode it (video only unless it is the whole video)."""
        builder = GraphBuilder(
            out,
            variables={} if part.cache_key else variables,
            text_dir=text_dir,
            font_path=font,
        )
        pieces = [
            builder.add_segment(template.segments[i], sources[i], audio=single)
            for i in part.indices
        ]
        builder.join(pieces, [template.segments[i].transition for i in part.indices[:-1]])
        outputs = [*settings.video_args(out)]
        if single:
            outputs += [*settings.audio_args(), "-movflags", "+faststart", str(target)]
        else:
            outputs += ["-f", "mov", str(target)]
        if index == stills_part:
            builder.add_stills(first - starts[index], count, preview_format)
            outputs += stills_outputs(text_dir / thumb.name, text_dir / preview.name)
        runner.run(
            [*builder.g.args(), *outputs],
            timeout=remaining(),
            on_progress=progress.step_callback(f"part{index}") if report else None,
            total_seconds=builder.g.frames / out.fps,
        )

    def cache(target: Path, write: Callable[[Path], None]) -> None:
        """Write a shared file via a private staging name (concurrent workers may race)."""
        staging = target.with_name(
            f".{target.stem}.{os.getpid()}.{threading.get_ident()}.tmp{target.suffix}"
        )
        try:
            write(staging)
            os.replace(staging, target)
        finally:
            staging.unlink(missing_ok=True)

    try:
        with (
            tempfile.TemporaryDirectory(prefix="render-", dir=out_dir) as tmp_name,
            ThreadPoolExecutor(max_workers=3, thread_name_prefix="render-fill") as pool,
        ):
            tmp = Path(tmp_name)
            # What every lead of the template shares is written by the first one: the
            # presenter clip precomposed for pip, the audio track and the cached parts.
            # These ffmpeg runs are independent, so they run side by side (x264 alone
            # leaves part of two cores idle, the AAC encoder and the decoders use one).
            fills: dict[str, Future[None]] = {}
            for i in pip_todo:
                seg = template.segments[i]
                assert isinstance(seg, PipSegment)
                src = dataclasses.replace(sources[i], pip_clip=None)
                fills[f"pip{i}"] = pool.submit(
                    cache,
                    pips[i],
                    lambda target, seg=seg, src=src: precompose_pip(
                        runner, seg, src, out, target, timeout=remaining()
                    ),
                )
            if audio_file is not None and not audio_file.is_file():
                fills["audio"] = pool.submit(
                    cache,
                    audio_file,
                    lambda target: _encode_audio(
                        runner, template, sources, settings, target, remaining()
                    ),
                )
            elif audio_file is not None:
                _touch(audio_file)
            for path in pips.values():
                _touch(path)
            part_files: list[tuple[Path, int]] = []
            for i, part in enumerate(parts):
                if part.cache_key is None:
                    continue
                target = cached_path(cache_dir, part)
                names = [template.segments[k].id for k in part.indices]
                if i in todo:
                    fills[f"part{i}"] = pool.submit(
                        cache, target, functools.partial(encode, part, tmp, index=i, report=False)
                    )
                    encoded += names
                else:
                    used += names
                    _touch(target)
            for name in [n for n in fills if n.startswith("pip")]:
                fills[name].result()  # the per-lead graph reads the precomposed clips
                progress.finish_step(name)
            for i, part in enumerate(parts):
                if part.cache_key:
                    target = cached_path(cache_dir, part)
                else:
                    target = tmp_video if single else tmp / f"part-{i}.mov"
                if part.cache_key is None:
                    encode(part, tmp, target, index=i)
                    progress.finish_step(f"part{i}")
                part_files.append((target, lengths[i]))
            for name, future in fills.items():
                future.result()
                progress.finish_step(name)
            if not single:
                assert audio_file is not None
                _join(runner, part_files, audio_file, tmp, tmp_video, out.fps, remaining())
                progress.finish_step("join")
            stills = (tmp / thumb.name, tmp / preview.name)  # finished files only in out_dir
            if stills_part is None:
                make_stills(runner, tmp_video, *stills, start=first / out.fps, timeout=remaining())
                progress.finish_step("stills")
            for done, final in zip((*stills, tmp_video), (thumb, preview, video), strict=True):
                if not done.is_file() or done.stat().st_size == 0:
                    raise RenderError(f"ffmpeg produced no {final.name}")
                os.replace(done, final)
    finally:
        tmp_video.unlink(missing_ok=True)
    return RenderResult(video, thumb, preview, duration, used, encoded)


def _pip_clips(
    template: VideoTemplate,
    sources: list[SegmentSources],
    cache_dir: Path,
    identity: Mapping[str, Any],
) -> dict[int, Path]:
    """Where each picture-in-picture segment's precomposed presenter clip is (or will be)."""
    result = {}
    for i, (seg, src) in enumerate(zip(template.segments, sources, strict=True)):
        if isinstance(seg, PipSegment) and src.clip_info.video is not None:
            key = pip_cache_key(
                seg, src, template.output, clip_hash=file_sha256(src.clip), identity=identity
            )
            result[i] = pip_cached_path(cache_dir, key)
    return result


def _encode_audio(
    runner: FFmpegRunner,
    template: VideoTemplate,
    sources: list[SegmentSources],
    settings: EncodeSettings,
    target: Path,
    timeout: float,
) -> None:
    """The whole video's audio track, AAC: it depends on the template and its clips only.

    Encoded once per template version and muxed into every lead's video by stream copy:
    one continuous AAC stream has no seams (joining AAC parts would click at each one,
    encoder priming), and no lead pays for audio encoding.
    """
    builder = GraphBuilder(template.output, variables={}, text_dir=target.parent, font_path=None)
    pieces = [
        (None, *builder.add_audio(seg, src))
        for seg, src in zip(template.segments, sources, strict=True)
    ]
    builder.join(pieces, [seg.transition for seg in template.segments[:-1]])
    runner.run(
        [*builder.g.args(), *settings.audio_args(), "-f", "mp4", str(target)],
        timeout=timeout,
        total_seconds=builder.g.frames / template.output.fps,
    )


def _concat_line(path: Path) -> str:
    return "file '" + str(path.resolve()).replace("'", "'\\''") + "'"


def _join(
    runner: FFmpegRunner,
    parts: list[tuple[Path, int]],
    audio: Path,
    tmp: Path,
    output: Path,
    fps: int,
    timeout: float,
) -> None:
    """Concat demuxer for the video, the cached audio track beside it: all stream copy."""
    listing = tmp / "parts.txt"
    lines = [f"{_concat_line(p)}\nduration {frames / fps:.6f}" for p, frames in parts]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runner.run(
        [
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-i",
            str(audio),
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c",
            "copy",
            "-movflags",
            "+faststart",
            str(output),
        ],
        timeout=timeout,
    )


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
    shared = ("segment-*.mov", "audio-*.m4a", "pip-*.mov")
    for path in [p for pattern in shared for p in cache_dir.glob(pattern)]:
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
