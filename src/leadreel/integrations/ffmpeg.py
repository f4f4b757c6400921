"""The ffmpeg boundary: find the binary, run it with progress and a hard timeout, probe media.

Why a module of its own: every render and every upload check goes through here, so the
rules that keep a worker healthy live in one place: a render that hangs is killed (not
left to eat a core), failures carry the tail of ffmpeg's stderr (the only useful part),
and progress comes from ``-progress pipe:1`` rather than from parsing the human log.

Probing uses PyAV, not ``ffprobe``: the imageio-ffmpeg wheel ships no ffprobe and the
product must work with that binary alone.

Exceptions::

    FFmpegError            ffmpeg exited non-zero (``.stderr_tail``, ``.returncode``)
    ├── FFmpegTimeout      killed after the hard timeout
    └── FFmpegNotFound     no usable binary
    MediaProbeError        PyAV could not open or read the file (a ValueError)
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

ProgressCallback = Callable[[float], None]

STDERR_TAIL_CHARS = 2000


class FFmpegError(RuntimeError):
    """ffmpeg failed; the message ends with the tail of its stderr."""

    def __init__(self, message: str, *, stderr_tail: str = "", returncode: int | None = None):
        super().__init__(f"{message}\n{stderr_tail}".rstrip())
        self.stderr_tail = stderr_tail
        self.returncode = returncode


class FFmpegTimeout(FFmpegError):
    """ffmpeg ran longer than its hard timeout and was killed."""


class FFmpegNotFound(FFmpegError):
    """Neither the configured path nor imageio-ffmpeg gave a runnable binary."""


class MediaProbeError(ValueError):
    """The file is not media PyAV can open (corrupt, truncated, or not media at all)."""


def find_ffmpeg(configured: str | os.PathLike[str] | None = None) -> str:
    """Return the ffmpeg to run: the configured path if given, else imageio-ffmpeg's static one.

    The static binary is preferred over ``$PATH`` because it is the one we ship and test
    (libx264, drawtext, xfade are known to be there).
    """
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        found = shutil.which(str(configured))
        if found:
            return found
        raise FFmpegNotFound(f"configured ffmpeg not found or not executable: {configured}")
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise FFmpegNotFound("imageio-ffmpeg is not installed") from exc
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:  # pragma: no cover - broken wheel
        raise FFmpegNotFound(str(exc)) from exc


def _parse_out_time(value: str) -> float | None:
    """Seconds from an ``out_time=HH:MM:SS.micro`` or ``out_time_us=`` value (``N/A`` -> None)."""
    value = value.strip()
    if not value or value == "N/A":
        return None
    if ":" in value:
        try:
            hours, minutes, seconds = value.split(":")
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        except ValueError:
            return None
    try:
        return int(value) / 1_000_000
    except ValueError:
        return None


class FFmpegRunner(Protocol):
    """What the renderer needs from ffmpeg; tests may pass a fake with this shape."""

    def run(
        self,
        args: Sequence[str],
        *,
        timeout: float,
        on_progress: ProgressCallback | None = None,
        total_seconds: float | None = None,
    ) -> None: ...


@dataclass
class SubprocessRunner:
    """Runs the real binary. ``binary=None`` resolves it lazily with :func:`find_ffmpeg`."""

    binary: str | None = None

    def run(
        self,
        args: Sequence[str],
        *,
        timeout: float,
        on_progress: ProgressCallback | None = None,
        total_seconds: float | None = None,
    ) -> None:
        run_ffmpeg(
            args,
            timeout=timeout,
            on_progress=on_progress,
            total_seconds=total_seconds,
            binary=self.binary,
        )


@functools.cache
def _death_signal_wrapper() -> tuple[str, ...]:
    """`setpriv --pdeathsig KILL` (util-linux) when available: it sets the signal, then
    execs ffmpeg in the same process, so `Popen.kill` still reaches ffmpeg."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return (setpriv, "--pdeathsig", "KILL") if setpriv else ()


