"""The pipeline service: one chain per lead, dedupe, samples-first hold, permissions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from leadreel.errors import NotFound, PermissionDenied, ValidationError
from leadreel.extensions import db
from leadreel.models import ProcessingTask, User, Video
from leadreel.services.videos import demo_media, names, pipeline, tasks, template_store
from leadreel.services.videos import samples as sample_runs
from leadreel.services.videos.pipeline import Selection
from leadreel.services.videos.variables import lead_variables

from .conftest import build_app


@pytest.fixture
def app(make_app, db_url, site, down_port, demo_files):
    """These service tests run on SQLite and, when CI provides one, on PostgreSQL."""
    return build_app(make_app, site, down_port, demo_files, database_url=db_url)


def _user(user: User) -> User:
    return db.session.get(User, user.id)


def test_start_creates_video_and_chain_once(app, make_user, make_lead, tiny_template):
    rep = make_user("rep")
    lead_id = make_lead(rep)
    template_id = tiny_template()
    with app.app_context():
        result = pipeline.start_renders(
            db.session, _user(rep), Selection(lead_ids=[lead_id]), template_id
        )
        db.session.commit()
        assert len(result.started) == 1 and not result.held
        task = db.session.scalar(select(ProcessingTask))
        assert task.type == tasks.SCREENSHOT and task.dedupe_key == f"lead:{lead_id}"
        assert task.next_task["type"] == tasks.RENDER
        assert task.next_task["payload"]["video_id"] == result.started[0]
        video = db.session.get(Video, result.started[0])
        assert video.status == "queued" and video.template_id == template_id

        # a double click: nothing new, the lead is reported as skipped
        again = pipeline.start_renders(db.session, _user(rep), Selection(lead_ids=[lead_id]))
        db.session.commit()
        assert again.started == [] and again.skipped == [lead_id]
        assert len(db.session.scalars(select(Video)).all()) == 1
        assert len(db.session.scalars(select(ProcessingTask)).all()) == 1


def test_concurrent_duplicate_is_dropped(app, make_user, make_lead, tiny_template):
    """Two requests that both passed the Video check: the task dedupe key decides."""
    rep = make_user("rep")
    lead_id = make_lead(rep)
    tiny_template()
    with app.app_context():
        first = pipeline.start_renders(db.session, _user(rep), Selection(lead_ids=[lead_id]))
        db.session.commit()
        # simulate the second request not seeing the first's video
        db.session.get(Video, first.started[0]).status = "rendered"
        db.session.flush()
        second = pipeline.start_renders(db.session, _user(rep), Selection(lead_ids=[lead_id]))
        db.session.commit()
        assert second.started == [] and second.skipped == [lead_id]
        assert len(db.session.scalars(select(Video)).all()) == 1


def test_samples_first_hold_then_approve(app, make_user, make_lead, tiny_template):
    manager = make_user("manager")
    ids = [make_lead(manager, first=f"P{i}", company=f"C{i}") for i in range(5)]
    tiny_template()
    with app.app_context():
        user = _user(manager)
        result = pipeline.start_renders(db.session, user, Selection(lead_ids=ids), samples=2)
        db.session.commit()
        assert len(result.started) == 2 and len(result.held) == 3
        samples = db.session.scalars(select(Video).where(Video.id.in_(result.started))).all()
        assert all(v.is_sample for v in samples)
        due = db.session.scalars(
            select(ProcessingTask).where(ProcessingTask.run_after < names.HOLD_UNTIL)
        ).all()
        assert {t.payload["video_id"] for t in due} == set(result.started)
        assert all(t.priority < tasks.PRIORITY_RENDER for t in due)

        runs = sample_runs.held_runs(db.session, user)
        assert len(runs) == 1 and runs[0].held_count == 3
        assert {v.id for v in runs[0].samples} == set(result.started)
        assert not runs[0].samples_done

        assert sample_runs.approve_samples(db.session, user, result.run_id) == 3
        db.session.commit()
        assert sample_runs.held_runs(db.session, user) == []
        held = db.session.scalars(
            select(ProcessingTask).where(ProcessingTask.run_after >= names.HOLD_UNTIL)
        ).all()
        assert held == []
        with pytest.raises(NotFound):
            sample_runs.approve_samples(db.session, user, result.run_id)


def test_samples_reject_cancels_the_rest(app, make_user, make_lead, tiny_template):
    rep = make_user("rep")
    other = make_user("rep")
    ids = [make_lead(rep, first=f"P{i}", company=f"C{i}") for i in range(3)]
    tiny_template()
    with app.app_context():
        result = pipeline.start_renders(db.session, _user(rep), Selection(lead_ids=ids), samples=1)
        db.session.commit()
        assert sample_runs.held_runs(db.session, _user(other)) == []
        with pytest.raises(PermissionDenied):
            sample_runs.reject_samples(db.session, _user(other), result.run_id)
        assert sample_runs.reject_samples(db.session, _user(rep), result.run_id) == 2
        db.session.commit()
        assert [v.id for v in db.session.scalars(select(Video))] == result.started
        statuses = sorted(t.status for t in db.session.scalars(select(ProcessingTask)))
        assert statuses == ["cancelled", "cancelled", "pending"]


def test_rep_cannot_render_another_reps_leads(app, make_user, make_lead, tiny_template):
    alice, bob = make_user("rep"), make_user("rep")
    bobs = make_lead(bob, first="Bob")
    make_lead(alice, first="Alice")
    tiny_template()
    with app.app_context():
        with pytest.raises(PermissionDenied):
            pipeline.start_renders(db.session, _user(alice), Selection(lead_ids=[bobs]))
        # a filter only ever sees the rep's own leads
        result = pipeline.start_renders(db.session, _user(alice), Selection(q="a"))
        db.session.commit()
        rendered = {db.session.get(Video, v).lead_id for v in result.started}
        assert bobs not in rendered and len(rendered) == 1
        with pytest.raises(ValidationError):
            pipeline.start_renders(db.session, _user(alice), Selection())


def test_rerender_and_reconcile(app, make_user, make_lead, tiny_template):
    rep = make_user("rep")
    lead_id = make_lead(rep)
    tiny_template()
    with app.app_context():
        user = _user(rep)
        first = pipeline.start_renders(db.session, user, Selection(lead_ids=[lead_id]))
        db.session.commit()
        task = db.session.scalar(select(ProcessingTask))
        task.status = "cancelled"
        db.session.commit()
        video = db.session.get(Video, first.started[0])
        assert pipeline.reconcile(db.session, [video]) == 1
        db.session.commit()
        assert db.session.get(Video, first.started[0]).status == "failed"
        again = pipeline.rerender(db.session, user, first.started[0])
        db.session.commit()
        assert len(again.started) == 1
        payload = db.session.scalar(
            select(ProcessingTask).where(ProcessingTask.status == "pending")
        ).payload
        assert payload["refresh"] is True


def test_lead_variables(app, make_user, make_lead):
    rep = make_user("rep")
    lead_id = make_lead(rep, first="Zoë", company="Acme")
    with app.app_context():
        from leadreel.models import Lead

        lead = db.session.get(Lead, lead_id)
        lead.extra = {"Favourite Color": "blue", "first_name": "ignored"}
        variables = lead_variables(lead)
        assert variables["first_name"] == "Zoë" and variables["company_name"] == "Acme"
        assert variables["favourite_color"] == "blue"


def test_template_store_validation_and_versions(app, tiny_template):
    template_id = tiny_template()
    with app.app_context():
        row = template_store.get_template(db.session, template_id)
        bad = dict(row.spec)
        bad["segments"] = [dict(bad["segments"][0], size=5, clip="999999")]
        with pytest.raises(template_store.TemplateInvalid) as info:
            template_store.update_template(db.session, template_id, spec=bad)
        assert [e.loc for e in info.value.errors] == ["segments.0.size"]
        bad["segments"][0]["size"] = 0.4
        with pytest.raises(template_store.TemplateInvalid) as info:
            template_store.update_template(db.session, template_id, spec=bad)
        assert info.value.errors[0].loc == "segments.0.clip"
        with pytest.raises(template_store.TemplateInvalid) as info:
            template_store.parse_spec("{not json")
        assert "not valid JSON" in info.value.errors[0].message
        good = dict(row.spec)
        good["output"] = {"width": 320, "height": 180, "fps": 24}
        updated = template_store.update_template(db.session, template_id, spec=good)
        assert updated.version == 2 and updated.spec["version"] == 2
        template_store.update_template(db.session, template_id, spec=good)
        assert updated.version == 2  # no change, no bump
        template_store.update_template(db.session, template_id, allow_fallback=False)
        assert updated.version == 3
        db.session.commit()


def test_demo_media_and_default_template(app):
    with app.app_context():
        rows = template_store.list_templates(db.session)
        assert [r.name for r in rows] == ["Default"] and rows[0].is_default
        model = template_store.to_model(rows[0])
        assert all(seg.clip.isdigit() for seg in model.segments)
        from leadreel.services.videos import library

        demo_media.ensure_demo_media(
            db.session, app.config["SETTINGS"], seconds=1.5, size=(320, 180)
        )  # idempotent
        assert len(library.list_media(db.session)) == 4
        assert len(template_store.list_templates(db.session)) == 1
