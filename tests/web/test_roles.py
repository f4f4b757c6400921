"""Roles are checked on the server: reps see only their own leads, admin pages are admin-only."""

from __future__ import annotations

import pytest

from leadreel.extensions import db
from leadreel.models import Company, Lead, User


def _lead(app, owner: User, email: str) -> int:
    with app.app_context():
        company = Company(name="Acme", name_key="acme", domain="acme.test")
        lead = Lead(
            first_name="Ann", last_name="Lee", email=email, owner_id=owner.id, company=company
        )
        db.session.add(lead)
        db.session.commit()
        return lead.id


def test_rep_cannot_read_another_reps_lead_by_url(app, client, make_user, login):
    alice, bob = make_user("rep"), make_user("rep")
    bobs = _lead(app, bob, "bob-lead@acme.test")
    alices = _lead(app, alice, "alice-lead@acme.test")
    login(alice)
    assert client.get(f"/leads/{alices}").status_code == 200
    assert client.get(f"/leads/{bobs}").status_code == 404
    listing = client.get("/").get_data(as_text=True)
    assert "alice-lead@acme.test" in listing and "bob-lead@acme.test" not in listing


def test_manager_sees_all_leads(app, client, make_user, login):
    rep = make_user("rep")
    lead_id = _lead(app, rep, "x@acme.test")
    login(make_user("manager"))
    assert client.get(f"/leads/{lead_id}").status_code == 200
    assert "x@acme.test" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role,status", [("rep", 403), ("manager", 403), ("admin", 200)])
def test_admin_pages_are_admin_only(client, make_user, login, role, status):
    login(make_user(role))
    assert client.get("/admin/users").status_code == status


@pytest.mark.parametrize("role,status", [("rep", 403), ("manager", 200), ("admin", 200)])
def test_tasks_page_for_managers_and_admins(client, make_user, login, role, status):
    login(make_user(role))
    assert client.get("/tasks/").status_code == status


def test_rep_cannot_change_roles(app, client, make_user, login):
    rep, other = make_user("rep"), make_user("rep")
    login(rep)
    assert client.post(f"/admin/users/{other.id}/role", data={"role": "admin"}).status_code == 403
    with app.app_context():
        assert db.session.get(User, other.id).role == "rep"


def test_admin_creates_user_changes_role_and_deactivates(app, client, make_user, login):
    login(make_user("admin"))
    response = client.post(
        "/admin/users",
        data={"email": "new@example.com", "name": "New", "password": "longenough1", "role": "rep"},
    )
    assert response.status_code == 302
    with app.app_context():
        new = db.session.query(User).filter_by(email="new@example.com").one()
        new_id = new.id
    client.post(f"/admin/users/{new_id}/role", data={"role": "manager"})
    client.post(f"/admin/users/{new_id}/active")
    with app.app_context():
        new = db.session.get(User, new_id)
        assert new.role == "manager" and new.active is False


def test_admin_cannot_demote_self(app, client, make_user, login):
    admin = make_user("admin")
    login(admin)
    client.post(f"/admin/users/{admin.id}/role", data={"role": "rep"})
    with app.app_context():
        assert db.session.get(User, admin.id).role == "admin"


def test_json_errors_for_api_clients(client, make_user, login):
    login(make_user("rep"))
    response = client.get("/admin/users", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json()["error"] == "Forbidden"


def test_rep_cannot_change_or_delete_another_reps_lead(app, client, make_user, login):
    alice, bob = make_user("rep"), make_user("rep")
    bobs = _lead(app, bob, "bob2@acme.test")
    login(alice)
    assert client.post(f"/leads/{bobs}/edit", data={"first_name": "Hacked"}).status_code == 404
    assert client.post(f"/leads/{bobs}/delete").status_code == 404
    with app.app_context():
        lead = db.session.get(Lead, bobs)
        assert lead is not None and lead.first_name == "Ann"


def test_owner_edits_lead_but_cannot_reassign(app, client, make_user, login):
    alice, bob = make_user("rep"), make_user("rep")
    mine = _lead(app, alice, "mine@acme.test")
    login(alice)
    client.post(
        f"/leads/{mine}/edit",
        data={"first_name": "Annie", "email": " MINE2@Acme.test ", "owner_id": bob.id},
    )
    with app.app_context():
        lead = db.session.get(Lead, mine)
        assert (lead.first_name, lead.email, lead.owner_id) == (
            "Annie",
            "mine2@acme.test",
            alice.id,
        )


def test_manager_reassigns_lead(app, client, make_user, login):
    alice, bob = make_user("rep"), make_user("rep")
    lead_id = _lead(app, alice, "move@acme.test")
    login(make_user("manager"))
    client.post(f"/leads/{lead_id}/edit", data={"owner_id": bob.id})
    with app.app_context():
        assert db.session.get(Lead, lead_id).owner_id == bob.id


def test_leads_page_links_selection_and_filter_to_rendering(app, client, make_user, login):
    rep = make_user("rep")
    lead_id = _lead(app, rep, "sel@acme.test")
    login(rep)
    html = client.get("/?q=acme").get_data(as_text=True)
    assert f'name="lead_ids" value="{lead_id}"' in html
    # the bulk form renders through /leads/bulk (services.videos.pipeline), filters kept
    assert 'action="/leads/bulk"' in html and 'name="action" value="render"' in html
    assert '<input type="hidden" name="q" value="acme">' in html
    detail = client.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert 'data-testid="lead-video"' in detail and "No video yet" in detail
    form = client.get(f"/videos/render?lead_ids={lead_id}").get_data(as_text=True)
    assert f'value="{lead_id}"' in form and "1 lead(s) selected" in form