def run_ffmpeg(
    args: Sequence[str],
    *,
    timeout: float,
    on_progress: ProgressCallback | None = None,
    total_seconds: float | None = None,
    binary: str | None = None,
) -> None:
    """Run ``ffmpeg <args>``; report progress as a 0..1 fraction of ``total_seconds``.

    stderr goes to a temporary file, not a pipe, so a chatty ffmpeg can never block on a
    full pipe while we read progress from stdout. A timer kills the process at the
    deadline; killing closes stdout, which ends the read loop.
    """
    exe = binary or find_ffmpeg()
    # If this worker is SIGKILLed, the timer dies with it: `setpriv --pdeathsig` makes the
    # kernel kill ffmpeg at once when the thread that started it is gone; where there is
    # no setpriv, ffmpeg still stops once it has used this much CPU time (all threads).
    cpu_limit = math.ceil(max(timeout, 1.0) * ((os.cpu_count() or 1) + 1) + 30)
    cmd = [
        *_death_signal_wrapper(),
        exe,
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "error",
        "-progress",
        "pipe:1",
        "-nostats",
        "-timelimit",
        str(cpu_limit),
        *args,
    ]
    timed_out = threading.Event()
    with tempfile.TemporaryFile(mode="w+b") as err:
        try:
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL
            )
        except OSError as exc:
            raise FFmpegNotFound(f"cannot start ffmpeg {exe}: {exc}") from exc

        def _kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(max(timeout, 0.0), _kill)
        timer.daemon = True
        started = time.monotonic()
        timer.start()
        try:
            assert proc.stdout is not None
            last = -1.0
            for raw in proc.stdout:
                key, _, value = raw.decode("utf-8", "replace").partition("=")
                if on_progress is None or not total_seconds:
                    continue
                if key in ("out_time", "out_time_us"):
                    seconds = _parse_out_time(value)
                    if seconds is not None:
                        fraction = min(max(seconds / total_seconds, 0.0), 1.0)
                        if fraction > last:
                            last = fraction
                            on_progress(fraction)
                elif key == "progress" and value.strip() == "end" and last < 1.0:
                    last = 1.0
                    on_progress(1.0)
            returncode = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:  # the callback raised: do not leave ffmpeg running
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        err.seek(0, os.SEEK_END)
        size = err.tell()
        err.seek(max(0, size - STDERR_TAIL_CHARS))
        tail = err.read().decode("utf-8", "replace").strip()
    if timed_out.is_set():
        elapsed = time.monotonic() - started
        raise FFmpegTimeout(
            f"ffmpeg killed after {elapsed:.1f}s (timeout {timeout:g}s)",
            stderr_tail=tail,
            returncode=returncode,
        )
    if returncode != 0:
        raise FFmpegError(
            f"ffmpeg exited with {returncode}", stderr_tail=tail, returncode=returncode
        )


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: float


@dataclass(frozen=True)
class AudioInfo:
    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class MediaInfo:
    """What we need to know about a media file before using it in a render."""

    container: str
    duration: float
    video: VideoInfo | None
    audio: AudioInfo | None


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Read container, duration and the first video/audio stream with PyAV.

    Duration falls back from the container to the longest stream because some muxers
    (e.g. raw images, some WebM) leave the container duration unset.
    """
    import av  # imported here: keeps `import leadreel` free of native-library loading

    try:
        container = av.open(os.fspath(path))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaProbeError(f"cannot read media file {Path(path).name}: {exc}") from exc
    with container:
        video: VideoInfo | None = None
        audio: AudioInfo | None = None
        durations: list[float] = []
        for stream in container.streams:
            if stream.duration is not None and stream.time_base is not None:
                durations.append(float(stream.duration * stream.time_base))
            ctx = stream.codec_context
            if stream.type == "video" and video is None and ctx is not None:
                rate = stream.average_rate or stream.base_rate or 0
                video = VideoInfo(
                    codec=ctx.name, width=ctx.width, height=ctx.height, fps=float(rate)
                )
            elif stream.type == "audio" and audio is None and ctx is not None:
                audio = AudioInfo(
                    codec=ctx.name, sample_rate=ctx.sample_rate, channels=ctx.layout.nb_channels
                )
        if container.duration is not None and container.duration > 0:
            duration = container.duration / 1_000_000
        else:
            duration = max(durations, default=0.0)
        return MediaInfo(
            container=container.format.name, duration=duration, video=video, audio=audio
        )
