"""Plan a render: resolve each segment's files, and split the video into cached and per-lead parts.

Why separate from running: planning is pure (files in, a list of parts out) and decides
the two things most worth testing without ffmpeg: which image stands in for a missing
screenshot, and which segments are shared between leads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from leadreel.integrations.ffmpeg import MediaInfo, MediaProbeError, probe
from leadreel.render.graph import (
    EncodeSettings,
    SegmentSources,
    frames_for,
    transition_frames,
)
from leadreel.render.templates import (
    AudioOverImageSegment,
    PipSegment,
    Segment,
    VideoTemplate,
)


class RenderError(Exception):
    """The inputs cannot make this video (missing clip, unreadable asset, bad timing)."""


@dataclass(frozen=True)
class Part:
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


def pick_image(
    seg: Segment,
    images: Mapping[str, Path | None],
    assets: Mapping[str, Path],
    fallback: Path | None,
) -> tuple[Path, tuple[int, int]] | None:
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


def resolve_sources(
    template: VideoTemplate,
    assets: Mapping[str, Path],
    images: Mapping[str, Path | None],
    fallback: Path | None,
) -> list[SegmentSources]:
    """Each segment's clip (probed once per file), frame count and image after fallbacks."""
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
        if info.video is None and not isinstance(seg, AudioOverImageSegment):
            raise RenderError(f"segment {seg.id!r}: clip {clip.name} has no video track")
        seconds = seg.duration or info.duration
        if seconds <= 0:
            raise RenderError(f"segment {seg.id!r}: clip {clip.name} has no duration")
        picked = pick_image(seg, images, assets, fallback)
        result.append(
            SegmentSources(
                clip=clip,
                clip_info=info,
                frames=frames_for(seconds, template.output.fps),
                image=picked[0] if picked else None,
                image_size=picked[1] if picked else None,
            )
        )
    return result


def check_transitions(template: VideoTemplate, sources: list[SegmentSources]) -> None:
    """Durations known only now (from the clips) must still leave room for each xfade."""
    fps = template.output.fps
    for i, seg in enumerate(template.segments[:-1]):
        if seg.transition.is_cut:
            continue
        td = transition_frames(seg.transition, fps)
        shortest = min(sources[i].frames, sources[i + 1].frames)
        if td >= shortest:
            raise RenderError(
                f"segments[{i}].transition.duration: {seg.transition.duration}s is not shorter "
                f"than the segments it joins ({shortest / fps:.2f}s)"
            )


def plan_parts(
    template: VideoTemplate,
    assets: Mapping[str, Path],
    settings: EncodeSettings,
    *,
    identity: Mapping[str, Any],
) -> list[Part]:
    """Split the segments into cached (shared) parts and per-lead runs between them.

    ``identity`` (ffmpeg build, font) joins the encoder settings in the cache key: a new
    x264 may write different stream headers, and a stream-copied join of parts with
    different headers would not decode.
    """
    cacheable = set(template.cacheable_segments())
    hashes = {
        template.segments[i].clip: file_sha256(Path(assets[template.segments[i].clip]))
        for i in cacheable
    }
    parts: list[Part] = []
    run: list[int] = []
    for i in range(len(template.segments)):
        if i in cacheable:
            if run:
                parts.append(Part(run))
                run = []
            key = template.segment_cache_key(
                i, asset_hashes=hashes, encoder={**settings.cache_fields(), **identity}
            )
            parts.append(Part([i], key))
        else:
            run.append(i)
    if run:
        parts.append(Part(run))
    return parts


def cached_path(cache_dir: Path, part: Part) -> Path:
    return cache_dir / f"segment-{part.cache_key}.mov"


def audio_cache_key(
    template: VideoTemplate,
    assets: Mapping[str, Path],
    settings: EncodeSettings,
    identity: Mapping[str, Any],
) -> str:
    """Key of the template's audio track: every segment, every clip's content, the encoder.

    No lead data goes into the audio (durations, fades and cross-fades come from the
    template and its clips), so every lead of a template version shares one track.
    """
    payload = {
        "segments": [seg.model_dump(mode="json") for seg in template.segments],
        "clips": {seg.clip: file_sha256(Path(assets[seg.clip])) for seg in template.segments},
        "output": template.output.model_dump(mode="json"),
        "template": [template.name, template.version],
        "encoder": {**settings.cache_fields(), **identity},
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def part_frames(template: VideoTemplate, sources: list[SegmentSources], part: Part) -> int:
    """Frames a part adds to the video (its segments less the xfades inside it)."""
    fps = template.output.fps
    inner = sum(transition_frames(template.segments[i].transition, fps) for i in part.indices[:-1])
    return sum(sources[i].frames for i in part.indices) - inner


def total_frames(template: VideoTemplate, sources: list[SegmentSources]) -> int:
    fps = template.output.fps
    overlaps = sum(transition_frames(seg.transition, fps) for seg in template.segments[:-1])
    return sum(s.frames for s in sources) - overlaps


def thumbnail_time(
    template: VideoTemplate, sources: list[SegmentSources], duration: float
) -> float:
    """Middle of the first picture-in-picture segment (the most personal frame), else 1/3."""
    fps, start = template.output.fps, 0
    for seg, src in zip(template.segments, sources, strict=True):
        if isinstance(seg, PipSegment):
            return (start + src.frames / 2) / fps
        start += src.frames - transition_frames(seg.transition, fps)
    return duration / 3
