"""Text to speech with Debian's espeak-ng, for the demo presenter's spoken line.

Why espeak-ng: it is a small apt package (installed by ``make``'s set-up step), runs
offline and writes a WAV file; nothing is downloaded. Missing binary or a failure returns
False and the caller falls back to a tone.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


def speak_to_wav(text: str, target: Path, *, voice: str = "en-us", speed: int = 150) -> bool:
    """Write ``text`` spoken to ``target`` (WAV); False when no engine is available."""
    binary = espeak_binary()
    if binary is None:
        return False
    try:
        subprocess.run(
            [binary, "-v", voice, "-s", str(speed), "-p", "55", "-w", str(target), "--", text],
            check=True,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return target.is_file() and target.stat().st_size > 44
