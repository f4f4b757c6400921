"""A worker SIGKILLed in the middle of an upload: the task is rescued, retried by another
worker process, and Drive still holds exactly one file for the lead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import ProcessingTask
from tests.delivery.conftest import video
from tests.delivery.test_uploads import upload

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def start_worker(app, google, log: Path) -> subprocess.Popen[bytes]:
    settings = app.config["SETTINGS"]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LEADREEL_DATA_DIR": str(settings.data_dir),
        "LEADREEL_SECRET_KEY": "test-secret",
        **{f"LEADREEL_{k.upper()}": str(v) for k, v in google.settings().items()},
    }
    cmd = [
        sys.executable, "-m", "leadreel.tasks", "worker",
        "--database-url", settings.resolved_database_url(),
        "--types", "upload_video",
        "--heartbeat-interval", "0.5", "--stale-after", "2", "--poll-interval", "0.05",
        "--log-level", "WARNING",
    ]  # fmt: skip
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=out, env=env)


def wait_until(predicate, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}: {log.read_text()[-2000:]}")
        time.sleep(0.05)


def test_worker_killed_mid_upload_leaves_exactly_one_file(
    app, admin, account, rendered, google, tmp_path
):
    video_id = rendered(size=5 * 256 * 1024)  # five chunks
    upload(app, admin, video_id)
    google.chunk_delay = 0.5
    log = tmp_path / "workers.log"
    doomed = start_worker(app, google, log)
    try:
        wait_until(
            lambda: any(len(s.data) >= 256 * 1024 for s in list(google.sessions.values())),
            60, "the first chunk", log,
        )  # fmt: skip
        assert video(app, video_id).status == "uploading"
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
    finally:
        if doomed.poll() is None:
            doomed.kill()
            doomed.wait()
    assert not google.files_with("leadreel_lead", str(video(app, video_id).lead_id))
    google.chunk_delay = 0.0
    rescuer = start_worker(app, google, log)
    try:
        wait_until(lambda: video(app, video_id).status == "ready", 90, "the retried upload", log)
    finally:
        rescuer.send_signal(signal.SIGTERM)
        rescuer.wait(timeout=30)
    done = video(app, video_id)
    files = google.files_with("leadreel_lead", str(done.lead_id))
    assert [f["id"] for f in files] == [done.drive_file_id]
    assert google.contents[done.drive_file_id] == Path(done.file_path).read_bytes()
    assert len(google.sessions) == 1  # the killed worker's session was abandoned, not completed
    with app.app_context():
        task = db.session.scalar(
            select(ProcessingTask).where(ProcessingTask.type == "upload_video")
        )
        assert task.status == "succeeded" and task.attempts == 2
        assert "stopped heartbeating" in task.errors[0]["error"]
