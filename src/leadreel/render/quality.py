"""How close two renders look: SSIM over sampled frames of a time window, via ffmpeg.

Why: a faster encoder setting or a reused intermediate is only worth it with no visible
loss. The benchmark and the tests compare the personalized part (the segments after the
cached intro) of a new render with the reference one (SSIM 1.0 = identical; the bar the
product keeps is 0.98).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from leadreel.integrations.ffmpeg import find_ffmpeg

_ALL = re.compile(r"SSIM .*All:([0-9.]+)")


def ssim(
    reference: Path,
    candidate: Path,
    *,
    start: float = 0.0,
    end: float | None = None,
    every: int = 5,
    timeout: float = 300,
) -> float:
    """Mean SSIM (all planes) of every ``every``-th frame between ``start`` and ``end`` s."""
    window = f"trim=start={start:.3f}" + (f":end={end:.3f}" if end is not None else "")
    pick = f"{window},setpts=PTS-STARTPTS,select='not(mod(n\\,{max(1, every)}))'"
    graph = f"[0:v]{pick}[a];[1:v]{pick}[b];[a][b]ssim"
    proc = subprocess.run(
        [
            find_ffmpeg(),
            "-hide_banner",
            "-nostdin",
            "-i",
            str(reference),
            "-i",
            str(candidate),
            "-filter_complex",
            graph,
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    found = _ALL.findall(proc.stderr)
    if proc.returncode != 0 or not found:
        tail = proc.stderr.strip()[-500:]
        raise RuntimeError(f"ssim of {candidate.name} against {reference.name} failed: {tail}")
    return float(found[-1])
