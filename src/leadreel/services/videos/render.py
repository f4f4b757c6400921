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

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PIL import Image, UnidentifiedImageError

from leadreel.integrations.ffmpeg import (
    FFmpegRunner,
    FFmpegTimeout,
    MediaInfo,
    MediaProbeError,
    SubprocessRunner,
    probe,
)
from leadreel.services.videos.graph import (
    EncodeSettings,
    GraphBuilder,
    SegmentSources,
    default_font,
    frames_for,
)
from leadreel.services.videos.templates import (
    AudioOverImageSegment,
    PipSegment,
    Segment,
    VideoTemplate,
)

ProgressCallback = Callable[[float], None]
_DEFAULT_FONT: Any = object()  # sentinel: "use DejaVu if installed"


class RenderError(Exception):
    """The inputs cannot make this video (missing clip, unreadable asset, bad timing)."""


@dataclass(frozen=True)
class RenderResult:
    video: Path
    thumbnail: Path
    preview: Path
    duration: float
    used_cached_segments: list[str] = field(default_factory=list)
    encoded_cached_segments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Part:
    indices: list[int]
    cache_key: str | None = None  # set for a shared, lead-independent part


_hash_memo: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """Content hash, memoised by (path, size, mtime) so a worker hashes each clip once."""
    st = path.stat()
    memo_key = (str(path), st.st_size, st.st_mtime_ns)
    if memo_key not in _hash_memo:
        with path.open("rb") as fh:
            _hash_memo[memo_key] = hashlib.file_digest(fh, "sha256").hexdigest()
    return _hash_memo[memo_key]


def _image_size(path: Path | None) -> tuple[int, int] | None:
    if path is None or not path.is_file():
        return None
    try:
        with Image.open(path) as img:
            return img.size
    except (UnidentifiedImageError, OSError):
        return None


def _pick_image(seg: Segment, images: Mapping[str, Path | None], assets: Mapping[str, Path],
                fallback: Path | None) -> tuple[Path, tuple[int, int]] | None:
    """The background/still for a segment, falling back to the title card when the
    screenshot or ads image is missing or unreadable."""
    if isinstance(seg, PipSegment):
        source, asset_id = seg.background.source, seg.background.asset_id
    elif isinstance(seg, AudioOverImageSegment):
        source, asset_id = seg.image.source, seg.image.asset_id
    else:
        return None
    candidates: list[Path | None] = {
        "website_scroll": [images["website_full"], images["website_view"]],
        "website": [images["website_view"], images["website_full"]],
        "ads": [images["ads"]],
        "image": [assets.get(asset_id or "")],
    }[source]
    for path in [*candidates, fallback]:
        size = _image_size(path)
        if path is not None and size is not None:
            return path, size
    raise RenderError(f"segment {seg.id!r}: no usable {source} image and no fallback image")


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

    sources = _resolve(template, assets, images, fallback_image)
    _check_transitions(template, sources)
    parts = _plan(template, assets, settings) if use_cache else [
        _Part(list(range(len(template.segments))))]
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
    with tempfile.TemporaryDirectory(prefix="render-", dir=out_dir) as tmp_name:
        tmp = Path(tmp_name)
        seconds = [sum(sources[i].frames for i in p.indices) / out.fps for p in parts]
        todo = [p for p, s in zip(parts, seconds, strict=True)
                if p.cache_key is None or not _cached_path(cache_dir, p).is_file()]
        weights = [s for p, s in zip(parts, seconds, strict=True) if p in todo]
        single = len(parts) == 1 and parts[0].cache_key is None
        weights += [0.0 if single else 0.05 * sum(seconds), 0.05 * sum(seconds)]
        progress = _Progress(on_progress, weights)

        part_files: list[tuple[Path, int]] = []
        for part in parts:
            vars_for_part = {} if part.cache_key else variables
            builder = GraphBuilder(out, variables=vars_for_part, text_dir=tmp, font_path=font)
            pieces = [builder.add_segment(template.segments[i], sources[i]) for i in part.indices]
            builder.join(pieces, [template.segments[i].transition for i in part.indices[:-1]])
            length = builder.g.frames / out.fps
            if single:
                args = [*builder.g.args(), *settings.video_args(out), *settings.audio_args(),
                        "-movflags", "+faststart", str(tmp_video)]
                runner.run(args, timeout=remaining(), on_progress=progress.step_callback(),
                           total_seconds=length)
                progress.finish_step()
                break
            seg_names = [template.segments[i].id for i in part.indices]
            if part.cache_key is not None:
                target = _cached_path(cache_dir, part)
                if target.is_file():
                    used += seg_names
                    part_files.append((target, builder.g.frames))
                    continue
                encoded += seg_names
                staging = target.with_name(f".{target.stem}.{os.getpid()}.tmp.mov")
            else:
                target = staging = tmp / f"part-{len(part_files)}.mov"
            args = [*builder.g.args(), *settings.video_args(out), "-c:a", "pcm_s16le",
                    "-f", "mov", str(staging)]
            runner.run(args, timeout=remaining(), on_progress=progress.step_callback(),
                       total_seconds=length)
            if staging != target:
                os.replace(staging, target)  # atomic: a concurrent worker sees all or nothing
            part_files.append((target, builder.g.frames))
            progress.finish_step()
        if not single:
            _join(runner, part_files, tmp, tmp_video, settings, out.fps, remaining(),
                  progress.step_callback())
            progress.finish_step()
        os.replace(tmp_video, video)

    total_frames = _total_frames(template, sources)
    duration = total_frames / out.fps
    thumb = out_dir / f"{basename}.jpg"
    preview = out_dir / f"{basename}.{preview_format}"
    at = _thumbnail_time(template, sources, duration)
    _stills(runner, video, thumb, preview, at=at, duration=duration, timeout=remaining())
    progress.finish_step()
    return RenderResult(video, thumb, preview, duration, used, encoded)


