"""The Tasks page and its JSON: roles, counts, failures, retry and cancel, batch progress."""

from __future__ import annotations

import pytest
from flask import Flask

from leadreel.extensions import db
from leadreel.models import ImportBatch, Lead, ProcessingTask
from leadreel.tasks import claim, enqueue, fail
from tests.queue import handlers  # noqa: F401 - registers the test_* types


def _seed(app: Flask, owner_id: int | None = None) -> dict[str, int]:
    with app.app_context():
        batch = ImportBatch(
            name="Spring leads", filename="s.csv", stored_path="/x", owner_id=owner_id
        )
        db.session.add(batch)
        db.session.flush()
        lead = Lead(first_name="Ann", batch_id=batch.id, owner_id=owner_id)
        db.session.add(lead)
        db.session.flush()
        ok = enqueue(db.session, "test_step", {}, batch_id=batch.id, lead_id=lead.id)
        bad = enqueue(db.session, "test_permanent", {}, batch_id=batch.id)
        db.session.commit()
        assert ok is not None and bad is not None
        ids = {"batch": batch.id, "lead": lead.id, "ok": ok.id, "bad": bad.id}
        engine = db.engine
    assert engine is not None
    (lease,) = claim(engine, "w1", ["test_permanent"])
    fail(engine, lease, "PermanentError: row 3: not a CSV file\n\nTraceback ...", permanent=True)
    return ids


@pytest.mark.parametrize(("role", "code"), [("rep", 403), ("manager", 200), ("admin", 200)])
def test_page_and_summary_are_for_managers_and_admins(client, make_user, login, role, code):
    login(make_user(role))
    assert client.get("/tasks/").status_code == code
    assert client.get("/tasks/api/summary").status_code == code


def test_page_shows_counts_failures_and_batch_progress(app, client, make_user, login):
    ids = _seed(app)
    login(make_user("manager"))
    html = client.get("/tasks/").get_data(as_text=True)
    assert "test_permanent" in html and "PermanentError: row 3: not a CSV file" in html
    assert "Spring leads" in html and f'data-batch="{ids["batch"]}"' in html
    data = client.get("/tasks/api/summary").get_json()
    assert data["counts"]["test_step"]["pending"] == 1
    assert data["counts"]["test_permanent"]["failed"] == 1
    assert data["failures"][0]["error"] == "PermanentError: row 3: not a CSV file"
    assert data["batches"][0]["total"] == 2 and data["batches"][0]["by_status"]["failed"] == 1


def test_retry_and_cancel_buttons(app, client, make_user, login):
    ids = _seed(app)
    login(make_user("admin"))
    assert client.post(f"/tasks/{ids['bad']}/retry").status_code == 302
    assert client.post(
        f"/tasks/{ids['ok']}/cancel", headers={"Accept": "application/json"}
    ).get_json() == {"ok": True, "task_id": ids["ok"]}
    again = client.post(f"/tasks/{ids['ok']}/cancel", headers={"Accept": "application/json"})
    assert again.status_code == 409
    with app.app_context():
        assert db.session.get(ProcessingTask, ids["bad"]).status == "pending"
        assert db.session.get(ProcessingTask, ids["ok"]).status == "cancelled"


def test_reps_cannot_retry_or_cancel(app, client, make_user, login):
    ids = _seed(app)
    login(make_user("rep"))
    assert client.post(f"/tasks/{ids['bad']}/retry").status_code == 403
    assert client.post(f"/tasks/{ids['ok']}/cancel").status_code == 403


def test_batch_and_lead_progress_for_the_owner_only(app, client, make_user, login):
    owner, other = make_user("rep"), make_user("rep")
    ids = _seed(app, owner_id=owner.id)
    login(other)
    assert client.get(f"/tasks/api/summary?batch_id={ids['batch']}").status_code == 404
    assert client.get(f"/tasks/api/leads?ids={ids['lead']}").get_json() == {}
    client.post("/logout")
    login(owner)
    batch = client.get(f"/tasks/api/summary?batch_id={ids['batch']}").get_json()
    assert batch["total"] == 2 and batch["by_status"]["pending"] == 1
    leads = client.get(f"/tasks/api/leads?ids={ids['lead']},x").status_code
    assert leads == 400
    by_lead = client.get(f"/tasks/api/leads?ids={ids['lead']}").get_json()
    assert by_lead[str(ids["lead"])]["type"] == "test_step"


def test_owner_raises_batch_priority_other_rep_cannot(app, client, make_user, login):
    from leadreel.extensions import db
    from leadreel.models import ImportBatch, ProcessingTask

    owner, other = make_user("rep"), make_user("rep")
    with app.app_context():
        batch = ImportBatch(name="B", filename="b.csv", stored_path="/x", owner_id=owner.id)
        db.session.add(batch)
        db.session.flush()
        db.session.add_all([
            ProcessingTask(type="render_video", batch_id=batch.id, priority=20),
            ProcessingTask(type="render_video", batch_id=batch.id, priority=20, status="succeeded"),
            ProcessingTask(type="render_video", priority=20),
        ])
        db.session.commit()
        batch_id = batch.id
    login(other)
    assert client.post(f"/tasks/batches/{batch_id}/priority").status_code == 404
    client.post("/logout")
    login(owner)
    assert client.post(f"/tasks/batches/{batch_id}/priority").status_code == 302
    with app.app_context():
        rows = db.session.execute(
            db.session.query(ProcessingTask.batch_id, ProcessingTask.status, ProcessingTask.priority)
            .order_by(ProcessingTask.id).statement).all()
    assert [r.priority for r in rows] == [0, 20, 20]  # only the batch's waiting task moved
