"""The Videos page: every lead in scope with its latest video, filters, pages, bulk renders."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, insert, select, text

from leadreel.extensions import db
from leadreel.models import Company, ImportBatch, Lead, ProcessingTask, RenderRun, User, Video
from leadreel.services.leads import selection as sel
from leadreel.services.videos import overview, runs, tasks
from leadreel.tasks.queue import enqueue

from .conftest import build_app, drain


@pytest.fixture
def app(make_app, db_url, site, down_port, demo_files):
    """On SQLite and, when CI provides one, on PostgreSQL."""
    return build_app(make_app, site, down_port, demo_files, database_url=db_url)


def _video(lead_id: int, status: str, **values) -> int:
    with db.session.begin_nested():
        video = Video(
            lead_id=lead_id, status=status, progress=values.pop("progress", 0.0), **values
        )
        db.session.add(video)
    db.session.commit()
    return video.id


def _names(page: str) -> list[str]:
    return re.findall(r'<a href="/leads/\d+">([^<]+)</a>', page)


@pytest.fixture
def leads(app, make_user, make_lead):
    """A manager's four leads: no video, failed (after an earlier success), rendered, queued."""
    manager = make_user("manager")
    ids = {
        name: make_lead(manager, first=name, company=f"{name} Inc")
        for name in ("Nova", "Faye", "Rene", "Quinn")
    }
    with app.app_context():
        batch = ImportBatch(
            name="Spring list", filename="f.csv", stored_path="x", owner_id=manager.id
        )
        db.session.add(batch)
        db.session.flush()
        db.session.get(Lead, ids["Rene"]).batch_id = batch.id
        db.session.commit()
        _video(ids["Faye"], "rendered", file_path="/nowhere/old.mp4")
        _video(ids["Faye"], "failed", error="the website of Faye Inc could not be captured")
        _video(ids["Rene"], "rendered", screenshot_source="previous", progress=1.0)
        _video(ids["Quinn"], "rendering", progress=0.4)
        # its render is running (else the page's reconcile fails it as stopped)
        enqueue(db.session, tasks.RENDER, {}, lead_id=ids["Quinn"])
        db.session.commit()
    return manager, ids, batch.id


def test_lists_leads_without_videos_and_filters(app, client, login, leads):
    manager, ids, batch_id = leads
    login(manager)
    page = client.get("/videos/").get_data(as_text=True)
    assert _names(page) == ["Quinn Lee", "Rene Lee", "Faye Lee", "Nova Lee"]  # newest first
    assert f'data-lead-id="{ids["Nova"]}" data-status="none"' in page and "no video yet" in page
    assert "could not be captured" in page  # the failure's reason
    assert "pill-src-previous" in page  # the screenshot source
    assert 'data-progress="0.4"' in page and 'style="' not in page
    assert "Select all 4 matching" in page

    def names(**params) -> list[str]:
        return _names(client.get("/videos/", query_string=params).get_data(as_text=True))

    assert names(status="none") == ["Nova Lee"]
    assert names(status="failed") == ["Faye Lee"]  # her latest video, not the older one
    assert names(status="rendered") == ["Rene Lee"]
    assert names(status="rendering") == ["Quinn Lee"]
    assert names(q="rene inc") == ["Rene Lee"]  # company
    assert names(q="NOVA@X.TEST") == ["Nova Lee"]  # email, any case
    assert names(q="faye") == ["Faye Lee"]  # name
    assert names(batch=batch_id) == ["Rene Lee"]
    assert names(batch=batch_id, status="none") == []
    assert names(status="bogus") == _names(page)  # an unknown status is no filter


@pytest.mark.parametrize("role,sees_bob", [("rep", False), ("manager", True), ("admin", True)])
def test_a_rep_never_sees_another_reps_lead(
    app, client, make_user, login, make_lead, role, sees_bob
):
    viewer, bob = make_user(role), make_user("rep")
    make_lead(viewer, first="Mine", company="Mine Co")
    bobs = make_lead(bob, first="Bobs", company="Bob Co")
    with app.app_context():
        video_id = _video(bobs, "failed", error="boom")
    login(viewer)
    for params in ({}, {"q": "bob"}, {"status": "failed"}):
        page = client.get("/videos/", query_string=params).get_data(as_text=True)
        assert ("Bobs Lee" in page) is sees_bob, params
    status = client.get(f"/videos/status.json?ids={video_id}").get_json()["videos"]
    assert bool(status) is sees_bob
    if role == "rep":  # "select all matching" cannot reach Bob's lead either
        client.post("/videos/render", data={"all_matching": "1", "action": "render"})
        with app.app_context():
            assert db.session.scalar(select(RenderRun)).total == 1


