"""Old video files: a successful re-render removes them, a failed one keeps them; prune."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from leadreel.cli import main
from leadreel.extensions import db
from leadreel.models import Company, Lead, MediaAsset, User, Video
from leadreel.services.leads.selection import Selection
from leadreel.services.videos import files, pipeline

from .conftest import drain, fake_capture


def _render(app, user, lead_id: int) -> int:
    with app.app_context():
        result = pipeline.start_renders(
            db.session, db.session.get(User, user.id), Selection(lead_ids=[lead_id])
        )
        db.session.commit()
    drain(app)
    return result.started[0]


def _paths(video: Video) -> list[Path]:
    return [Path(p) for p in (video.file_path, video.thumbnail_path, video.preview_path)]


def test_a_successful_rerender_removes_the_old_files(
    app, client, make_user, login, make_lead, tiny_template, shots_dir
):
    rep = make_user("rep")
    lead_id = make_lead(rep, screenshots=fake_capture(shots_dir))
    tiny_template()
    first = _render(app, rep, lead_id)
    with app.app_context():
        old = db.session.get(Video, first)
        assert old.status == "rendered", old.error
        old_files = _paths(old)
        assert all(p.is_file() for p in old_files)
        old_dir = old_files[0].parent
    second = _render(app, rep, lead_id)
    with app.app_context():
        new = db.session.get(Video, second)
        assert new.status == "rendered", new.error
        assert all(p.is_file() for p in _paths(new))
        assert not any(p.exists() for p in old_files) and not old_dir.exists()
        old = db.session.get(Video, first)
        assert (old.file_path, old.thumbnail_path, old.preview_path) == (None, None, None)
        assert old.status == "rendered"  # the row (its history) stays
    login(rep)
    page = client.get(f"/videos/{first}").get_data(as_text=True)
    assert 'data-testid="newer-video"' in page and f"/videos/{second}" in page
    assert client.get(f"/videos/{first}/file/video").status_code == 404
    assert client.get(f"/videos/{second}/file/video").status_code == 200


def test_a_failed_rerender_keeps_the_last_good_video(
    app, client, make_user, login, make_lead, tiny_template, shots_dir
):
    rep = make_user("rep")
    lead_id = make_lead(rep, screenshots=fake_capture(shots_dir))
    tiny_template()
    first = _render(app, rep, lead_id)
    with app.app_context():
        old_files = _paths(db.session.get(Video, first))
        for asset in db.session.scalars(select(MediaAsset).where(MediaAsset.kind == "clip")):
            Path(asset.path).unlink()  # the next render fails: its clips are gone
    second = _render(app, rep, lead_id)
    with app.app_context():
        assert db.session.get(Video, second).status == "failed"
        old = db.session.get(Video, first)
        assert _paths(old) == old_files and all(p.is_file() for p in old_files)
    login(rep)
    response = client.get(f"/videos/{first}/file/video")
    assert response.status_code == 200 and response.mimetype == "video/mp4"
    response.close()


def _files_of(
    root: Path, lead_id: int, video_id: int, names=("video.mp4", "video.jpg", "video.gif")
):
    directory = root / str(lead_id) / str(video_id)
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / n for n in names]
    for p in paths:
        p.write_bytes(b"x" * 10)
    return paths


def _lead(owner_id: int | None = None) -> int:
    company = Company(name="Filesco", name_key="filesco")
    db.session.add(company)
    db.session.flush()
    lead = Lead(first_name="F", company_id=company.id, owner_id=owner_id)
    db.session.add(lead)
    db.session.flush()
    return lead.id


def test_files_another_video_points_at_are_kept_and_rollback_deletes_nothing(app):
    settings = app.config["SETTINGS"]
    root = files.videos_root(settings.data_dir)
    with app.app_context():
        lead_id, other_lead = _lead(), _lead()
        old = Video(lead_id=lead_id, status="rendered")
        shared_user = Video(lead_id=other_lead, status="ready")
        db.session.add_all([old, shared_user])
        db.session.flush()
        mp4, jpg, gif = _files_of(root, lead_id, old.id)
        old.file_path, old.thumbnail_path, old.preview_path = str(mp4), str(jpg), str(gif)
        shared_user.thumbnail_path = str(jpg)  # odd, but then the thumbnail must stay
        new = Video(lead_id=lead_id, status="rendered")
        db.session.add(new)
        db.session.commit()

        # a rolled-back success deletes nothing, and forgets what it would have deleted
        removal = files.supersede(db.session, settings.data_dir, lead_id, new.id)
        files.delete_after_commit(db.session, removal)
        db.session.rollback()
        db.session.commit()
        assert mp4.is_file() and db.session.get(Video, old.id).file_path == str(mp4)

        removal = files.supersede(db.session, settings.data_dir, lead_id, new.id)
        files.delete_after_commit(db.session, removal)
        with db.session.begin_nested():  # a savepoint commit is not the commit
            pass
        assert mp4.is_file()
        db.session.commit()
        assert not mp4.exists() and not gif.exists()
        assert jpg.is_file()  # still the other video's thumbnail
        assert db.session.get(Video, old.id).thumbnail_path is None


def _write(path: Path, age_days: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"y" * 100)
    if age_days:
        stamp = time.time() - age_days * 86400
        os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADREEL_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("LEADREEL_SECRET_KEY", "cli-test")
    from leadreel.app import create_app

    app = create_app()
    yield app
    db.dispose()


def test_prune_dry_run_lists_then_prune_removes(cli_env):
    data = cli_env.config["SETTINGS"].data_dir
    root = files.videos_root(data)
    with cli_env.app_context():
        lead_id = _lead()
        kept = Video(lead_id=lead_id, status="rendered")
        busy = Video(lead_id=lead_id, status="rendering")
        failed = Video(lead_id=lead_id, status="failed")
        db.session.add_all([kept, busy, failed])
        db.session.flush()
        kept_files = _files_of(root, lead_id, kept.id)
        kept.file_path, kept.thumbnail_path, kept.preview_path = map(str, kept_files)
        busy_card = _write(root / str(lead_id) / str(busy.id) / "card.png")  # mid-render
        failed_card = _write(root / str(lead_id) / str(failed.id) / "card.png")
        kept_card = _write(kept_files[0].parent / "card.png")
        deleted = _files_of(root, lead_id, 999_999)  # a row deleted with rejected samples
        db.session.commit()
    cache = data / "cache" / "segments"
    stale = _write(cache / "segment-old.mov", age_days=40)
    fresh = _write(cache / "audio-new.m4a")
    old_preview = _write(data / "previews" / "7" / "video.mp4")
    os.utime(old_preview.parent, (time.time() - 3 * 86400,) * 2)
    new_preview = _write(data / "previews" / "8" / "video.mp4")
    media = _write(data / "media" / "talk.mp4")  # not a render: never touched
    garbage = [failed_card, kept_card, *deleted]

    runner = CliRunner()
    result = runner.invoke(main, ["videos", "prune", "--dry-run"])
    assert result.exit_code == 0, result.output
    for path in [*garbage, stale, old_preview.parent]:
        assert "would remove" in result.output and str(path) in result.output
        assert path.exists()
    for path in [*kept_files, busy_card, fresh, new_preview, media]:
        assert str(path) not in result.output
    assert "Would remove 7 item(s)" in result.output

    result = runner.invoke(main, ["videos", "prune"])
    assert result.exit_code == 0, result.output
    assert "Removed 7 item(s)" in result.output
    assert not any(p.exists() for p in [*garbage, stale, old_preview.parent])
    assert not deleted[0].parent.exists()  # emptied directories go too
    assert all(p.is_file() for p in [*kept_files, busy_card, fresh, new_preview, media])
    again = runner.invoke(main, ["videos", "prune", "--dry-run"])
    assert "Would remove 0 item(s)" in again.output
