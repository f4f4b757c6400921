"""The email images of a video: a JPEG thumbnail and a short looping GIF (or WebP).

Why here and not in the renderer: the same filters run in two places. Normally they
branch off the per-lead ffmpeg graph before encoding (no second decode of the MP4);
when the chosen moment falls in a cached part, `make_stills` takes them from the
finished MP4 instead.
"""

from __future__ import annotations

from pathlib import Path

from leadreel.integrations.ffmpeg import FFmpegRunner

SECONDS = 3.0  # length of the preview animation
WIDTH = 320  # its width; the height follows the video's aspect ratio


def stills_window(at: float, duration: float, fps: int) -> tuple[int, int]:
    """(first frame, frame count) of the preview: starting at ``at``, inside the video."""
    start = max(0.0, min(at, duration - SECONDS))
    return round(start * fps), max(1, round(min(SECONDS, duration) * fps))


def stills_graph(source: str, preview: str, width: int = WIDTH) -> str:
    """Filters from ``source`` to ``[th]`` (its first frame) and ``[anim]`` (the preview)."""
    if preview == "gif":
        anim = (
            f"fps=10,scale={width}:-2:flags=lanczos,split[g1][g2];"
            "[g2]palettegen=max_colors=128:stats_mode=diff[pal];"
            "[g1][pal]paletteuse=dither=bayer:bayer_scale=4[anim]"
        )
    else:
        anim = f"fps=12,scale={width}:-2:flags=lanczos[anim]"
    first = "[st1]trim=start_frame=0:end_frame=1,setpts=PTS-STARTPTS[th]"
    return f"{source}split[st1][st2];{first};[st2]{anim}"


def stills_outputs(thumb: Path, preview: Path) -> list[str]:
    """Output options for the ``[th]`` and ``[anim]`` labels of :func:`stills_graph`."""
    if preview.suffix == ".gif":
        codec = ["-loop", "0"]
    else:
        codec = ["-c:v", "libwebp_anim", "-loop", "0", "-q:v", "60"]
    thumb_args = ["-map", "[th]", "-frames:v", "1", "-q:v", "3", str(thumb)]
    return [*thumb_args, "-map", "[anim]", *codec, str(preview)]


def make_stills(
    runner: FFmpegRunner,
    video: Path,
    thumb: Path,
    preview: Path,
    *,
    start: float,
    timeout: float,
) -> None:
    """Both email images from a finished video, in one ffmpeg run."""
    runner.run(
        [
            "-ss",
            f"{start:.3f}",
            "-t",
            f"{SECONDS:.3f}",
            "-i",
            str(video),
            "-filter_complex",
            stills_graph("[0:v]", preview.suffix.lstrip(".")),
            *stills_outputs(thumb, preview),
        ],
        timeout=timeout,
    )
