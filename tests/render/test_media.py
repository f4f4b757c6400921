"""Upload validation, demo clips and the ffmpeg boundary."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leadreel.integrations.ffmpeg import (
    FFmpegError,
    FFmpegNotFound,
    FFmpegTimeout,
    MediaProbeError,
    find_ffmpeg,
    probe,
    run_ffmpeg,
)
from leadreel.render.media import (
    MediaLimits,
    MediaValidationError,
    generate_demo_clips,
    validate_clip,
    validate_image,
)


def test_good_clip_is_accepted(green_clip: Path) -> None:
    info = validate_clip(green_clip)
    assert info.video is not None and info.video.codec == "h264"
    assert info.audio is not None and info.audio.sample_rate == 48000
    assert info.duration == pytest.approx(2.0, abs=0.1)


def test_text_file_renamed_mp4_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / "presenter.mp4"
    fake.write_text("this is not a video\n" * 50)
    with pytest.raises(MediaValidationError, match="presenter.mp4: not a readable video"):
        validate_clip(fake)


def test_truncated_clip_is_rejected(green_clip: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(green_clip.read_bytes()[:2000])
    with pytest.raises(MediaValidationError, match="cut.mp4"):
        validate_clip(cut)


def test_limits_are_enforced_with_clear_messages(green_clip: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaValidationError, match="duration 2.0s"):
        validate_clip(green_clip, limits=MediaLimits(max_duration=1.0))
    with pytest.raises(MediaValidationError, match="over the"):
        validate_clip(green_clip, limits=MediaLimits(max_bytes=1000))
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(MediaValidationError, match="empty"):
        validate_clip(empty)


def test_image_validation(site_png: Path, tmp_path: Path) -> None:
    assert validate_image(site_png) == (1280, 3000)
    bad = tmp_path / "bad.png"
    bad.write_text("nope")
    with pytest.raises(MediaValidationError, match="not a readable image"):
        validate_image(bad)
    with pytest.raises(MediaValidationError, match="too many pixels"):
        validate_image(site_png, limits=MediaLimits(max_image_pixels=1000))


def test_demo_clips_are_generated_locally_and_valid(tmp_path: Path) -> None:
    made = generate_demo_clips(tmp_path / "demo", seconds=1.0, width=320, height=180)
    assert set(made) == {"intro", "walkthrough", "outro", "demo_image"}
    for asset_id in ("intro", "walkthrough", "outro"):
        info = validate_clip(made[asset_id])
        assert info.audio is not None and info.video is not None
        assert (info.video.width, info.video.height) == (320, 180)
    assert validate_image(made["demo_image"]) == (320, 180)
    mtime = made["intro"].stat().st_mtime_ns
    assert generate_demo_clips(tmp_path / "demo")["intro"].stat().st_mtime_ns == mtime


def test_probe_rejects_non_media(tmp_path: Path) -> None:
    junk = tmp_path / "x.mov"
    junk.write_bytes(b"\x00" * 100)
    with pytest.raises(MediaProbeError):
        probe(junk)


def test_run_ffmpeg_reports_progress_and_errors(tmp_path: Path) -> None:
    seen: list[float] = []
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=160x90:r=30:d=2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            str(tmp_path / "t.mp4"),
        ],
        timeout=30,
        on_progress=seen.append,
        total_seconds=2.0,
    )
    assert seen[-1] == 1.0
    with pytest.raises(FFmpegError, match="does-not-exist"):
        run_ffmpeg(["-i", str(tmp_path / "does-not-exist.mp4"), "-f", "null", "-"], timeout=30)


def test_run_ffmpeg_timeout_kills_the_process() -> None:
    started = time.monotonic()
    with pytest.raises(FFmpegTimeout, match="timeout 0.3s"):
        run_ffmpeg(
            [
                "-f",
                "lavfi",
                "-i",
                "testsrc2=s=1280x720:r=30:d=600",
                "-c:v",
                "libx264",
                "-f",
                "null",
                "-",
            ],
            timeout=0.3,
        )
    assert time.monotonic() - started < 5


def test_find_ffmpeg_prefers_configured_path(tmp_path: Path) -> None:
    assert Path(find_ffmpeg()).is_file()
    with pytest.raises(FFmpegNotFound):
        find_ffmpeg(tmp_path / "no-ffmpeg-here")


def test_a_raising_progress_callback_cancels_the_render(tmp_path: Path) -> None:
    """Workers cancel a job by raising from on_progress: ffmpeg must not keep running."""

    class Cancelled(Exception):
        pass

    def cancel(fraction: float) -> None:
        raise Cancelled

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_ffmpeg(
            [
                "-f",
                "lavfi",
                "-i",
                "testsrc2=s=640x360:r=30:d=600",
                "-c:v",
                "libx264",
                "-f",
                "null",
                "-",
            ],
            timeout=60,
            on_progress=cancel,
            total_seconds=600,
        )
    assert time.monotonic() - started < 10


def _processes_with(marker: str) -> list[int]:
    """ffmpeg processes whose command line names `marker` (not the Python that starts one)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker.encode() in argv and any(b"ffmpeg" in a for a in argv[:4]):
                pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir() or not shutil.which("setpriv"), reason="Linux")
def test_ffmpeg_dies_with_a_sigkilled_worker(tmp_path: Path) -> None:
    """A worker killed with SIGKILL cannot stop its ffmpeg: the kernel must (pdeathsig)."""
    marker = str(tmp_path / "orphan-check.mp4")
    script = (
        "from leadreel.integrations.ffmpeg import run_ffmpeg\n"
        "run_ffmpeg(['-f', 'lavfi', '-i', 'testsrc=s=640x360:r=30:d=600', '-c:v', 'libx264',"
        f" '-preset', 'ultrafast', {marker!r}], timeout=600)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 20
        while not _processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_with(marker), "ffmpeg did not start"
        worker.kill()
        worker.wait()
        deadline = time.monotonic() + 5
        while _processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _processes_with(marker), "ffmpeg outlived its killed worker"
    finally:
        worker.kill()
        for pid in _processes_with(marker):
            os.kill(pid, signal.SIGKILL)
