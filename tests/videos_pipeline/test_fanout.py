"""Starting renders: the request records a run, one fan-out task creates the chains.

Run on SQLite and, when CI provides one, on PostgreSQL (the fan-out locks its run row there).
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select, update

from leadreel.errors import ValidationError
from leadreel.extensions import db
from leadreel.models import Lead, ProcessingTask, RenderRun, User, Video
from leadreel.services.leads.selection import Selection
from leadreel.services.videos import chains, pipeline, runs, tasks
from leadreel.services.videos import samples as sample_runs

from .conftest import build_app, drain


@pytest.fixture
def app(make_app, db_url, site, down_port, demo_files):
    return build_app(make_app, site, down_port, demo_files, database_url=db_url)


def _user(user: User) -> User:
    return db.session.get(User, user.id)


def _fan_out(app) -> None:
    drain(app, types=(runs.FANOUT,))


def _screenshot_tasks() -> list[ProcessingTask]:
    return list(
        db.session.scalars(select(ProcessingTask).where(ProcessingTask.type == tasks.SCREENSHOT))
    )


def test_request_returns_before_the_chains_exist(
    app, client, make_user, login, make_lead, tiny_template
):
    manager = make_user("manager")
    ids = [make_lead(manager, first=f"P{i}", company=f"C{i}") for i in range(6)]
    tiny_template()
    login(manager)
    response = client.post("/videos/render", data={"ids": ",".join(map(str, ids))})
    assert response.status_code == 302
    with app.app_context():
        [run] = db.session.scalars(select(RenderRun)).all()
        assert (run.status, run.total, run.processed, run.created_by_id) == (
            "preparing",
            6,
            0,
            manager.id,
        )
        queued = db.session.scalars(select(ProcessingTask)).all()
        assert [(t.type, t.payload) for t in queued] == [(runs.FANOUT, {"run": run.id})]
        assert db.session.scalar(select(func.count(Video.id))) == 0
        assert run.task_id == queued[0].id
    page = client.get("/videos/").get_data(as_text=True)
    assert "Preparing 6 render(s)" in page and f'data-run-id="{run.id}"' in page
    polled = client.get(f"/videos/status.json?runs={run.id}").get_json()["runs"]
    assert polled == [runs.run_json(run) | {"status": "preparing"}]

    _fan_out(app)
    with app.app_context():
        run = db.session.get(RenderRun, run.id)
        assert (run.status, run.processed, run.started, run.held, run.skipped) == (
            "started",
            6,
            6,
            0,
            0,
        )
        per_lead = Counter(t.lead_id for t in _screenshot_tasks())
        assert per_lead == Counter(ids)  # exactly one chain per lead
        videos = db.session.scalars(select(Video)).all()
        assert sorted(v.lead_id for v in videos) == sorted(ids)
        assert all(t.payload["run"] == run.id for t in _screenshot_tasks())
    polled = client.get(f"/videos/status.json?runs={run.id}").get_json()["runs"]
    assert polled[0]["status"] == "started" and polled[0]["processed"] == 6


def test_retried_and_repeated_fan_out_creates_one_chain_per_lead(
    app, make_user, make_lead, tiny_template, monkeypatch
):
    """Batches of 3: the task dies after the first batch, is retried, then runs again."""
    monkeypatch.setattr(runs, "BATCH_SIZE", 3)
    manager = make_user("manager")
    ids = [make_lead(manager, first=f"P{i}", company=f"C{i}") for i in range(8)]
    tiny_template()
    real = runs.create_chains
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second batch: after the first was committed
            raise RuntimeError("worker lost its database connection")
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "create_chains", flaky)
    with app.app_context():
        run = pipeline.queue_renders(db.session, _user(manager), Selection(q="p"))
        db.session.commit()
        run_id = run.id
    _fan_out(app)  # attempt 1 fails after one batch; attempt 2 (after the backoff) resumes
    with app.app_context():
        fanout = db.session.scalar(select(ProcessingTask).where(ProcessingTask.type == runs.FANOUT))
        assert fanout.status == "succeeded" and fanout.attempts == 2
        assert "lost its database connection" in fanout.errors[0]["error"]
        run = db.session.get(RenderRun, run_id)
        assert (run.status, run.processed, run.started) == ("started", 8, 8)
        assert Counter(t.lead_id for t in _screenshot_tasks()) == Counter(ids)
        # the same run fanned out again (a duplicate task, a rescued one): nothing new
        from leadreel.tasks.queue import enqueue

        enqueue(db.session, runs.FANOUT, {"run": run_id})
        db.session.commit()
    _fan_out(app)
    with app.app_context():
        assert Counter(t.lead_id for t in _screenshot_tasks()) == Counter(ids)
        assert db.session.scalar(select(func.count(Video.id))) == 8
        # the second task saw the run started and did nothing
        again = db.session.scalars(
            select(ProcessingTask)
            .where(ProcessingTask.type == runs.FANOUT)
            .order_by(ProcessingTask.id.desc())
        ).first()
        assert again.result == {"run": run_id, "status": "started"}


def test_samples_first_holds_the_rest_across_batches(
    app, make_user, make_lead, tiny_template, monkeypatch
):
    monkeypatch.setattr(runs, "BATCH_SIZE", 2)
    manager = make_user("manager")
    ids = [make_lead(manager, first=f"P{i}", company=f"C{i}") for i in range(7)]
    tiny_template()
    with app.app_context():
        run = pipeline.queue_renders(db.session, _user(manager), Selection(lead_ids=ids), samples=3)
        db.session.commit()
        run_id = run.id
        runs.advance(db.session, run, _user(manager))  # one batch in the request, say
        db.session.commit()
    _fan_out(app)  # the task goes on from there
    with app.app_context():
        run = db.session.get(RenderRun, run_id)
        assert (run.started, run.held, run.status) == (3, 4, "started")
        samples = db.session.scalars(select(Video).where(Video.is_sample)).all()
        assert sorted(v.lead_id for v in samples) == ids[:3]  # the first N leads
        assert sorted(run.sample_video_ids) == sorted(v.id for v in samples)
        shots = _screenshot_tasks()
        held = [t for t in shots if t.run_after.year >= 8999]
        due = [t for t in shots if t.run_after.year < 8999]
        assert sorted(t.lead_id for t in held) == ids[3:]
        assert all(t.priority == chains.SAMPLE_PRIORITY for t in due)
        assert all(sorted(t.payload["samples"]) == sorted(run.sample_video_ids) for t in held)
        [decision] = sample_runs.held_runs(db.session, _user(manager))
        assert decision.held_count == 4 and {v.id for v in decision.samples} == set(
            run.sample_video_ids
        )
        assert sample_runs.approve_samples(db.session, _user(manager), run_id) == 4
        db.session.commit()


def test_decisions_wait_until_the_run_is_prepared(app, make_user, make_lead, tiny_template):
    manager = make_user("manager")
    ids = [make_lead(manager, first=f"P{i}", company=f"C{i}") for i in range(4)]
    tiny_template()
    with app.app_context():
        user = _user(manager)
        run = pipeline.queue_renders(db.session, user, Selection(lead_ids=ids), samples=1)
        runs.advance(db.session, run, user, limit=3)  # sample + 2 held, one lead to go
        db.session.commit()
        assert len(_screenshot_tasks()) == 3
        assert sample_runs.held_runs(db.session, user) == []  # not offered yet
        with pytest.raises(ValidationError, match="still being prepared"):
            sample_runs.approve_samples(db.session, user, run.id)


def test_few_samples_of_a_small_run_are_plain_renders(app, make_user, make_lead, tiny_template):
    """Samples >= leads: nothing is held, so none is flagged a sample (as before)."""
    manager = make_user("manager")
    ids = [make_lead(manager, first=f"P{i}", company=f"C{i}") for i in range(2)]
    tiny_template()
    with app.app_context():
        result = pipeline.start_renders(
            db.session, _user(manager), Selection(lead_ids=ids), samples=5
        )
        db.session.commit()
        assert len(result.started) == 2 and result.held == []
        assert not any(v.is_sample for v in db.session.scalars(select(Video)))


def test_the_task_rechecks_the_users_scope(app, make_user, make_lead, tiny_template):
    """Demoted between click and fan-out: only the leads they may still see are rendered."""
    boss, rep = make_user("manager"), make_user("rep")
    own = [make_lead(boss, first=f"Own{i}", company=f"O{i}") for i in range(2)]
    others = [make_lead(rep, first=f"Rep{i}", company=f"R{i}") for i in range(3)]
    tiny_template()
    with app.app_context():
        run = pipeline.queue_renders(db.session, _user(boss), Selection(everything=True))
        db.session.commit()
        assert run.total == 5
        run_id = run.id
        db.session.get(User, boss.id).role = "rep"
        db.session.commit()
    _fan_out(app)
    with app.app_context():
        run = db.session.get(RenderRun, run_id)
        assert (run.status, run.processed, run.started) == ("started", 2, 2)
        rendered = {t.lead_id for t in _screenshot_tasks()}
        assert rendered == set(own) and not rendered & set(others)


def test_a_deactivated_user_renders_nothing(
    app, client, make_user, login, make_lead, tiny_template
):
    rep = make_user("rep")
    ids = [make_lead(rep, first=f"P{i}", company=f"C{i}") for i in range(2)]
    tiny_template()
    with app.app_context():
        run = pipeline.queue_renders(db.session, _user(rep), Selection(lead_ids=ids))
        db.session.commit()
        run_id = run.id
        db.session.get(User, rep.id).active = False
        db.session.commit()
    _fan_out(app)
    with app.app_context():
        run = db.session.get(RenderRun, run_id)
        assert run.status == "failed" and "may no longer render" in run.error
        assert _screenshot_tasks() == [] and db.session.scalars(select(Video)).all() == []
        fanout = db.session.get(ProcessingTask, run.task_id)
        assert fanout.status == "failed" and fanout.attempts == 1  # permanent: no retry


def test_a_named_lead_reassigned_meanwhile_is_left_out(app, make_user, make_lead, tiny_template):
    alice, bob = make_user("rep"), make_user("rep")
    ids = [make_lead(alice, first=f"P{i}", company=f"C{i}") for i in range(3)]
    tiny_template()
    with app.app_context():
        run = pipeline.queue_renders(db.session, _user(alice), Selection(lead_ids=ids))
        db.session.commit()
        run_id = run.id
        db.session.get(Lead, ids[1]).owner_id = bob.id
        db.session.commit()
    _fan_out(app)
    with app.app_context():
        run = db.session.get(RenderRun, run_id)
        assert (run.total, run.processed, run.started) == (3, 2, 2)
        assert {t.lead_id for t in _screenshot_tasks()} == {ids[0], ids[2]}


def test_leads_added_after_the_click_are_not_part_of_the_run(
    app, make_user, make_lead, tiny_template
):
    manager = make_user("manager")
    before = [make_lead(manager, first=f"P{i}", company=f"C{i}") for i in range(2)]
    tiny_template()
    with app.app_context():
        run = pipeline.queue_renders(db.session, _user(manager), Selection(everything=True))
        db.session.commit()
    late = make_lead(manager, first="Late", company="Late")
    _fan_out(app)
    with app.app_context():
        rendered = {t.lead_id for t in _screenshot_tasks()}
        assert rendered == set(before) and late not in rendered
        assert db.session.get(RenderRun, run.id).processed == 2


def test_a_stopped_fan_out_fails_its_run_on_the_page(
    app, client, make_user, login, make_lead, tiny_template
):
    manager = make_user("manager")
    lead_id = make_lead(manager)
    tiny_template()
    with app.app_context():
        run = pipeline.queue_renders(db.session, _user(manager), Selection(lead_ids=[lead_id]))
        db.session.commit()
        db.session.execute(
            update(ProcessingTask)
            .where(ProcessingTask.id == run.task_id)
            .values(status="cancelled", last_error="cancelled by a user\n\ntraceback")
        )
        db.session.commit()
    login(manager)
    page = client.get("/videos/").get_data(as_text=True)
    assert "Could not prepare 1 render(s)" in page
    assert "stopped while preparing: cancelled by a user" in page
    with app.app_context():
        assert db.session.get(RenderRun, run.id).status == "failed"


def test_request_time_checks(app, make_user, make_lead, tiny_template):
    rep = make_user("rep")
    make_lead(rep, first="Ann")
    tiny_template()
    with app.app_context():
        with pytest.raises(ValidationError, match="no leads match"):
            pipeline.queue_renders(db.session, _user(rep), Selection(q="nobody-like-this"))
        with pytest.raises(ValidationError, match="samples must be between"):
            pipeline.queue_renders(db.session, _user(rep), Selection(q="ann"), samples=500)
        with pytest.raises(ValidationError, match="unknown video status"):
            Selection(video_status="bogus")
        assert db.session.scalars(select(RenderRun)).all() == []
