"""Render benchmark: our ffmpeg renderer vs MoviePy 2 vs the encoder floor, same run.

    .venv/bin/python bench/render.py            # 20 s 720p30 video, best of 2 runs
    .venv/bin/python bench/render.py --quick    # 4 s video, 1 run, small batch, no PostgreSQL

The template is the product's typical one: fullscreen intro, picture-in-picture over a
1280x3000 website screenshot scrolling top to bottom, audio over the ads image, with
fades in and out of each segment. Comparators, all at the same x264 preset (the
product's, ``LEADREEL_RENDER_PRESET``) and threads:

* ``ours``: first lead: the intro, the template's audio track and the presenter clip
  precomposed for the pip are encoded into the cache side by side, the per-lead part is
  encoded (with the thumbnail and GIF branched off its graph), then all are joined;
* ``ours_reused``: a lead of another company, the template's parts from the cache;
* ``ours_pair_t1``: two such leads at once, x264 on one thread each (per lead);
* ``ours_single``: the whole video in one ffmpeg process (caching off);
* ``moviepy``: the same template written with MoviePy 2 (bench/moviepy_render.py);
* ``floor``: ffmpeg encoding the same length of its own ``testsrc`` pattern, nothing else.

Our timings include the JPEG thumbnail and the GIF preview, which the others do not make.
Then: the SSIM of the ``ours_reused`` video against the reference path (x264 veryfast,
no cache: the output before issue 15) on the personalized part; the screenshots benchmark
(bench/screenshots_bench.py) and the end-to-end batch (bench/batch.py). The last line
printed is ``RESULT key=value ...``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from PIL import Image, ImageDraw  # noqa: E402

from leadreel.config import Settings  # noqa: E402
from leadreel.integrations.ffmpeg import find_ffmpeg, probe, run_ffmpeg  # noqa: E402
from leadreel.render.engine import render_video  # noqa: E402
from leadreel.render.graph import EncodeSettings  # noqa: E402
from leadreel.render.quality import ssim  # noqa: E402
from leadreel.render.templates import VideoTemplate  # noqa: E402

FPS, SIZE = 30, (1280, 720)


def make_fixtures(directory: Path, seconds: tuple[float, float, float]) -> dict[str, Path]:
    """Presenter clips (H.264 720p30 + AAC, like an upload), a tall site PNG, an ads PNG."""
    paths: dict[str, Path] = {}
    sources = ("testsrc2", "smptehdbars", "mandelbrot")
    for name, src, length, tone in zip(
        ("intro", "walkthrough", "outro"), sources, seconds, (440, 550, 660), strict=True
    ):
        path = directory / f"{name}.mp4"
        run_ffmpeg(
            [
                "-f",
                "lavfi",
                "-i",
                f"{src}=s=1280x720:r={FPS}",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency={tone}:sample_rate=48000",
                "-t",
                f"{length + 0.5}",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                str(path),
            ],
            timeout=300,
        )
        paths[name] = path
    for key, shift in (("site", 0), ("site2", 60)):  # two companies' pages
        site = Image.new("RGB", (1280, 3000), (245, 245, 250))
        draw = ImageDraw.Draw(site)
        for i, y in enumerate(range(0, 3000, 150)):
            colour = (30 + (i * 10 + shift) % 200, 90, 200 - i * 7 % 150)
            draw.rectangle([40, y + 20, 1240, y + 70], fill=colour)
            for line in range(3):  # text: what a lossy setting would smear first
                draw.text((60, y + 80 + line * 14), f"Company {key} section {i} " * 8, fill=0)
        paths[key] = directory / f"{key}.png"
        site.save(paths[key])
    paths["ads"] = directory / "ads.png"
    Image.new("RGB", SIZE, (250, 200, 40)).save(paths["ads"])
    return paths


def bench_template(seconds: tuple[float, float, float], fade: float) -> VideoTemplate:
    d1, d2, d3 = seconds
    common = {"fade_in": fade, "fade_out": fade}
    return VideoTemplate.model_validate(
        {
            "name": "bench",
            "output": {"width": SIZE[0], "height": SIZE[1], "fps": FPS},
            "segments": [
                {"type": "fullscreen", "id": "intro", "clip": "intro", "duration": d1, **common},
                {
                    "type": "pip",
                    "id": "site",
                    "clip": "walkthrough",
                    "duration": d2,
                    "size": 0.3,
                    "margin": 32,
                    "background": {"source": "website_scroll"},
                    **common,
                },
                {
                    "type": "audio_over_image",
                    "id": "ads",
                    "clip": "outro",
                    "duration": d3,
                    "image": {"source": "ads"},
                    **common,
                },
            ],
        }
    )


def measure(run: Callable[[int], Path], i: int, expected: float) -> tuple[float, float]:
    """Wall seconds and CPU seconds (this process + waited-for children, i.e. ffmpeg) of
    one run. CPU time is much less disturbed by other load than wall time. The output is
    probed so a broken render can't post a good time."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    started = time.perf_counter()
    out = run(i)
    wall = time.perf_counter() - started
    me2, kids2 = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    cpu = sum(
        (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        for before, after in ((me, me2), (kids, kids2))
    )
    got = probe(out).duration
    if abs(got - expected) > 0.15:
        raise RuntimeError(f"{out.name}: duration {got:.2f}s, expected {expected:.2f}s")
    return wall, cpu


def no_visible_loss(ours: Callable[..., Path], work: Path, total: float) -> dict[str, float]:
    """SSIM of a batch lead's video (warm cache, this run's preset) against the reference
    path (one ffmpeg process, presenter scaled in the graph, x264 veryfast: the output
    before this benchmark's speed-ups) on the personalized part, after the 5 s intro."""
    reference = ours(
        "reference",
        work / "nocache-ref",
        site="site2",
        use_cache=False,
        encode=EncodeSettings(preset="veryfast", threads=os.cpu_count() or 2),
    )
    lead = work / "reused0" / "video.mp4"
    value = ssim(reference, lead, start=total / 4)
    ref_d, lead_d = probe(reference).duration, probe(lead).duration
    print(
        f"quality: SSIM {value:.4f} on the personalized part (bar 0.98), "
        f"durations {lead_d:.2f} s / reference {ref_d:.2f} s"
    )
    if abs(ref_d - lead_d) > 0.05:
        raise RuntimeError(f"duration {lead_d:.2f} s differs from the reference {ref_d:.2f} s")
    return {"ssim_personal": value}


def batch_figures(quick: bool, *, preset: str) -> dict[str, float]:
    """The end-to-end batch (bench/batch.py): screenshots, renders, stills, real workers."""
    try:
        module = importlib.import_module("batch")
        return dict(module.run(quick, preset=preset, postgres=not quick))
    except Exception:  # its failure must not hide our numbers
        traceback.print_exc()
        print("batch bench: failed, skipped")
        return {}


def screenshot_figures(quick: bool) -> dict[str, float]:
    """Figures from the screenshots benchmark if another engineer's module is there."""
    if not (HERE / "screenshots_bench.py").is_file():
        print("screenshots bench: bench/screenshots_bench.py not found, skipped")
        return {}
    try:
        module = importlib.import_module("screenshots_bench")
        figures = module.run(quick)
    except Exception:  # its failure must not hide our numbers
        traceback.print_exc()
        print("screenshots bench: failed, skipped")
        return {}
    return {k: float(v) for k, v in figures.items() if k.startswith("screens_")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 s video, one run each")
    parser.add_argument("--repeat", type=int, default=None, help="runs per comparator")
    parser.add_argument("--preset", default=Settings().render_preset, help="x264, for all")
    parser.add_argument("--no-batch", action="store_true", help="skip the end-to-end batch")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--no-moviepy", action="store_true")
    args = parser.parse_args(argv)
    seconds = (1.0, 2.0, 1.0) if args.quick else (5.0, 10.0, 5.0)
    fade = 0.3 if args.quick else 0.5
    repeat = args.repeat or (1 if args.quick else 2)
    total = sum(seconds)
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="leadreel-bench-"))
    try:
        fx = make_fixtures(work, seconds)
        template = bench_template(seconds, fade=fade)
        settings = EncodeSettings(preset=args.preset, threads=args.threads)
        assets = {k: fx[k] for k in ("intro", "walkthrough", "outro")}

        def ours(
            tag: str,
            cache: Path,
            *,
            use_cache: bool = True,
            site: str = "site",
            encode: EncodeSettings = settings,
        ) -> Path:
            result = render_video(
                template,
                variables={"first_name": "Ann"},
                assets=assets,
                website_full=fx[site],
                ads=fx["ads"],
                out_dir=work / tag,
                cache_dir=cache,
                settings=encode,
                use_cache=use_cache,
                timeout=600,
            )
            return result.video

        def ours_fresh(i: int) -> Path:
            return ours(f"fresh{i}", work / f"cache{i}")

        def ours_reused(i: int) -> Path:
            # another company's lead: only the template's parts are shared
            return ours(f"reused{i}", work / "cache0", site="site2")  # cache0: ours_fresh(0)

        def ours_pair_t1(i: int) -> Path:
            """Two leads at once, x264 on one thread each (processes, not threads, per core):
            its time is for both, halved in the table as ``ours_pair_t1_per_lead``."""
            one = EncodeSettings(preset=args.preset, threads=1)
            with ThreadPoolExecutor(2) as pool:
                videos = list(
                    pool.map(
                        lambda k: ours(f"pair{i}-{k}", work / "cache0", site="site2", encode=one),
                        range(2),
                    )
                )
            return videos[0]

        def ours_single(i: int) -> Path:
            return ours(f"single{i}", work / "nocache", use_cache=False)

        def moviepy(i: int) -> Path:
            from moviepy_render import render_moviepy

            out = work / f"moviepy{i}.mp4"
            render_moviepy(
                intro=fx["intro"],
                walkthrough=fx["walkthrough"],
                outro=fx["outro"],
                site_png=fx["site"],
                ads_png=fx["ads"],
                out=out,
                seconds=seconds,
                fade=fade,
                preset=args.preset,
                threads=args.threads,
            )
            return out

        def floor(i: int) -> Path:
            out = work / f"floor{i}.mp4"
            run_ffmpeg(
                [
                    "-f",
                    "lavfi",
                    "-i",
                    f"testsrc=s={SIZE[0]}x{SIZE[1]}:r={FPS}:d={total}",
                    "-c:v",
                    "libx264",
                    "-preset",
                    args.preset,
                    "-threads",
                    str(args.threads),
                    "-pix_fmt",
                    "yuv420p",
                    str(out),
                ],
                timeout=600,
            )
            return out

        comparators: dict[str, Callable[[int], Path]] = {
            "floor": floor,
            "ours": ours_fresh,
            "ours_reused": ours_reused,
            "ours_pair_t1": ours_pair_t1,
            "ours_single": ours_single,
        }
        if not args.no_moviepy:
            comparators["moviepy"] = moviepy
        walls: dict[str, list[float]] = {name: [] for name in comparators}
        cpus: dict[str, list[float]] = {name: [] for name in comparators}
        for i in range(repeat):  # round robin: every comparator sees the same load swings
            for name, run in comparators.items():
                if name == "moviepy" and args.quick and i > 0:
                    continue
                wall, cpu = measure(run, i, total)
                walls[name].append(wall)
                cpus[name].append(cpu)
                print(f"  run {i + 1}/{repeat} {name:<12} {wall:6.2f} s wall {cpu:6.2f} s cpu")
        quality = no_visible_loss(ours, work, total)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\nvideo: {total:g} s {SIZE[0]}x{SIZE[1]}@{FPS}, x264 {args.preset}, "
        f"threads {args.threads}, best of {repeat}; ffmpeg {find_ffmpeg()}"
    )
    print(
        f"load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
        f"on {os.cpu_count()} CPUs (other processes slow every comparator)"
    )
    for table in (walls, cpus):  # two leads per run: per lead is half of it
        table["ours_pair_t1"] = [v / 2 for v in table["ours_pair_t1"]]
    results = {f"{name}_s": min(values) for name, values in walls.items()}
    cpu = {f"{name}_cpu_s": min(values) for name, values in cpus.items()}
    print(f"{'comparator':<14}{'wall s':>9}{'x floor':>9}{'cpu s':>9}{'x floor':>9}")
    for name in walls:
        w, c = results[f"{name}_s"], cpu[f"{name}_cpu_s"]
        print(
            f"{name:<14}{w:>9.2f}{w / results['floor_s']:>9.2f}"
            f"{c:>9.2f}{c / cpu['floor_cpu_s']:>9.2f}"
        )
    for suffix, table in (("", results), ("_cpu", cpu)):
        ours, reused, floor_v = (table[f"{k}{suffix}_s"] for k in ("ours", "ours_reused", "floor"))
        extra: dict[str, float] = {}
        if f"moviepy{suffix}_s" in table:
            extra[f"moviepy_over_ours{suffix}"] = table[f"moviepy{suffix}_s"] / ours
            extra[f"moviepy_over_ours_reused{suffix}"] = table[f"moviepy{suffix}_s"] / reused
            pair = table[f"ours_pair_t1{suffix}_s"]
            extra[f"moviepy_over_ours_pair_t1{suffix}"] = table[f"moviepy{suffix}_s"] / pair
        extra[f"ours_over_floor{suffix}"] = ours / floor_v
        extra[f"ours_reused_over_floor{suffix}"] = reused / floor_v
        table.update(extra)
    results.update(cpu)
    results.update(quality)
    results.update(screenshot_figures(args.quick))
    if not args.no_batch:
        results.update(batch_figures(args.quick, preset=args.preset))
    print("RESULT " + " ".join(f"{k}={v:.3f}" for k, v in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