def _resolve(template: VideoTemplate, assets: Mapping[str, Path],
             images: Mapping[str, Path | None], fallback: Path | None) -> list[SegmentSources]:
    probes: dict[Path, MediaInfo] = {}
    result = []
    for seg in template.segments:
        clip = assets.get(seg.clip)
        if clip is None or not Path(clip).is_file():
            raise RenderError(f"segment {seg.id!r}: clip asset {seg.clip!r} is missing")
        clip = Path(clip)
        if clip not in probes:
            try:
                probes[clip] = probe(clip)
            except MediaProbeError as exc:
                raise RenderError(f"segment {seg.id!r}: {exc}") from exc
        info = probes[clip]
        seconds = seg.duration or info.duration
        if seconds <= 0:
            raise RenderError(f"segment {seg.id!r}: clip {clip.name} has no duration")
        picked = _pick_image(seg, images, assets, fallback)
        result.append(SegmentSources(
            clip=clip, clip_info=info, frames=frames_for(seconds, template.output.fps),
            image=picked[0] if picked else None, image_size=picked[1] if picked else None))
    return result


def _check_transitions(template: VideoTemplate, sources: list[SegmentSources]) -> None:
    fps = template.output.fps
    for i, seg in enumerate(template.segments[:-1]):
        if seg.transition.is_cut:
            continue
        td = round(seg.transition.duration * fps)
        shortest = min(sources[i].frames, sources[i + 1].frames)
        if td >= shortest:
            raise RenderError(
                f"segments[{i}].transition.duration: {seg.transition.duration}s is not shorter "
                f"than the segments it joins ({shortest / fps:.2f}s)"
            )


