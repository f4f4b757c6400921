"""The screenshot and render_video tasks through a real worker: files, progress, fallbacks."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import Company, Lead, ProcessingTask, User, Video
from leadreel.services.videos import pipeline, tasks
from leadreel.services.videos import samples as sample_runs
from leadreel.services.videos.pipeline import Selection
from leadreel.services.videos.screenshots import CaptureResult

from .conftest import drain, fake_capture


def _start(app, user, lead_id: int, template_id: int) -> int:
    with app.app_context():
        result = pipeline.start_renders(
            db.session, db.session.get(User, user.id), Selection(lead_ids=[lead_id]), template_id
        )
        db.session.commit()
        return result.started[0]


def test_render_end_to_end(app, make_user, make_lead, tiny_template, shots_dir):
    rep = make_user("rep")
    lead_id = make_lead(rep, screenshots=fake_capture(shots_dir))
    video_id = _start(app, rep, lead_id, tiny_template())
    drain(app)
    with app.app_context():
        video = db.session.get(Video, video_id)
        assert video.status == "rendered", video.error
        assert video.progress == 1.0 and video.screenshot_source == "live"
        assert 1.9 <= video.duration <= 2.1
        for path in (video.file_path, video.thumbnail_path, video.preview_path):
            assert Path(path).is_file() and Path(path).stat().st_size > 0
        assert video.thumbnail_path.endswith(".jpg") and video.preview_path.endswith(".gif")
        with av.open(video.file_path) as container:
            assert container.streams.video[0].codec_context.name == "h264"
            assert container.streams.audio[0].codec_context.name == "aac"
            assert (
                container.streams.video[0].codec_context.width,
                container.streams.video[0].codec_context.height,
            ) == (320, 180)
        with open(video.file_path, "rb") as fh:  # faststart: moov before mdat
            head = fh.read(4096)
        assert head.find(b"moov") != -1 and (
            head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat")
        )
        rows = db.session.scalars(select(ProcessingTask).order_by(ProcessingTask.id)).all()
        assert [(t.type, t.status) for t in rows] == [
            (tasks.SCREENSHOT, "succeeded"),
            (tasks.RENDER, "succeeded"),
        ]
        assert rows[0].result.get("reused") is True  # a fresh capture is shared, not redone
        assert rows[1].progress == 1.0 and rows[1].result["video_id"] == video_id


def test_fallback_not_allowed_stops_with_reason(
    app, make_user, make_lead, tiny_template, shots_dir
):
    rep = make_user("rep")
    lead_id = make_lead(
        rep, company="Downco", screenshots=fake_capture(shots_dir, website_source="card")
    )
    video_id = _start(app, rep, lead_id, tiny_template(allow_fallback=False))
    drain(app)
    with app.app_context():
        video = db.session.get(Video, video_id)
        assert video.status == "failed"
        assert "Downco could not be captured (ERR_CONNECTION_REFUSED)" in video.error
        assert "does not allow a fallback" in video.error
        render = db.session.scalar(
            select(ProcessingTask).where(ProcessingTask.type == tasks.RENDER)
        )
        assert render.status == "failed" and render.attempts == 1  # permanent: no retry


def test_missing_clip_is_permanent(app, make_user, make_lead, tiny_template, shots_dir):
    rep = make_user("rep")
    lead_id = make_lead(rep, screenshots=fake_capture(shots_dir))
    template_id = tiny_template()
    with app.app_context():
        from leadreel.models import MediaAsset

        for asset in db.session.scalars(select(MediaAsset).where(MediaAsset.kind == "clip")):
            Path(asset.path).unlink()
    video_id = _start(app, rep, lead_id, template_id)
    drain(app)
    with app.app_context():
        video = db.session.get(Video, video_id)
        assert video.status == "failed" and "media missing" in video.error


@pytest.mark.browser
def test_screenshot_live_then_fallbacks(app, make_user, make_lead, tiny_template, site, down_port):
    rep = make_user("rep")
    live = make_lead(rep, company="Acme", website=site.url("/"), ads_url=site.url("/ads"))
    down = make_lead(
        rep,
        first="Dan",
        company="Downco",
        website=f"http://127.0.0.1:{down_port}/",
        ads_url=f"http://127.0.0.1:{down_port}/ads",
    )
    template_id = tiny_template(allow_fallback=False)
    live_video = _start(app, rep, live, template_id)
    down_video = _start(app, rep, down, template_id)
    drain(app, timeout=120)
    with app.app_context():
        ok = db.session.get(Video, live_video)
        assert ok.status == "rendered", ok.error
        assert ok.screenshot_source == "live"
        capture = CaptureResult.from_json(
            db.session.scalar(select(Company.screenshots).where(Company.name == "Acme"))
        )
        assert capture.website.source == "live" and capture.ads.source == "live"
        assert capture.website.height > 720  # the full scrolling page
        assert Path(capture.website_viewport.path).is_file()

        failed = db.session.get(Video, down_video)
        assert failed.status == "failed"
        assert "Downco could not be captured" in failed.error
        down_capture = CaptureResult.from_json(
            db.session.scalar(select(Company.screenshots).where(Company.name == "Downco"))
        )
        assert down_capture.website.source == "card" and down_capture.website.error
        assert Path(down_capture.website.path).is_file()

        # the site goes down: a re-render falls back to the last good capture, which a
        # template that forbids title cards still accepts
        acme = db.session.scalar(select(Company).where(Company.name == "Acme"))
        acme.website = f"http://127.0.0.1:{down_port}/"
        db.session.commit()
        again = pipeline.rerender(db.session, db.session.get(User, rep.id), live_video)
        db.session.commit()
    drain(app, timeout=120)
    with app.app_context():
        video = db.session.get(Video, again.started[0])
        assert video.status == "rendered", video.error
        assert video.screenshot_source == "previous"
        capture = CaptureResult.from_json(
            db.session.scalar(select(Company.screenshots).where(Company.name == "Acme"))
        )
        assert capture.website.source == "previous" and capture.website.error
        assert Path(capture.website.path).is_file()


def test_progress_goes_to_task_and_video(app, make_user, make_lead, tiny_template):
    """The render's ffmpeg progress is mapped onto 0.1..1 and written to both rows."""
    rep = make_user("rep")
    video_id = _start(app, rep, make_lead(rep), tiny_template())
    seen: list[float] = []

    class Ctx:
        engine = db.engine

        def set_progress(self, fraction: float) -> None:
            seen.append(fraction)

    writer = tasks._ProgressWriter(Ctx(), video_id)  # type: ignore[arg-type]
    writer(0.0)
    writer(0.5)
    assert seen == [0.1, 0.55]
    with app.app_context():
        assert db.session.get(Video, video_id).progress == 0.1  # throttled: first write only


