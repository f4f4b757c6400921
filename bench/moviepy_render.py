"""The benchmark's comparator: the same 3-segment template written with MoviePy 2.

Written the way the MoviePy docs suggest (clips, effects, CompositeVideoClip,
concatenate_videoclips, write_videofile), with the same x264 preset and thread count as
our renderer, so the comparison measures the approach (Python per-frame compositing)
rather than encoder settings. MoviePy is a bench-only dependency.
"""

from __future__ import annotations

from pathlib import Path


def render_moviepy(
    *,
    intro: Path,
    walkthrough: Path,
    outro: Path,
    site_png: Path,
    ads_png: Path,
    out: Path,
    seconds: tuple[float, float, float],
    fade: float,
    preset: str,
    threads: int,
    size: tuple[int, int] = (1280, 720),
    fps: int = 30,
    pip_fraction: float = 0.3,
    margin: int = 32,
) -> None:
    """Fullscreen intro, pip over the scrolling site, audio over the ads image; with fades."""
    from moviepy import (
        AudioFileClip,
        CompositeVideoClip,
        ImageClip,
        VideoFileClip,
        afx,
        concatenate_videoclips,
        vfx,
    )

    width, height = size
    d_intro, d_pip, d_outro = seconds
    fades = [vfx.FadeIn(fade), vfx.FadeOut(fade), afx.AudioFadeIn(fade), afx.AudioFadeOut(fade)]
    opened = []

    intro_src = VideoFileClip(str(intro))
    opened.append(intro_src)
    first = intro_src.subclipped(0, d_intro).resized(size).with_effects(fades)

    walk_src = VideoFileClip(str(walkthrough))
    opened.append(walk_src)
    pip_w = int(round(width * pip_fraction / 2)) * 2
    pip = walk_src.subclipped(0, d_pip).resized(width=pip_w)
    pip = pip.with_position((width - pip.w - margin, height - pip.h - margin))
    site = ImageClip(str(site_png)).resized(width=width)
    scroll_speed = (site.h - height) / d_pip
    background = site.with_duration(d_pip).with_effects(
        [vfx.Scroll(w=width, h=height, y_speed=scroll_speed)]
    )
    second = (
        CompositeVideoClip([background, pip], size=size)
        .with_duration(d_pip)
        .with_audio(pip.audio)
        .with_effects(fades)
    )

    voice = AudioFileClip(str(outro))
    opened.append(voice)
    third = (
        ImageClip(str(ads_png))
        .resized(size)
        .with_duration(d_outro)
        .with_audio(voice.subclipped(0, d_outro))
        .with_effects(fades)
    )

    final = concatenate_videoclips([first, second, third])
    try:
        final.write_videofile(
            str(out),
            fps=fps,
            codec="libx264",
            preset=preset,
            threads=threads,
            audio_codec="aac",
            audio_fps=48000,
            pixel_format="yuv420p",
            logger=None,
        )
    finally:
        final.close()
        for clip in opened:
            clip.close()
