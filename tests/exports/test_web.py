"""The export pages: run from a form (the file at once), the overview's ticked leads, the
history and downloads by owner, the editor's save and preview, fields, roles."""

from __future__ import annotations

import csv
import io

import pytest

from leadreel.models import Export, ExportTemplate, FieldDefinition
from tests.exports.conftest import PASSWORD


def login(app, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def rows_of(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_small_export_downloads_at_once_and_is_listed(db_app, users, add_lead, add_video) -> None:
    rep = users["rep"]
    lead = add_lead(rep, {"name": "Acme"}, first_name="Ann", email="ann@acme.example")
    add_video(lead)
    add_lead(users["rep2"], None, email="other@x.example")
    client = login(db_app, rep)
    response = client.post(
        "/exports/run", data={"scope": "all", "template": "Email outreach", "format": "csv"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert (
        response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    )
    rows = rows_of(response)
    assert [r["Email"] for r in rows] == ["ann@acme.example"]
    assert rows[0]["Video link"] == f"https://send.example/v/tok{lead.id}x0"
    page = client.get("/exports/").get_data(as_text=True)
    assert (
        'data-testid="exports-table"' in page
        and "Email outreach" in page
        and "rep@example.com" in page
    )
    export_id = int(page.split('data-export-id="')[1].split('"')[0])
    assert client.get(f"/exports/{export_id}/download").status_code == 200
    other = login(db_app, users["rep2"])
    assert other.get(f"/exports/{export_id}/download").status_code == 404
    assert login(db_app, users["manager"]).get(f"/exports/{export_id}/download").status_code == 200


def test_export_from_the_overviews_ticked_leads(db_app, users, add_lead) -> None:
    admin = users["admin"]
    a = add_lead(admin, None, email="a@x.example")
    add_lead(admin, None, email="b@x.example")
    c = add_lead(admin, None, email="c@x.example")
    client = login(db_app, admin)
    page = client.post("/exports/new", data={"lead_ids": [str(a.id), str(c.id)]}).get_data(
        as_text=True
    )
    assert "<strong>2</strong> lead(s) will be exported" in page
    assert f'name="ids" value="{a.id},{c.id}"' in page
    response = client.post(
        "/exports/run", data={"ids": f"{a.id},{c.id}", "template": "core", "format": "xlsx"}
    )
    assert response.mimetype.endswith("spreadsheetml.sheet")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [r[3] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        "a@x.example",
        "c@x.example",
    ]


def test_a_rep_cannot_name_another_reps_leads(db_app, users, add_lead) -> None:
    theirs = add_lead(users["rep2"], None, email="t@x.example")
    client = login(db_app, users["rep"])
    response = client.post("/exports/run", data={"ids": str(theirs.id), "template": "core"})
    assert response.status_code == 403


def test_large_export_is_queued(db_app, session, settings, users, add_lead) -> None:
    settings.export_background_rows = 1
    for i in range(3):
        add_lead(users["admin"], None, email=f"{i}@x.example")
    client = login(db_app, users["admin"])
    response = client.post("/exports/run", data={"scope": "all", "template": "core"})
    assert response.status_code == 302 and response.location.endswith("/exports/")
    export = session.query(Export).one()
    assert export.status == "queued" and export.task_id
    status = client.get(f"/exports/status.json?ids={export.id}").get_json()
    assert (
        status["exports"][0]["status"] == "queued" and status["exports"][0]["download_url"] is None
    )


def test_editor_save_preview_duplicate_delete(db_app, session, users, add_lead) -> None:
    manager = users["manager"]
    add_lead(manager, {"name": "Acme"}, first_name="Ann", email="=ann@x.example")
    client = login(db_app, manager)
    assert client.get("/exports/templates/new").status_code == 200
    assert "Email outreach" in client.get("/exports/templates/builtin/Email outreach").get_data(
        as_text=True
    )
    columns = [
        {"kind": "format", "format": "Hi {first_name|there}", "header": "Hi"},
        {"kind": "field", "field": "email", "header": "Email"},
    ]
    preview = client.post(
        "/exports/preview.json", json={"columns": columns, "selection": {}}
    ).get_json()
    assert preview == {"headers": ["Hi", "Email"], "rows": [["Hi Ann", "'=ann@x.example"]]}
    bad = client.post("/exports/preview.json", json={"columns": [{"field": "nope", "header": "x"}]})
    assert bad.status_code == 400 and "unknown field" in bad.get_json()["message"]
    saved = client.post(
        "/exports/templates/save", json={"name": "Mine", "columns": columns}
    ).get_json()
    assert session.get(ExportTemplate, saved["id"]).columns[0]["format"] == "Hi {first_name|there}"
    clash = client.post("/exports/templates/save", json={"name": "core", "columns": columns})
    assert clash.status_code == 400 and "built-in" in clash.get_json()["message"]
    copy = client.post("/exports/templates/duplicate", data={"name": "Email outreach"})
    assert copy.status_code == 302
    session.rollback()  # a new snapshot
    names = {t.name for t in session.query(ExportTemplate)}
    assert names == {"Mine", "Email outreach (copy)"}
    client.post(f"/exports/templates/{saved['id']}/delete")
    session.rollback()
    assert {t.name for t in session.query(ExportTemplate)} == {"Email outreach (copy)"}


def test_fields_pages_and_delete_confirmation(db_app, session, users, add_lead) -> None:
    client = login(db_app, users["admin"])
    client.post(
        "/exports/fields/new", data={"label": "Lead Source", "type": "text", "entity": "lead"}
    )
    field = session.query(FieldDefinition).filter_by(key="lead_source").one()
    lead = add_lead(users["admin"], None, email="a@x.example")
    lead.custom = {"lead_source": "Fair"}
    session.commit()
    page = client.get("/exports/fields").get_data(as_text=True)
    assert "lead_source" in page and 'data-testid="custom-fields"' in page
    confirm = client.get(f"/exports/fields/{field.id}/delete").get_data(as_text=True)
    assert "1 value(s)" in confirm and 'name="confirm_values" value="1"' in confirm
    stale = client.post(f"/exports/fields/{field.id}/delete", data={"confirm_values": "0"})
    assert "now has 1 value" in stale.get_data(as_text=True)
    client.post(f"/exports/fields/{field.id}/delete", data={"confirm_values": "1"})
    session.rollback()
    assert session.query(FieldDefinition).filter_by(key="lead_source").first() is None


@pytest.mark.parametrize("path", ["/exports/fields", "/exports/templates/new"])
def test_reps_cannot_manage_templates_or_fields(db_app, users, path) -> None:
    client = login(db_app, users["rep"])
    assert client.get(path).status_code == 403
    assert (
        client.post("/exports/templates/save", json={"name": "x", "columns": []}).status_code == 403
    )
    assert client.get("/exports/").status_code == 200
