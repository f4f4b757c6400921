"""The presenter clip, scaled and shaped for picture-in-picture once per template, not per lead.

Why: in a lead's graph the presenter clip is the only full-size video that is decoded
(1280x720 H.264) and it is the same for every lead; decoding and scaling it cost about a
third of the filter and encode CPU of a lead's personal part (bench/render.py). So the
first lead of a template writes the scaled clip (exactly the segment's frame count, at
the output rate) to the template cache, losslessly (x264 ``-qp 0``: the decoded pixels are
the ones the graph would have made), and every lead reads that small file instead.

The key covers what changes those pixels: the clip's content hash, the segment's size,
margin and shape, its frame count, the output size and rate, and the ffmpeg build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leadreel.integrations.ffmpeg import FFmpegRunner
from leadreel.render.graph import GraphBuilder, SegmentSources
from leadreel.render.templates import OutputSpec, PipSegment

VERSION = 1
#: lossless and cheap to write; the frames are small (e.g. 384x216), so decoding is cheap too
LOSSLESS = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"]


def pip_cache_key(
    seg: PipSegment,
    src: SegmentSources,
    output: OutputSpec,
    *,
    clip_hash: str,
    identity: Mapping[str, Any],
) -> str:
    payload = {
        "clip": clip_hash,
        "size": seg.size,
        "margin": seg.margin,
        "circle": seg.circle,
        "frames": src.frames,
        "output": output.model_dump(mode="json"),
        "ffmpeg": identity.get("ffmpeg"),
        "v": VERSION,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def pip_cached_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"pip-{key}.mov"


def precompose_pip(
    runner: FFmpegRunner,
    seg: PipSegment,
    src: SegmentSources,
    output: OutputSpec,
    target: Path,
    *,
    timeout: float,
) -> None:
    """Write the scaled presenter clip (video only, lossless) to ``target``."""
    builder = GraphBuilder(output, variables={}, text_dir=target.parent, font_path=None)
    builder.add_pip_clip(seg, src)
    runner.run(
        [*builder.g.args(), *LOSSLESS, "-r", str(output.fps), "-f", "mov", str(target)],
        timeout=timeout,
        total_seconds=src.frames / output.fps,
    )
