"""Each tool through the executor, as a manager or rep would use it from the chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from leadreel.agent import executor, replies
from leadreel.agent.context import ToolContext
from leadreel.extensions import db as _db
from leadreel.models import DriveAccount, Export, Lead, ProcessingTask, RenderRun, User, Video
from leadreel.services.leads.selection import Selection


def ctx(app, user_id, selection=None):
    user = _db.session.get(User, user_id)
    return ToolContext(_db.session, user, app.config["SETTINGS"], app.config["SECRET_KEY"],
                       selection or Selection())


def confirm(app, user_id, out, selection=None):
    assert out.status == "proposed", out
    done = executor.run_confirmed(ctx(app, user_id, selection), out.token)
    assert done.status == "confirmed", done
    return done


def test_views_failures_rerender_progress(app, world):
    ann, bob, cid = world.rep_leads[:3]
    now = datetime.now(UTC)
    with app.app_context():
        _db.session.add_all([
            Video(lead_id=ann, status="ready", view_count=3, play_count=1,
                  last_viewed_at=now - timedelta(days=1)),
            Video(lead_id=bob, status="ready", view_count=1, last_viewed_at=now - timedelta(days=20)),
            Video(lead_id=cid, status="failed", error="ffmpeg exited 1: bad clip",
                  template_id=world.templates["Default"]),
            Video(lead_id=world.other_leads[0], status="ready", view_count=9,
                  last_viewed_at=now),
            ProcessingTask(type="screenshot", status="failed", lead_id=cid,
                           last_error="ERR_NAME_NOT_RESOLVED\ntrace"),
        ])
        _db.session.commit()
        rep = ctx(app, world.rep.id)
        views = executor.call(rep, "video_views", {})
        assert views.result["watched"] == 1 and "Ann Lee" in views.result["leads"]
        assert "Eve" not in views.result["leads"]
        assert executor.call(rep, "video_views", {"days": 30}).result["watched"] == 2
        assert "Ann Lee: 3 views, 1 plays" in replies.describe(views)

        failures = executor.call(rep, "summarize_failures", {"leads": {"all_leads": True}})
        text = replies.describe(failures)
        assert "video: ffmpeg exited 1: bad clip ×1" in text
        assert "screenshot: ERR_NAME_NOT_RESOLVED ×1" in text

        progress = executor.call(rep, "batch_progress", {"batch": "march expo"})
        assert progress.result["leads"] == 3
        assert progress.result["videos_by_status"] == {"ready": 2, "failed": 1}
        assert progress.result["tasks"] == {"screenshot": {"failed": 1}}
        assert "Tasks — screenshot: 1 failed." in replies.describe(progress)

        plan = executor.call(rep, "rerender_failed", {"leads": {"all_leads": True}})
        assert plan.plan == "re-render 1 failed video"
        done = confirm(app, world.rep.id, plan)
        assert done.result == {"rerendering": 1, "skipped_already_rendering": 0}
        run = _db.session.scalars(select(RenderRun)).one()
        assert run.selection["lead_ids"] == [cid] and run.created_by_id == world.rep.id

        options = executor.call(rep, "list_options", {})
        assert options.result["video_templates"] == ["Default", "Short intro"]
        assert "Sam's list" not in options.result["batches"]


def test_assign_and_uploads(app, world):
    picked = Selection(lead_ids=world.rep_leads[:2])
    with app.app_context():
        manager = ctx(app, world.manager.id, picked)
        plan = executor.call(manager, "assign_leads", {"to_user": "sam"})
        assert plan.plan == "assign 2 leads to Sam Smith"
        assert set(_db.session.scalars(select(Lead.owner_id).where(
            Lead.id.in_(world.rep_leads[:2])))) == {world.rep.id}
        confirm(app, world.manager.id, plan, picked)
        assert set(_db.session.scalars(select(Lead.owner_id).where(
            Lead.id.in_(world.rep_leads[:2])))) == {world.other.id}
        unknown = executor.call(manager, "assign_leads", {"to_user": "nobody"})
        assert unknown.status == "refused" and "no user matches 'nobody'" in unknown.message

        rep = ctx(app, world.rep.id, Selection(lead_ids=world.rep_leads[2:3]))
        upload = executor.call(rep, "start_uploads", {})
        assert upload.plan == "upload the videos of 1 lead to Google Drive"
        result = executor.run_confirmed(ctx(app, world.rep.id,
                                            Selection(lead_ids=world.rep_leads[2:3])),
                                        upload.token)
        assert result.status == "error" and "no Drive account connected" in result.message
        assert _db.session.scalar(select(func.count(ProcessingTask.id))) == 0


def test_uploads_go_through_the_drive_service_to_the_connected_account(app, world, tmp_path):
    """With one connected account the confirmed tool queues an ``upload_video`` per rendered
    video of the rep's selection; an unrendered lead is reported, not uploaded."""
    ann, bob = world.rep_leads[:2]
    clip = tmp_path / "v.mp4"
    clip.write_bytes(b"mp4")
    with app.app_context():
        account = DriveAccount(email="drive@x.test", encrypted_refresh_token=b"t",
                               status="connected")
        _db.session.add_all([account, Video(lead_id=ann, status="rendered", file_path=str(clip))])
        _db.session.commit()
        picked = Selection(lead_ids=[ann, bob])
        upload = executor.call(ctx(app, world.rep.id, picked), "start_uploads", {})
        done = executor.run_confirmed(ctx(app, world.rep.id, picked), upload.token)
        assert done.status == "confirmed", done
        assert done.result == {"queued": 1, "kept_local": 0, "not_rendered_yet": 1}
        task = _db.session.scalars(select(ProcessingTask)).one()
        assert task.type == "upload_video" and task.lead_id == ann


def test_exported_cells_cannot_run_as_formulas(app, world):
    import csv

    with app.app_context():
        lead = _db.session.get(Lead, world.rep_leads[0])
        lead.first_name = '=HYPERLINK("http://evil.test","x")'
        lead.notes = "+1 call me\nlater"
        _db.session.commit()
        out = executor.call(ctx(app, world.rep.id), "export_leads",
                            {"leads": {"lead_ids": [lead.id]}})
        path = _db.session.get(Export, out.result["export_id"]).file_path
        header, row = list(csv.reader(open(path, encoding="utf-8-sig")))
        assert row[header.index("first_name")].startswith("'=HYPERLINK")
        assert row[header.index("notes")].startswith("'+1")
        xlsx = executor.call(ctx(app, world.rep.id), "export_leads",
                             {"leads": {"lead_ids": [lead.id]}, "format": "xlsx"})
        assert xlsx.status == "done"
        assert _db.session.get(Export, xlsx.result["export_id"]).file_path.endswith(".xlsx")
