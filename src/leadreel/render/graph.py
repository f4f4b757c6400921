"""Build the ffmpeg filter graph for a run of template segments (no process is started here).

Why one graph: every pixel operation (scaling, scrolling, masking, text, fades, xfades)
happens inside a single ffmpeg process, so Python never touches frames and the cost of a
video is close to the cost of encoding it. Measured facts that shape the graph
(see /work/shared/NOTES.md):

* images are fed once (``-i site.png``) and repeated with ``loop=loop=N:size=1`` plus a
  frame-count timestamp; ``-loop 1`` would decode the PNG again for every frame (3x slower);
* every segment is cut to an exact frame count and an exact sample count, so parts encoded
  separately line up when the concat demuxer joins them;
* the circle mask is drawn once (``geq`` on one frame) and looped, not computed per frame.

Text overlays are built in :mod:`leadreel.render.overlays`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadreel.integrations.ffmpeg import MediaInfo
from leadreel.render.overlays import drawtext_filter
from leadreel.render.stills import stills_graph
from leadreel.render.templates import (
    AudioOverImageSegment,
    FullscreenSegment,
    OutputSpec,
    PipSegment,
    Segment,
    Transition,
    render_text,
)

SAMPLE_RATE = 48_000


@dataclass(frozen=True)
class EncodeSettings:
    """x264/AAC settings. Cached and per-lead parts must share all of these (same SPS/PPS),
    or the stream-copied join would not decode; they are part of every cache key."""

    preset: str = "veryfast"
    crf: int = 23
    threads: int = 0  # 0 = x264's choice
    audio_bitrate: str = "128k"
    tune: str | None = None  # x264 -tune (e.g. "stillimage", "animation"); None = none


    def video_args(self, output: OutputSpec) -> list[str]:
        level = "4.1" if output.width * output.height <= 1920 * 1088 else "5.1"
        return [
            "-c:v",
            "libx264",
            "-preset",
            self.preset,
            "-crf",
            str(self.crf),
            "-profile:v",
            "high",
            "-level:v",
            level,
            "-pix_fmt",
            "yuv420p",
            "-r",
            str(output.fps),
            "-g",
            str(output.fps * 2),
            "-keyint_min",
            str(output.fps),
            "-threads",
            str(self.threads),
            *(["-tune", self.tune] if self.tune else []),
            "-video_track_timescale",
            "90000",
        ]

    def audio_args(self) -> list[str]:
        return ["-c:a", "aac", "-b:a", self.audio_bitrate, "-ar", str(SAMPLE_RATE)]

    def cache_fields(self) -> dict[str, Any]:
        # v2: cached parts are video only; the audio track is cached on its own
        fields = {"preset": self.preset, "crf": self.crf, "audio": self.audio_bitrate, "v": 2}
        return {**fields, "tune": self.tune} if self.tune else fields


@dataclass(frozen=True)
class SegmentSources:
    """The files one segment reads, already resolved (fallbacks applied) and probed."""

    clip: Path
    clip_info: MediaInfo
    frames: int
    image: Path | None = None
    image_size: tuple[int, int] | None = None
    #: the clip already scaled (and shaped) for picture-in-picture, lossless, exactly
    #: ``frames`` long at the output rate: see :mod:`leadreel.render.precompose`
    pip_clip: Path | None = None


@dataclass
class FilterGraph:
    """Inputs and ``-filter_complex`` text; ``video``/``audio`` are the output labels
    (either may be empty: a video-only part, the audio-only track)."""

    inputs: list[str] = field(default_factory=list)
    chains: list[str] = field(default_factory=list)
    video: str = ""
    audio: str = ""
    frames: int = 0
    _count: int = 0
    _labels: int = 0

    def add_input(self, *args: str) -> int:
        self.inputs.extend(args)
        self._count += 1
        return self._count - 1

    def label(self, prefix: str) -> str:
        self._labels += 1
        return f"{prefix}{self._labels}"

    def args(self) -> list[str]:
        maps = [
            arg for label in (self.video, self.audio) if label for arg in ("-map", f"[{label}]")
        ]
        return [*self.inputs, "-filter_complex", ";".join(self.chains), *maps]


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


class GraphBuilder:
    """Adds one segment at a time to a :class:`FilterGraph`, then joins them."""

    def __init__(
        self,
        output: OutputSpec,
        *,
        variables: Mapping[str, Any],
        text_dir: Path,
        font_path: Path | None,
    ):
        self.out = output
        self.variables = variables
        self.text_dir = text_dir
        self.font_path = font_path
        self.g = FilterGraph()

    # -- sources ---------------------------------------------------------------------------
    def _clip_input(self, src: SegmentSources) -> int:
        seconds = src.frames / self.out.fps + 1.0  # read no further than needed
        return self.g.add_input("-t", f"{seconds:.3f}", "-i", str(src.clip))

    def _clip_video(self, idx: int, src: SegmentSources, scale: str) -> str:
        """Clip video at output rate, cut or padded (last frame held) to exactly N frames."""
        fps, n = self.out.fps, src.frames
        if src.clip_info.video is None:
            raise ValueError(f"clip {src.clip.name} has no video stream")
        lab = self.g.label("cv")
        self.g.chains.append(
            f"[{idx}:v]setpts=PTS-STARTPTS,fps={fps},{scale},setsar=1,"
            f"tpad=stop_mode=clone:stop_duration={n / fps + 1:.3f},"
            f"trim=end_frame={n},setpts=PTS-STARTPTS[{lab}]"
        )
        return lab

    def _clip_audio(self, idx: int | None, src: SegmentSources, seg: Segment) -> str:
        """Clip audio at 48 kHz stereo, cut or padded with silence to the exact sample count."""
        samples = round(src.frames / self.out.fps * SAMPLE_RATE)
        lab = self.g.label("ca")
        fmt = f"aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"
        if idx is not None and src.clip_info.audio is not None:
            head = f"[{idx}:a]asetpts=PTS-STARTPTS,aresample={SAMPLE_RATE},{fmt},apad,"
        else:
            head = f"anullsrc=r={SAMPLE_RATE}:cl=stereo,{fmt},"
        chain = head + f"atrim=end_sample={samples},asetpts=N/SR/TB"
        duration = src.frames / self.out.fps
        if seg.fade_in > 0:
            chain += f",afade=t=in:d={seg.fade_in:.3f}"
        if seg.fade_out > 0:
            chain += f",afade=t=out:st={max(duration - seg.fade_out, 0):.3f}:d={seg.fade_out:.3f}"
        self.g.chains.append(chain + f"[{lab}]")
        return lab

    def _still(self, src: SegmentSources, *, anchor_top: bool, frames: int, zoom: float) -> str:
        """An image filling the frame for N frames; decoded once, then looped or zoompanned."""
        if src.image is None or src.image_size is None:
            raise ValueError("segment needs an image but none was resolved")
        W, H, fps = self.out.width, self.out.height, self.out.fps
        iw, ih = src.image_size
        scale = max(W / iw, H / ih)
        sw, sh = max(W, _even(iw * scale)), max(H, _even(ih * scale))
        x, y = (sw - W) // 2, 0 if anchor_top else (sh - H) // 2
        idx = self.g.add_input("-framerate", str(fps), "-i", str(src.image))
        lab = self.g.label("st")
        base = f"[{idx}:v]scale={sw}:{sh},crop={W}:{H}:{x}:{y},setsar=1,format=yuv420p"
        if zoom > 0:
            steps = max(frames - 1, 1)
            z = f"1+{zoom:.4f}*on/{steps}"
            self.g.chains.append(
                # zoompan crops on whole input pixels: at 2x the steps are half an output
                # pixel, which keeps a slow zoom from visibly wobbling
                f"{base},scale={2 * W}:{2 * H}:flags=bicubic,"
                f"zoompan=z='{z}':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2'"
                f":d={frames}:s={W}x{H}:fps={fps},settb=1/{fps},setpts=N[{lab}]"
            )
        else:
            self.g.chains.append(
                f"{base},loop=loop={frames - 1}:size=1,settb=1/{fps},setpts=N,"
                f"trim=end_frame={frames}[{lab}]"
            )
        return lab

    def _scroll(self, src: SegmentSources, frames: int) -> str:
        """The full-page screenshot scrolled top to bottom over the segment, via crop's y(n)."""
        assert src.image is not None and src.image_size is not None
        W, H, fps = self.out.width, self.out.height, self.out.fps
        iw, ih = src.image_size
        sh = _even(ih * W / iw)
        if sh <= H:  # shorter than the viewport: nothing to scroll
            return self._still(src, anchor_top=True, frames=frames, zoom=0)
        idx = self.g.add_input("-framerate", str(fps), "-i", str(src.image))
        lab = self.g.label("sc")
        steps = max(frames - 1, 1)
        self.g.chains.append(
            f"[{idx}:v]scale={W}:{sh},setsar=1,format=yuv420p,loop=loop={frames - 1}:size=1,"
            f"settb=1/{fps},setpts=N,trim=end_frame={frames},crop={W}:{H}:0:'(ih-oh)*n/{steps}'"
            f"[{lab}]"
        )
        return lab

    # -- segments --------------------------------------------------------------------------
    def add_segment(
        self, seg: Segment, src: SegmentSources, *, audio: bool = True
    ) -> tuple[str, str | None, int]:
        """Add one segment's video (and audio) chains; return their labels and frame count.

        ``audio=False`` for parts joined to the cached audio track (see `add_audio`).
        """
        W, H, n = self.out.width, self.out.height, src.frames
        sound: str | None = None
        if isinstance(seg, FullscreenSegment):
            idx = self._clip_input(src)
            cover = (
                f"scale={W}:{H}:force_original_aspect_ratio=increase,crop={W}:{H},format=yuv420p"
            )
            video = self._clip_video(idx, src, cover)
        elif isinstance(seg, PipSegment):
            if seg.background.source == "website_scroll":
                bg = self._scroll(src, n)
            else:
                bg = self._still(
                    src, anchor_top=seg.background.source == "website", frames=n, zoom=0
                )
            # a precomposed clip replaces the presenter's video; its sound, when this graph
            # makes sound at all, still comes from the original clip
            idx = None if src.pip_clip is not None and not audio else self._clip_input(src)
            video = self._pip(idx, src, seg, bg)
        elif isinstance(seg, AudioOverImageSegment):
            video = self._still(
                src, anchor_top=seg.image.source == "website", frames=n, zoom=seg.zoom
            )
            idx = None
        else:  # pragma: no cover - the discriminated union is exhaustive
            raise TypeError(f"unknown segment type {type(seg).__name__}")
        if audio:
            if idx is None and src.clip_info.audio is not None:
                idx = self._clip_input(src)
            sound = self._clip_audio(idx if src.clip_info.audio is not None else None, src, seg)
        return self._decorate(video, seg, n), sound, n

    def add_audio(self, seg: Segment, src: SegmentSources) -> tuple[str, int]:
        """One segment's audio alone: what the lead-independent audio track is made of."""
        idx = self._clip_input(src) if src.clip_info.audio is not None else None
        return self._clip_audio(idx, src, seg), src.frames

    def pip_shape(self, seg: PipSegment) -> tuple[int, str]:
        """Width and filters that turn the presenter's frames into the picture-in-picture."""
        W, H = self.out.width, self.out.height
        pw = min(_even(W * seg.size), _even(H - 2 * seg.margin))
        if seg.circle:
            return pw, f"crop='min(iw,ih)':'min(iw,ih)',scale={pw}:{pw},format=yuv420p"
        # fit a box: a portrait phone clip must not cover the page; the size comes from
        # the decoded frames, so rotated phone videos come out the right way round
        box = f"w={pw}:h={_even(H - 2 * seg.margin)}"
        shape = (
            f"scale={box}:force_original_aspect_ratio=decrease:force_divisible_by=2,"
            "format=yuv420p"
        )
        return pw, shape

    def add_pip_clip(self, seg: PipSegment, src: SegmentSources) -> None:
        """The scaled presenter clip alone (video only): what a precomposed clip holds."""
        idx = self._clip_input(src)
        self.g.video = self._clip_video(idx, src, self.pip_shape(seg)[1])
        self.g.frames = src.frames

    def _pip(self, idx: int | None, src: SegmentSources, seg: PipSegment, bg: str) -> str:
        fps, n = self.out.fps, src.frames
        assert src.clip_info.video is not None
        pw, shape = self.pip_shape(seg)
        if src.pip_clip is not None:
            pre, clip = self.g.add_input("-i", str(src.pip_clip)), self.g.label("cv")
            self.g.chains.append(
                # the file's own timebase (mov: 1/15360) must not reach overlay: frames
                # are renumbered in the output's, like every other source of the graph
                f"[{pre}:v]settb=1/{fps},setpts=N,trim=end_frame={n},setsar=1[{clip}]"
            )
        else:
            assert idx is not None
            clip = self._clip_video(idx, src, shape)
        if seg.circle:
            mask, merged = self.g.label("mk"), self.g.label("pc")
            r = pw / 2
            self.g.chains.append(
                f"color=c=black:s={pw}x{pw}:r={fps},trim=end_frame=1,format=gray,"
                f"geq=lum='255*clip({r:.2f}-hypot(X+0.5-{r:.2f},Y+0.5-{r:.2f})+0.5,0,1)',"
                f"loop=loop={n - 1}:size=1,settb=1/{fps},setpts=N[{mask}]"
            )
            self.g.chains.append(f"[{clip}][{mask}]alphamerge[{merged}]")
            clip = merged
        m = seg.margin
        x = str(m) if seg.position in ("tl", "bl") else f"W-w-{m}"
        y = str(m) if seg.position in ("tl", "tr") else f"H-h-{m}"
        lab = self.g.label("pip")
        self.g.chains.append(f"[{bg}][{clip}]overlay=x={x}:y={y}:format=yuv420[{lab}]")
        return lab

    def _decorate(self, video: str, seg: Segment, frames: int) -> str:
        """Text overlays, then fades; ends with a normalised frame rate, format and timebase."""
        fps, dur = self.out.fps, frames / self.out.fps
        texts = [
            drawtext_filter(
                render_text(t.text, self.variables),
                t,
                text_file=self.text_dir / f"text-{seg.id}-{i}.txt",
                frame=(self.out.width, self.out.height),
                segment_seconds=dur,
                font_path=self.font_path,
            )
            for i, t in enumerate(seg.texts)
        ]
        filters = [f for f in texts if f]
        if seg.fade_in > 0:
            filters.append(f"fade=t=in:st=0:d={seg.fade_in:.3f}")
        if seg.fade_out > 0:
            filters.append(f"fade=t=out:st={max(dur - seg.fade_out, 0):.3f}:d={seg.fade_out:.3f}")
        filters += ["format=yuv420p", f"settb=1/{fps}", f"fps={fps}"]
        lab = self.g.label("sv")
        self.g.chains.append(f"[{video}]" + ",".join(filters) + f"[{lab}]")
        return lab

    # -- joining ---------------------------------------------------------------------------
    def join(
        self,
        pieces: Sequence[tuple[str | None, str | None, int]],
        transitions: Sequence[Transition],
    ) -> None:
        """Concatenate pieces; where ``transitions[i]`` is an xfade, cross-fade i and i+1.

        Runs of hard cuts go through one ``concat``; each xfade shortens the video by its
        duration (rounded to whole frames) and the audio by the same via ``acrossfade``.
        Pieces are all video + audio, all video only, or all audio only.
        """
        fps = self.out.fps
        groups: list[list[tuple[str | None, str | None, int]]] = [[pieces[0]]]
        fades = []
        for piece, tr in zip(pieces[1:], transitions, strict=False):
            if tr.is_cut:
                groups[-1].append(piece)
            else:
                fades.append(tr)
                groups.append([piece])
        merged = [self._concat(group) for group in groups]
        v, a, n = merged[0]
        for (v2, a2, n2), tr in zip(merged[1:], fades, strict=True):
            td = transition_frames(tr, fps)  # plan.check_transitions keeps it < n, n2
            if v is not None:
                nv = self.g.label("xv")
                self.g.chains.append(
                    f"[{v}][{v2}]xfade=transition={tr.type}:duration={td / fps:.4f}"
                    f":offset={(n - td) / fps:.4f},settb=1/{fps},fps={fps}[{nv}]"
                )
                v = nv
            if a is not None:
                na = self.g.label("xa")
                self.g.chains.append(f"[{a}][{a2}]acrossfade=d={td / fps:.4f}[{na}]")
                a = na
            n = n + n2 - td
        self.g.video, self.g.audio, self.g.frames = v or "", a or "", n

    def _concat(
        self, group: list[tuple[str | None, str | None, int]]
    ) -> tuple[str | None, str | None, int]:
        if len(group) == 1:
            return group[0]
        has_video, has_audio = group[0][0] is not None, group[0][1] is not None
        ins = "".join(f"[{label}]" for pv, pa, _ in group for label in (pv, pa) if label)
        v = self.g.label("jv") if has_video else None
        a = self.g.label("ja") if has_audio else None
        outs = (f"[{v}t]" if v else "") + (f"[{a}]" if a else "")
        chain = f"{ins}concat=n={len(group)}:v={int(has_video)}:a={int(has_audio)}{outs}"
        if v:
            chain += f";[{v}t]settb=1/{self.out.fps},fps={self.out.fps}[{v}]"
        self.g.chains.append(chain)
        return v, a, sum(n for _, _, n in group)

    # -- email stills ----------------------------------------------------------------------
    def add_stills(self, start_frame: int, frames: int, preview: str) -> None:
        """Branch the finished video into a JPEG frame and a short preview animation.

        Taken from the frames before encoding, in the same process: no decode of the MP4
        afterwards. Labels ``th`` and ``anim``; map them with ``stills.stills_outputs``.
        """
        main, tap, lab = self.g.label("sv"), self.g.label("tap"), self.g.label("win")
        self.g.chains.append(f"[{self.g.video}]split[{main}][{tap}]")
        self.g.chains.append(
            f"[{tap}]trim=start_frame={start_frame}:end_frame={start_frame + frames},"
            f"setpts=PTS-STARTPTS[{lab}]"
        )
        self.g.chains.append(stills_graph(f"[{lab}]", preview))
        self.g.video = main


def transition_frames(transition: Transition, fps: int) -> int:
    """Frames an xfade overlaps (0 for a cut): whole frames, so parts keep exact lengths."""
    return 0 if transition.is_cut else max(1, round(transition.duration * fps))


def frames_for(seconds: float, fps: int) -> int:
    """Whole frames for a duration (at least one), so every part has an exact length."""
    return max(1, math.floor(seconds * fps + 0.5))
