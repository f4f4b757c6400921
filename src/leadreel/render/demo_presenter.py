"""The demo presenter: a friendly drawn character who says one line, made locally.

Why drawn: the demo used ffmpeg's colour bars, which made the product look broken. Here a
few Pillow frames (mouth closed to open, eyes open or blinking) are joined by ffmpeg's
concat demuxer, one entry per video frame, with the mouth following the loudness of the
spoken line (espeak-ng; a soft tone with a speech-like rhythm when it is missing). The
face sits in the middle of the frame so the picture-in-picture circle crop keeps it.
"""

from __future__ import annotations

import array
import math
import os
import shutil
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from leadreel.integrations.ffmpeg import FFmpegRunner
from leadreel.integrations.speech import speak_to_wav

MOUTH_LEVELS = 4


@dataclass(frozen=True)
class PresenterLine:
    asset_id: str
    text: str
    top: str  # background gradient colours
    bottom: str
    shirt: str


LINES = (
    PresenterLine(
        "intro", "Hi there! I made this short video just for you.", "#5b8def", "#2743a8", "#f08c3a"
    ),
    PresenterLine(
        "walkthrough",
        "I had a look at your website, and I have a few ideas.",
        "#37b39a",
        "#1d6b5c",
        "#4f6bd8",
    ),
    PresenterLine("outro", "Let's talk soon. Have a great day!", "#9b6ddc", "#5a2f9c", "#2fa36b"),
)


def _hex(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def draw_frame(
    width: int, height: int, line: PresenterLine, mouth: int, blink: bool
) -> Image.Image:
    """One frame: gradient, shoulders, head, eyes (or a blink) and a mouth ``mouth`` open."""
    top, bottom = _hex(line.top), _hex(line.bottom)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    cx, unit = width / 2, min(width, height) / 100
    head_r, head_y = 22 * unit, height * 0.44
    # shoulders and neck
    draw.rounded_rectangle(
        (cx - 38 * unit, head_y + 26 * unit, cx + 38 * unit, height + 30 * unit),
        radius=int(24 * unit),
        fill=_hex(line.shirt),
    )
    draw.rectangle(
        (cx - 7 * unit, head_y + 16 * unit, cx + 7 * unit, head_y + 30 * unit), fill=(236, 186, 150)
    )
    # head, hair, cheeks
    draw.ellipse((cx - head_r, head_y - head_r, cx + head_r, head_y + head_r), fill=(246, 204, 170))
    draw.chord(
        (cx - head_r * 1.05, head_y - head_r * 1.12, cx + head_r * 1.05, head_y + head_r * 0.5),
        start=180,
        end=360,
        fill=(74, 52, 40),
    )
    for side in (-1, 1):
        ex, ey = cx + side * 8.5 * unit, head_y - 1 * unit
        draw.ellipse(
            (ex - 4.5 * unit, ey + 6 * unit, ex + 4.5 * unit, ey + 10 * unit), fill=(240, 160, 150)
        )
        if blink:
            draw.line(
                (ex - 3.2 * unit, ey, ex + 3.2 * unit, ey),
                fill=(40, 30, 30),
                width=max(2, int(unit)),
            )
        else:
            draw.ellipse(
                (ex - 3.4 * unit, ey - 3.4 * unit, ex + 3.4 * unit, ey + 3.4 * unit),
                fill=(255, 255, 255),
            )
            draw.ellipse(
                (ex - 1.8 * unit, ey - 1.6 * unit, ex + 1.8 * unit, ey + 2 * unit),
                fill=(45, 35, 35),
            )
            draw.ellipse(
                (ex - 0.6 * unit, ey - 1.2 * unit, ex + 0.4 * unit, ey - 0.2 * unit),
                fill=(255, 255, 255),
            )
    # mouth: a smile that opens with the voice
    my, mw = head_y + 9 * unit, 8 * unit
    if mouth == 0:
        draw.arc(
            (cx - mw, my - 4 * unit, cx + mw, my + 3 * unit),
            start=20,
            end=160,
            fill=(120, 40, 40),
            width=max(2, int(1.2 * unit)),
        )
    else:
        open_h = (1.5 + 2.2 * mouth) * unit
        draw.chord(
            (cx - mw, my - open_h, cx + mw, my + open_h), start=0, end=180, fill=(120, 30, 40)
        )
        draw.chord(
            (cx - mw * 0.6, my + open_h * 0.2, cx + mw * 0.6, my + open_h),
            start=0,
            end=180,
            fill=(230, 110, 120),
        )
    return image


def _loudness(wav_path: Path, fps: int, frames: int) -> list[float]:
    """Per video frame, the line's loudness 0..1 (RMS of 16-bit mono samples)."""
    with wave.open(str(wav_path)) as wav:
        rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
        raw = wav.readframes(wav.getnframes())
    if width != 2:
        return [0.0] * frames
    samples = array.array("h", raw)[::channels]
    per = max(1, rate // fps)
    levels = []
    for i in range(frames):
        chunk = samples[i * per : (i + 1) * per]
        levels.append(
            math.sqrt(sum(s * s for s in chunk[::4]) / max(1, len(chunk[::4]))) if chunk else 0.0
        )
    peak = max(levels) or 1.0
    return [min(1.0, level / (peak * 0.7)) for level in levels]


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / float(wav.getframerate())


def make_presenter_clip(
    line: PresenterLine,
    target: Path,
    *,
    seconds: float | None,
    width: int,
    height: int,
    fps: int,
    runner: FFmpegRunner,
    timeout: float,
) -> None:
    """Write the clip for ``line`` to ``target`` (atomically): ``seconds`` long, or as long
    as the spoken line plus a breath when None."""
    work = Path(tempfile.mkdtemp(prefix="presenter-", dir=target.parent))
    try:
        voice = work / "line.wav"
        spoken = speak_to_wav(line.text, voice)
        length = seconds or ((_wav_seconds(voice) + 0.8) if spoken else 3.5)
        frames = max(1, round(length * fps))
        if spoken:
            levels = _loudness(voice, fps, frames)
        else:  # a speech-like rhythm for the fallback tone's mouth
            levels = [max(0.0, math.sin(i / fps * 2 * math.pi * 2.2)) for i in range(frames)]
        names: dict[tuple[int, bool], str] = {}
        entries = []
        for i, level in enumerate(levels):
            mouth = min(MOUTH_LEVELS - 1, round(level * (MOUTH_LEVELS - 1)))
            blink = (i % (fps * 3)) in (fps * 3 - 3, fps * 3 - 2)
            key = (mouth, blink)
            if key not in names:
                names[key] = f"f{mouth}{int(blink)}.png"
                draw_frame(width, height, line, mouth, blink).save(work / names[key])
            entries.append(f"file '{names[key]}'\nduration {1 / fps:.6f}")
        entries.append(f"file '{names[key]}'")  # the concat demuxer drops the last duration
        (work / "frames.txt").write_text("\n".join(entries) + "\n")
        audio = (
            ["-i", str(voice)]
            if spoken
            else ["-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000,volume=0.15"]
        )
        staging = target.with_name(f".{target.stem}.tmp.mp4")
        runner.run(
            [
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(work / "frames.txt"),
                *audio,
                "-t",
                f"{length:.3f}",
                "-af",
                "apad",
                "-ar",
                "48000",
                "-ac",
                "2",
                "-r",
                str(fps),
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
                str(staging),
            ],
            timeout=timeout,
        )
        os.replace(staging, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
