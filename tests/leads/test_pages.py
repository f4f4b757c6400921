"""The overview's URL, column chooser, lead page provenance and company pages (SQLite)."""

from __future__ import annotations

import re

from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import ImportChange, Lead, User
from tests.leads.conftest import seed


def _login(app, email="admin@example.com"):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": "correct horse battery"}
                       ).status_code == 302
    return client


def _row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-lead-id="(\d+)"', html)]


def test_filter_and_sort_live_in_the_url_and_pages_follow_the_cursor(app):
    world = seed(app)
    client = _login(app)
    first = client.get("/?sort=email&dir=asc&size=25").get_data(as_text=True)
    ids = _row_ids(first)
    assert len(ids) == 25
    nxt = re.search(r'href="([^"]*after=[^"]*)" data-testid="next-page"', first)
    assert nxt and "sort=email" in nxt.group(1) and "size=25" in nxt.group(1)
    second = client.get(nxt.group(1).replace("&amp;", "&")).get_data(as_text=True)
    rest = _row_ids(second)
    assert rest and not set(rest) & set(ids)
    assert len(ids) + len(rest) == len(world.lead_ids)
    with app.app_context():
        emails = {lead.id: lead.email for lead in db.session.scalars(select(Lead))}
    shown = [emails[i] for i in ids]
    assert shown == sorted(shown)  # emails first (no NULL among the first 25 of 48)
    filtered = client.get(f"/?batch={world.batches[0]}&has_email=1&q=mail").get_data(as_text=True)
    with app.app_context():
        want = set(db.session.scalars(select(Lead.id).where(
            Lead.batch_id == world.batches[0], Lead.email.is_not(None))))
    assert set(_row_ids(filtered)) == want
    assert f'<input type="hidden" name="batch" value="{world.batches[0]}">' in filtered
    assert client.get("/?sort=nope").status_code == 302  # a clear message, not a 500


def test_column_choice_is_remembered_per_user(app):
    seed(app)
    client = _login(app)
    html = client.get("/").get_data(as_text=True)
    assert "col-email" in html and "col-cf-Score" not in html
    client.post("/leads/columns", data={"columns": ["name", "cf:Score", "company_domain", "bad"]})
    html = client.get("/").get_data(as_text=True)
    assert "col-cf-Score" in html and "col-company_domain" in html and "col-email" not in html
    with app.app_context():
        admin = db.session.scalars(select(User).where(User.email == "admin@example.com")).one()
        assert admin.preferences["lead_columns"] == ["name", "cf:Score", "company_domain"]
    other = _login(app, "alice@example.com").get("/").get_data(as_text=True)
    assert "col-email" in other  # Alice keeps the default set


def test_lead_page_shows_where_each_field_came_from(app):
    world = seed(app, n=4)
    client = _login(app)
    lead_id = world.lead_ids[1]
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        db.session.add(ImportChange(batch_id=world.batches[0], entity="lead", entity_id=lead_id,
                                    action="created"))
        lead.inferred = ["first_name"]
        db.session.commit()
    client.post(f"/leads/{lead_id}/edit", data={"city": "Lisbon"})
    html = client.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert 'data-testid="lead-fields"' in html
    city = html[html.index(">Lisbon<"):][:400]
    assert 'data-source="person"' in city
    title = html[html.index("first name"):][:400]
    assert 'data-source="inferred"' in title
    email = html[html.index("p001@"):][:400]
    assert 'data-source="import"' in email and "First" in email
    assert 'data-testid="lead-tasks"' in html


def test_company_list_and_detail_are_scoped_to_the_reps_leads(app):
    world = seed(app)
    alice = _login(app, "alice@example.com")
    listing = alice.get("/companies/?q=acme").get_data(as_text=True)
    assert "Acme Widgets" in listing and "globex" not in listing
    with app.app_context():
        from leadreel.models import Company

        acme = db.session.scalars(select(Company).where(Company.name == "Acme Widgets")).one()
        mine = db.session.scalars(select(Lead).where(Lead.company_id == acme.id,
                                                     Lead.owner_id == world.alice.id)).all()
        theirs = db.session.scalars(select(Lead).where(Lead.company_id == acme.id,
                                                       Lead.owner_id != world.alice.id)).all()
    detail = alice.get(f"/companies/{acme.id}").get_data(as_text=True)
    assert all(f"/leads/{lead.id}\"" in detail for lead in mine)
    assert not any(f"/leads/{lead.id}\"" in detail for lead in theirs)
    assert "https://acme.io" in detail
    with app.app_context():
        from leadreel.models import Company

        lonely = Company(name="Nobody Inc", name_key="nobody inc")
        db.session.add(lonely)
        db.session.commit()
        lonely_id = lonely.id
    assert alice.get(f"/companies/{lonely_id}").status_code == 404
    assert _login(app).get(f"/companies/{lonely_id}").status_code == 200
