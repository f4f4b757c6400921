"""A rep never sees or touches another rep's lead; bulk actions queue one task and do their work
in the worker (assign, tag, batch, delete with its undo window); export goes to its page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from leadreel.errors import PermissionDenied, ValidationError
from leadreel.extensions import db
from leadreel.models import ImportBatch, Lead, ProcessingTask, User
from leadreel.services.leads import bulk, overview
from leadreel.services.leads import query as lq
from leadreel.services.leads import selection as sel
from leadreel.services.leads.selection import Selection
from tests.leads.conftest import drain, seed

FILTERS = [
    Selection(everything=True),
    Selection(q="acme"),
    Selection(q="p0"),
    Selection(video_status="none"),
    Selection(video_status="failed"),
    Selection(has_email=True),
    Selection(owner_id=None, everything=True),
    Selection(custom={"Score": "1"}),
    Selection(tag="hot"),
]


def _own(user_id: int) -> set[int]:
    return set(db.session.scalars(select(Lead.id).where(Lead.owner_id == user_id)))


def test_a_rep_sees_only_their_leads_through_every_filter_sort_and_page(db_app):
    world = seed(db_app)
    with db_app.app_context():
        alice = db.session.get(User, world.alice.id)
        mine = _own(alice.id)
        assert mine and len(mine) < len(world.lead_ids)
        others = [world.bob.id, 0]
        for selection in [*FILTERS, *(Selection(owner_id=o) for o in others),
                          Selection(batch_id=world.batches[1])]:
            for sort in lq.SORTS:
                key = lq.sort_key(sort)
                after = None
                while True:
                    page = lq.keyset_page(db.session, alice, selection, key, desc=False,
                                          after=after, size=4)
                    assert set(page.ids) <= mine, (selection, sort)
                    after = page.next_cursor
                    if after is None:
                        break
            total = overview.count_capped(db.session, alice, selection)
            assert total.value <= len(mine)
        assert overview.total(db.session, alice, Selection(everything=True)).value == len(mine)


def test_rep_web_routes_never_leak_other_leads(db_app):
    world = seed(db_app)
    client = db_app.test_client()
    response = client.post("/login", data={"email": "alice@example.com",
                                           "password": "correct horse battery"})
    assert response.status_code == 302
    with db_app.app_context():
        bobs = sorted(_own(world.bob.id))
        alices = sorted(_own(world.alice.id))
    for url in ["/?sort=owner", "/?q=acme", f"/?owner={world.bob.id}", "/?sort=cf:Score",
                f"/?batch={world.batches[1]}", "/?video=none&sort=email&dir=desc"]:
        html = client.get(url).get_data(as_text=True)
        for lead_id in bobs:
            assert f'data-lead-id="{lead_id}"' not in html, url
    data = client.get("/leads/progress.json?ids=" + ",".join(map(str, bobs + alices))).get_json()
    assert {p["lead_id"] for p in data["leads"]} == set(alices)
    assert client.get(f"/leads/{bobs[0]}").status_code == 404
    count = client.get(f"/leads/count.json?owner={world.bob.id}").get_json()
    assert count["count"] == 0
    # bulk on ticked ids of another rep: refused, nothing queued
    response = client.post("/leads/bulk", data={"action": "tag", "new_tag": "x",
                                                "lead_ids": [bobs[0], alices[0]]})
    assert response.status_code in (302, 403)
    with db_app.app_context():
        assert db.session.get(Lead, bobs[0]).tag != "x"
        assert not db.session.scalar(select(func.count()).where(
            ProcessingTask.type == bulk.BULK_TASK))
    # all matching (no owner filter): only Alice's leads are tagged, in the worker
    response = client.post("/leads/bulk", data={"action": "tag", "new_tag": "mine",
                                                "all_matching": "1"})
    assert response.status_code == 302
    drain(db_app, (bulk.BULK_TASK,))
    with db_app.app_context():
        tagged = set(db.session.scalars(select(Lead.id).where(Lead.tag == "mine")))
        assert tagged == set(alices)


def test_bulk_start_returns_a_queued_task_and_the_worker_applies_it(db_app, tmp_path):
    world = seed(db_app)
    with db_app.app_context():
        admin = db.session.get(User, world.admin.id)
        selection = Selection(batch_id=world.batches[0])
        batch_leads = set(db.session.scalars(select(Lead.id).where(
            Lead.batch_id == world.batches[0])))
        started = bulk.start(db.session, admin, selection, "assign", {"owner_id": world.bob.id})
        db.session.commit()
        assert started.count == len(batch_leads)
        task = db.session.get(ProcessingTask, started.task_id)
        assert task.status == "pending"  # nothing done in the request
        assert _own(world.bob.id) & batch_leads != batch_leads
    drain(db_app, (bulk.BULK_TASK,))
    with db_app.app_context():
        assert batch_leads <= _own(world.bob.id)
        assert db.session.get(ProcessingTask, started.task_id).status == "succeeded"
        # add to a batch
        admin = db.session.get(User, world.admin.id)
        ids = sorted(batch_leads)[:3]
        bulk.start(db.session, admin, Selection(lead_ids=ids), "batch",
                   {"batch_id": world.batches[1]})
        db.session.commit()
    drain(db_app, (bulk.BULK_TASK,))
    with db_app.app_context():
        assert {db.session.get(Lead, i).batch_id for i in ids} == {world.batches[1]}


def test_bulk_refuses_what_it_cannot_do(db_app):
    world = seed(db_app)
    with db_app.app_context():
        alice = db.session.get(User, world.alice.id)
        with pytest.raises(PermissionDenied):  # reps may not reassign
            bulk.start(db.session, alice, Selection(everything=True), "assign",
                       {"owner_id": world.bob.id})
        with pytest.raises(ValidationError, match="no leads"):
            bulk.start(db.session, alice, Selection(q="zz-nothing"), "tag", {"tag": "x"})
        with pytest.raises(PermissionDenied):
            bulk.start(db.session, alice, Selection(batch_id=world.batches[1]), "delete", {})
        with pytest.raises(ValidationError, match="unknown bulk action"):
            bulk.start(db.session, alice, Selection(everything=True), "format_disk", {})


def test_delete_confirms_the_count_then_waits_for_the_undo_window(db_app):
    world = seed(db_app)
    client = db_app.test_client()
    client.post("/login", data={"email": "admin@example.com", "password": "correct horse battery"})
    with db_app.app_context():
        failed = sorted(db.session.scalars(select(Lead.id).where(Lead.tag == "hot")))
    form = {"action": "delete", "all_matching": "1", "tag": "hot"}
    page = client.post("/leads/bulk", data=form).get_data(as_text=True)
    assert f"Delete {len(failed)} lead(s)?" in page and 'name="confirm"' in page
    with db_app.app_context():
        assert db.session.scalar(select(func.count()).where(Lead.tag == "hot")) == len(failed)
    # a stale confirmation (the count changed) asks again instead of deleting
    page = client.post("/leads/bulk", data={**form, "confirm": "999"}).get_data(as_text=True)
    assert "Delete" in page and 'name="confirm"' in page
    client.post("/leads/bulk", data={**form, "confirm": str(len(failed))})
    with db_app.app_context():
        task = db.session.scalars(select(ProcessingTask).where(
            ProcessingTask.type == bulk.BULK_TASK)).one()
        assert task.status == "pending" and task.payload["count"] == len(failed)
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="undo"' in html
    client.post(f"/leads/bulk/{task.id}/undo")
    drain(db_app, (bulk.BULK_TASK,))
    with db_app.app_context():
        assert db.session.get(ProcessingTask, task.id).status == "cancelled"
        assert db.session.scalar(select(func.count()).where(Lead.tag == "hot")) == len(failed)
        # confirmed and not undone: deleted once the window has passed
        admin = db.session.get(User, world.admin.id)
        started = bulk.start(db.session, admin, Selection(tag="hot"), "delete", {})
        db.session.get(ProcessingTask, started.task_id).run_after = started.undo_until.replace(
            year=2000)
        db.session.commit()
    drain(db_app, (bulk.BULK_TASK,))
    with db_app.app_context():
        assert db.session.scalar(select(func.count()).where(Lead.tag == "hot")) == 0


def test_bulk_export_opens_the_export_page_for_the_same_selection(db_app):
    """The overview's "Export…" posts its selection to the Exports page (one export service):
    "all matching" with the page's filter counts exactly the leads the overview lists, and a
    rep's "all matching" holds only the rep's leads."""
    world = seed(db_app, n=12)
    with db_app.app_context():
        alice = db.session.get(User, world.alice.id)
        mine = sel.count(db.session, alice, Selection(everything=True))
        in_batch = sel.count(db.session, alice, Selection(batch_id=world.batches[0]))
    client = db_app.test_client()
    client.post("/login", data={"email": "alice@example.com", "password": "correct horse battery"})
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="bulk-export"' in html and "/exports/new" in html
    every = client.post("/exports/new", data={"all_matching": "1"}).get_data(as_text=True)
    assert f"<strong>{mine:,}</strong> lead(s) will be exported" in every
    page = client.post(
        "/exports/new", data={"all_matching": "1", "batch": str(world.batches[0])}
    ).get_data(as_text=True)
    assert f"<strong>{in_batch:,}</strong> lead(s) will be exported" in page
    ticked = client.post("/exports/new", data={"lead_ids": [str(world.lead_ids[0])]})
    assert ticked.status_code in (200, 302)


def test_batches_page_rename_priority_and_delete_with_leads(db_app):
    world = seed(db_app)
    client = db_app.test_client()
    client.post("/login", data={"email": "admin@example.com", "password": "correct horse battery"})
    html = client.get("/batches/").get_data(as_text=True)
    assert "First" in html and "Second" in html and 'data-role="renders"' in html
    bid = world.batches[0]
    client.post(f"/batches/{bid}/rename", data={"name": "Renamed"})
    client.post(f"/batches/{bid}/priority", data={"priority": "-5"})
    with db_app.app_context():
        batch = db.session.get(ImportBatch, bid)
        assert (batch.name, batch.priority) == ("Renamed", -5)
        n = db.session.scalar(select(func.count()).where(Lead.batch_id == bid))
    confirm = client.get(f"/batches/{bid}/delete").get_data(as_text=True)
    assert f"its {n} lead(s)?" in confirm
    client.post(f"/batches/{bid}/delete")
    with db_app.app_context():
        task = db.session.scalars(select(ProcessingTask).where(
            ProcessingTask.type == bulk.BULK_TASK)).one()
        task.run_after = task.run_after.replace(year=2000)
        db.session.commit()
    drain(db_app, (bulk.BULK_TASK,))
    with db_app.app_context():
        assert db.session.scalar(select(func.count()).where(Lead.batch_id == bid)) == 0
        assert db.session.get(ImportBatch, bid) is None
        assert db.session.scalar(select(func.count()).select_from(Lead)) == len(world.lead_ids) - n
    progress = client.get("/batches/progress.json").get_json()
    assert [b["id"] for b in progress["batches"]] == [world.batches[1]]