def _plan(template: VideoTemplate, assets: Mapping[str, Path],
          settings: EncodeSettings) -> list[_Part]:
    """Split the segments into cached (shared) parts and per-lead runs between them."""
    cacheable = set(template.cacheable_segments())
    hashes = {template.segments[i].clip: file_sha256(Path(assets[template.segments[i].clip]))
              for i in cacheable}
    parts: list[_Part] = []
    run: list[int] = []
    for i in range(len(template.segments)):
        if i in cacheable:
            if run:
                parts.append(_Part(run))
                run = []
            key = template.segment_cache_key(i, asset_hashes=hashes,
                                             encoder=settings.cache_fields())
            parts.append(_Part([i], key))
        else:
            run.append(i)
    if run:
        parts.append(_Part(run))
    return parts


def _cached_path(cache_dir: Path, part: _Part) -> Path:
    return cache_dir / f"segment-{part.cache_key}.mov"


def _total_frames(template: VideoTemplate, sources: list[SegmentSources]) -> int:
    fps = template.output.fps
    total = sum(s.frames for s in sources)
    for seg in template.segments[:-1]:
        if not seg.transition.is_cut:
            total -= round(seg.transition.duration * fps)
    return total


def _thumbnail_time(template: VideoTemplate, sources: list[SegmentSources],
                    duration: float) -> float:
    """Middle of the first picture-in-picture segment (the most personal frame), else 1/3."""
    fps, start = template.output.fps, 0
    for seg, src in zip(template.segments, sources, strict=True):
        if isinstance(seg, PipSegment):
            return (start + src.frames / 2) / fps
        start += src.frames - (0 if seg.transition.is_cut else round(seg.transition.duration * fps))
    return duration / 3


def _concat_line(path: Path) -> str:
    return "file '" + str(path.resolve()).replace("'", "'\\''") + "'"


def _join(runner: FFmpegRunner, parts: list[tuple[Path, int]], tmp: Path, output: Path,
          settings: EncodeSettings, fps: int, timeout: float,
          on_progress: ProgressCallback | None) -> None:
    """Concat demuxer, video stream-copied; the whole audio track encoded to AAC here."""
    listing = tmp / "parts.txt"
    lines = [f"{_concat_line(p)}\nduration {frames / fps:.6f}" for p, frames in parts]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    total = sum(frames for _, frames in parts) / fps
    runner.run(["-f", "concat", "-safe", "0", "-i", str(listing), "-map", "0:v", "-map", "0:a",
                "-c:v", "copy", *settings.audio_args(), "-movflags", "+faststart", str(output)],
               timeout=timeout, on_progress=on_progress, total_seconds=total)


def _stills(runner: FFmpegRunner, video: Path, thumb: Path, preview: Path, *, at: float,
            duration: float, timeout: float, seconds: float = 3.0, width: int = 320) -> None:
    """One ffmpeg run for both email images: a JPEG frame and a small looping animation."""
    start = max(0.0, min(at, duration - seconds))
    if preview.suffix == ".gif":
        anim = (f"fps=10,scale={width}:-2:flags=lanczos,split[g1][g2];"
                "[g2]palettegen=max_colors=128:stats_mode=diff[pal];"
                "[g1][pal]paletteuse=dither=bayer:bayer_scale=4[anim]")
        codec = ["-loop", "0"]
    else:
        anim = f"fps=12,scale={width}:-2:flags=lanczos[anim]"
        codec = ["-c:v", "libwebp_anim", "-loop", "0", "-q:v", "60"]
    graph = (f"[0:v]split[a][b];[a]trim=start_frame=0:end_frame=1,setpts=PTS-STARTPTS[th];"
             f"[b]{anim}")
    runner.run(["-ss", f"{start:.3f}", "-t", f"{seconds:.3f}", "-i", str(video),
                "-filter_complex", graph, "-map", "[th]", "-frames:v", "1", "-q:v", "3",
                str(thumb), "-map", "[anim]", *codec, str(preview)],
               timeout=timeout)
    for path in (thumb, preview):
        if not path.is_file() or path.stat().st_size == 0:
            raise RenderError(f"ffmpeg produced no {path.name}")


def clear_cache(cache_dir: Path) -> None:
    """Drop every cached segment (e.g. after a font or ffmpeg upgrade)."""
    if cache_dir.is_dir():
        shutil.rmtree(cache_dir)