def test_keyset_pages_over_many_leads_without_n_plus_one(app, client, make_user, login):
    manager = make_user("manager")
    with app.app_context():
        company = Company(name="Bulk", name_key="bulk")
        db.session.add(company)
        db.session.flush()
        db.session.execute(
            insert(Lead),
            [
                {"first_name": f"L{i:03d}", "owner_id": manager.id, "company_id": company.id}
                for i in range(120)
            ],
        )
        db.session.commit()
        lead_ids = db.session.scalars(select(Lead.id).order_by(Lead.id)).all()
        for lead_id in lead_ids[::2]:
            db.session.add(Video(lead_id=lead_id, status="rendered"))
        db.session.commit()
    login(manager)

    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        statements.append(statement)

    first = client.get("/videos/").get_data(as_text=True)
    assert _names(first) == [f"L{i:03d}" for i in range(119, 69, -1)]
    older = re.search(r'href="/videos/\?after=(\d+)"', first)
    assert older and not re.search(r"before=", first)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        second = client.get(f"/videos/?after={older.group(1)}").get_data(as_text=True)
        queries_50 = len(statements)
        assert any("leads.id < " in s for s in statements)  # keyset: where id < last seen
        statements.clear()
        client.get("/videos/?status=rendered&q=l11").get_data(as_text=True)  # a short page
        queries_few = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert _names(second) == [f"L{i:03d}" for i in range(69, 19, -1)]
    assert queries_50 == queries_few  # a fixed number of queries, not one per row
    third_link = re.search(r'href="/videos/\?after=(\d+)"', second).group(1)
    third = client.get(f"/videos/?after={third_link}").get_data(as_text=True)
    assert _names(third) == [f"L{i:03d}" for i in range(19, -1, -1)]
    assert "after=" not in third.split('class="pager"')[1]  # the last page
    newer = re.search(r'href="/videos/\?before=(\d+)"', third).group(1)
    back = client.get(f"/videos/?before={newer}").get_data(as_text=True)
    assert _names(back) == _names(second)


def test_page_queries_use_the_indexes_on_sqlite(app, make_user, make_lead):
    """The plan of the page query: leads by primary key, videos through ix_videos_lead_id."""
    manager = make_user("manager")
    make_lead(manager)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the plan check is for SQLite; see the report for PostgreSQL's")
        user = db.session.get(User, manager.id)
        for status, batch in (("", None), ("failed", None), ("none", None), ("failed", 1)):
            query = (
                sel.lead_query(
                    user,
                    sel.Selection(video_status=status, everything=True, batch_id=batch),
                    Lead.id,
                    sel.latest_video_id().label("video_id"),
                )
                .where(Lead.id < 10**9)
                .order_by(Lead.id.desc())
                .limit(51)
            )
            compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
            rows = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            plan = " | ".join(row[-1] for row in rows)
            assert "SCAN videos" not in plan, plan
            assert "ix_videos_lead_id" in plan, plan
            # never the status index: that reads every failed video once per lead
            assert "ix_videos_status" not in plan, plan
            if batch is None:
                assert "TEMP B-TREE" not in plan, plan  # walks leads in id order, no sort


def test_bulk_actions_select_all_matching_and_rerender_failed(
    app, client, login, leads, tiny_template
):
    manager, ids, _batch = leads
    tiny_template()
    login(manager)
    # "render selected" with nothing ticked is refused
    response = client.post(
        "/videos/render", data={"action": "render", "back": "index"}, follow_redirects=True
    )
    assert "select leads, a batch or a filter" in response.get_data(as_text=True)
    # every lead without a video, via "select all matching" on the status=none filter
    response = client.post(
        "/videos/render",
        data={
            "all_matching": "1",
            "video_status": "none",
            "action": "render",
            "lead_ids": ids["Rene"],
        },
        follow_redirects=True,
    )
    assert "Preparing 1 render(s)" in response.get_data(as_text=True)
    # "re-render failed" with nothing ticked: the failed leads matching the filters
    client.post("/videos/render", data={"action": "rerender_failed", "q": "inc"})
    # samples first on the ticked leads
    client.post(
        "/videos/render",
        data={"action": "samples", "samples": "1", "lead_ids": [ids["Rene"], ids["Faye"]]},
    )
    drain(app, types=(runs.FANOUT,))
    with app.app_context():
        made = db.session.scalars(select(RenderRun).order_by(RenderRun.created_at)).all()
        assert [(r.total, r.started, r.held, r.skipped) for r in made] == [
            (1, 1, 0, 0),  # Nova, the one lead without a video
            (1, 1, 0, 0),  # Faye, whose latest video failed
            (2, 1, 0, 1),  # Rene; Faye is already queued by the run before
        ]
        assert made[1].refresh is True
        shots = db.session.scalars(
            select(ProcessingTask).where(ProcessingTask.type == "screenshot")
        ).all()
        assert {t.lead_id for t in shots} == {ids["Nova"], ids["Faye"], ids["Rene"]}
    page = client.get("/videos/").get_data(as_text=True)
    assert page.count('data-status="none"') == 0


def test_overview_service_pages(app, leads):
    manager, ids, _ = leads
    with app.app_context():
        user = db.session.get(User, manager.id)
        page = overview.list_page(db.session, user, sel.Selection(everything=True), size=2)
        assert [r.display_name for r in page.rows] == ["Quinn Lee", "Rene Lee"]
        assert page.total == 4 and page.before is None and page.after == ids["Rene"]
        assert page.rows[0].video.status == "rendering" and not page.rows[0].done
        rest = overview.list_page(
            db.session, user, sel.Selection(everything=True), after=page.after
        )
        assert [r.lead_id for r in rest.rows] == [ids["Faye"], ids["Nova"]]
        assert rest.rows[1].video is None and rest.after is None
        assert rest.before == ids["Faye"]
