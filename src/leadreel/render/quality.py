"""How close two renders look: SSIM of the luma of sampled frames in a time window.

Why: a faster encoder setting or a reused intermediate is only worth it with no visible
loss. The benchmark and the tests compare the personalized part (the segments after the
cached intro) of a new render with the reference one (SSIM 1.0 = identical; the bar the
product keeps is 0.98).

Computed here with PyAV and numpy, frame k against frame k: ffmpeg's ``ssim`` filter pairs
frames by their timestamps, and with two differently muxed files (concat-joined MP4
against a single-process one) it was seen to give different figures for the same files
from one run to the next. numpy is a dev/bench dependency (imported when called).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
WINDOW = 8  # pixels: the usual SSIM window, as a box filter


def _frames(path: Path, first: int, last: int | None, every: int) -> list[Any]:
    import av

    picked = []
    with av.open(os.fspath(path)) as container:
        for n, frame in enumerate(container.decode(container.streams.video[0])):
            if last is not None and n >= last:
                break
            if n >= first and (n - first) % every == 0:
                picked.append(frame.to_ndarray(format="gray"))
    return picked


def _box(image: Any, size: int) -> Any:
    """Mean over every size x size window (valid positions only), via summed-area tables."""
    import numpy as np

    table = np.pad(image, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    total = (
        table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]
    )
    return total / (size * size)


def frame_ssim(a: Any, b: Any) -> float:
    """Mean SSIM of two grey frames of the same size."""
    import numpy as np

    x, y = a.astype(np.float64), b.astype(np.float64)
    mx, my = _box(x, WINDOW), _box(y, WINDOW)
    vx = _box(x * x, WINDOW) - mx * mx
    vy = _box(y * y, WINDOW) - my * my
    cov = _box(x * y, WINDOW) - mx * my
    index = ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2))
    return float(index.mean())


def ssim(
    reference: Path,
    candidate: Path,
    *,
    start: float = 0.0,
    end: float | None = None,
    every: int = 5,
    fps: float | None = None,
) -> float:
    """Mean luma SSIM of every ``every``-th frame between ``start`` and ``end`` seconds."""
    from leadreel.integrations.ffmpeg import probe

    if fps is None:
        info = probe(reference)
        fps = info.video.fps if info.video is not None and info.video.fps else 30.0
    first, last = round(start * fps), (round(end * fps) if end is not None else None)
    ref = _frames(reference, first, last, max(1, every))
    got = _frames(candidate, first, last, max(1, every))
    if not ref or len(ref) != len(got):
        raise ValueError(
            f"{candidate.name}: {len(got)} frames in the window against {len(ref)} in "
            f"{reference.name}"
        )
    if ref[0].shape != got[0].shape:
        raise ValueError(f"{candidate.name}: frame size {got[0].shape} != {ref[0].shape}")
    return sum(frame_ssim(a, b) for a, b in zip(ref, got, strict=True)) / len(ref)
