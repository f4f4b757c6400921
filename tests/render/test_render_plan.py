"""The render plan with a recording fake runner: which ffmpeg steps run, with what codecs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from leadreel.integrations.ffmpeg import ProgressCallback
from leadreel.render.engine import render_video

from .conftest import FAST, THREE_SEGMENTS, make_template

OUTPUT_SUFFIXES = (".mov", ".mp4", ".m4a", ".jpg", ".gif")


class RecordingRunner:
    """Writes a placeholder for every output path and remembers the arguments."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def run(
        self,
        args: Sequence[str],
        *,
        timeout: float,
        on_progress: ProgressCallback | None = None,
        total_seconds: float | None = None,
    ) -> None:
        self.calls.append(list(args))
        for before, arg in zip(["", *args], args, strict=False):
            if arg.endswith(OUTPUT_SUFFIXES) and before != "-i":
                Path(arg).write_bytes(b"placeholder")
        if on_progress is not None:
            on_progress(1.0)


def _video_args(call: list[str]) -> list[str]:
    start = call.index("-c:v")
    return call[start : call.index("-video_track_timescale") + 2]


def _by_kind(calls: list[list[str]]) -> dict[str, list[str]]:
    """Name each ffmpeg call (the template's cache fills run side by side, in any order)."""
    kinds: dict[str, list[str]] = {}
    for call in calls:
        if call[:2] == ["-f", "concat"]:
            kind = "join"
        elif call[-1].endswith(".m4a"):
            kind = "audio"
        elif "-qp" in call:
            kind = "pip"
        elif call[-1].endswith(".gif"):
            kind = "personal"
        else:
            kind = "intro"
        assert kind not in kinds, f"two {kind} steps"
        kinds[kind] = call
    return kinds


def test_cold_then_warm_cache_steps(
    green_clip: Path, site_png: Path, ads_png: Path, tmp_path: Path
) -> None:
    template = make_template(THREE_SEGMENTS)
    runner = RecordingRunner()

    def render(lead: str) -> list[list[str]]:
        runner.calls.clear()
        render_video(
            template,
            variables={"first_name": lead},
            assets={"green": green_clip},
            website_full=site_png,
            ads=ads_png,
            out_dir=tmp_path / lead,
            cache_dir=tmp_path / "cache",
            settings=FAST,
            runner=runner,
        )
        return list(runner.calls)

    steps = _by_kind(render("ann"))
    assert sorted(steps) == ["audio", "intro", "join", "personal", "pip"]
    audio, intro, personal, join, pip = (
        steps[k] for k in ("audio", "intro", "personal", "join", "pip")
    )
    # the presenter clip is scaled for the pip once, losslessly, and the lead's graph
    # reads that file instead of decoding the full-size clip again
    assert pip[pip.index("-qp") + 1] == "0" and "-c:a" not in pip
    pip_file = Path(pip[-1]).name.split(".")[1]
    assert any(Path(a).name == f"{pip_file}.mov" for a in personal)
    # the audio track depends on the template only: encoded once, AAC, no video
    assert audio[-1].endswith(".tmp.m4a") and "aac" in audio and "libx264" not in audio
    assert intro[-1].endswith(".tmp.mov") and "-c:a" not in intro  # parts are video only
    assert personal[personal.index("-f") + 2].endswith(".mov") and "-c:a" not in personal
    # both parts share every codec parameter, so the stream-copied join decodes
    assert _video_args(intro) == _video_args(personal)
    # the email images come from the per-lead graph, not from decoding the MP4 again
    assert personal[-1].endswith(".gif") and any(a.endswith(".jpg") for a in personal)
    assert join[:2] == ["-f", "concat"] and join[join.index("-c") + 1] == "copy"
    assert "-c:a" not in join and any(a.endswith(".m4a") for a in join)

    steps = _by_kind(render("bob"))  # intro, audio and pip clip come from the cache now
    assert sorted(steps) == ["join", "personal"]
    personal, join = steps["personal"], steps["join"]
    assert "concat" in join and personal[-1].endswith(".gif")


def test_without_cache_one_process_writes_the_mp4(
    green_clip: Path, site_png: Path, ads_png: Path, tmp_path: Path
) -> None:
    runner = RecordingRunner()
    render_video(
        make_template(THREE_SEGMENTS),
        variables={},
        assets={"green": green_clip},
        website_full=site_png,
        ads=ads_png,
        out_dir=tmp_path / "o",
        cache_dir=tmp_path / "c",
        settings=FAST,
        runner=runner,
        use_cache=False,
    )
    (encode,) = runner.calls  # one process: the MP4, its thumbnail and its GIF
    mp4 = encode[encode.index("+faststart") + 1]
    assert mp4.endswith(".mp4") and "aac" in encode and encode[-1].endswith(".gif")
    filter_graph = encode[encode.index("-filter_complex") + 1]
    assert filter_graph.count("loop=loop=") == 2  # site and ads decoded once, then looped
    inputs = encode[: encode.index("-filter_complex")]
    assert "-loop" not in inputs  # images are not re-decoded per frame