def test_no_browser_falls_back_to_a_title_card(make_app, site, down_port, demo_files):
    """Without Chromium the capture degrades to cards and the video still renders."""
    from .conftest import build_app, tiny_spec

    app = build_app(make_app, site, down_port, demo_files, chromium_path="/nonexistent/chromium")
    with app.app_context():
        from leadreel.services.setup import create_user
        from leadreel.services.videos import template_store

        user = create_user(db.session, "nobrowser@example.com", "long enough pw", "manager")
        template_store.create_template(db.session, "T", tiny_spec(db.session), is_default=True)
        company = Company(name="Cardco", name_key="cardco", website=site.url("/"))
        db.session.add(company)
        db.session.flush()
        lead = Lead(first_name="Cy", company_id=company.id, owner_id=user.id)
        db.session.add(lead)
        db.session.commit()
        result = pipeline.start_renders(db.session, user, Selection(lead_ids=[lead.id]))
        video_id = result.started[0]
        db.session.commit()
    drain(app)
    with app.app_context():
        video = db.session.get(Video, video_id)
        assert video.status == "rendered", video.error
        assert video.screenshot_source == "card"
        capture = CaptureResult.from_json(db.session.get(Company, company.id).screenshots)
        assert capture.website.source == "card" and "browser unavailable" in capture.website.error


def test_held_renders_wait_for_approval(app, make_user, make_lead, tiny_template, shots_dir):
    """A real worker renders the samples only; the rest run after approval."""
    manager = make_user("manager")
    ids = [
        make_lead(
            manager, first=f"P{i}", company=f"C{i}", screenshots=fake_capture(shots_dir / str(i))
        )
        for i in range(3)
    ]
    template_id = tiny_template()
    with app.app_context():
        user = db.session.get(User, manager.id)
        result = pipeline.start_renders(
            db.session, user, Selection(lead_ids=ids), template_id, samples=1
        )
        db.session.commit()
    drain(app)
    with app.app_context():
        statuses = {v.id: v.status for v in db.session.scalars(select(Video))}
        assert statuses[result.started[0]] == "rendered"
        assert {statuses[i] for i in result.held} == {"queued"}
        [run] = sample_runs.held_runs(db.session, db.session.get(User, manager.id))
        assert run.samples_done
        sample_runs.approve_samples(db.session, db.session.get(User, manager.id), result.run_id)
        db.session.commit()
    drain(app)
    with app.app_context():
        assert {v.status for v in db.session.scalars(select(Video))} == {"rendered"}


@pytest.mark.browser
def test_leads_of_one_company_share_a_capture(app, make_user, tiny_template, site):
    """Two tasks running at once for the same company: the browser captures it once."""
    rep = make_user("rep")
    with app.app_context():
        company = Company(
            name="Shared",
            name_key="shared",
            website=site.url("/?shared=1"),
            ads_url=site.url("/ads?shared=1"),
        )
        db.session.add(company)
        db.session.flush()
        leads = [Lead(first_name=n, company_id=company.id, owner_id=rep.id) for n in "AB"]
        db.session.add_all(leads)
        db.session.commit()
        lead_ids = [lead.id for lead in leads]
    template_id = tiny_template()
    for lead_id in lead_ids:
        _start(app, rep, lead_id, template_id)
    drain(app, timeout=120, concurrency=2)
    with app.app_context():
        errors = [t.last_error for t in db.session.scalars(select(ProcessingTask))]
        assert {v.status for v in db.session.scalars(select(Video))} == {"rendered"}, errors
        # two tasks writing at once on SQLite: no attempt lost to "database is locked"
        assert {t.attempts for t in db.session.scalars(select(ProcessingTask))} == {1}
    assert site.requests.count("/?shared=1") == 1


def test_a_ready_render_goes_before_waiting_screenshots() -> None:
    """With 2 tasks per worker, one slot encodes while the browser captures the next
    company; equal priorities queued both slots on the one browser (bench/batch.py)."""
    from leadreel.tasks import registry

    registry.load_task_modules()
    assert registry.get(tasks.RENDER).priority < registry.get(tasks.SCREENSHOT).priority
