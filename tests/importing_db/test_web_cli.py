"""The web flow end to end (handler run directly), permissions by URL, export and limits."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import select

from leadreel.db import make_engine
from leadreel.fields import CORE_FIELDS
from leadreel.models import ImportBatch, Lead, ProcessingTask, SavedMapping
from leadreel.services.importing.tasks import import_csv
from tests.importing_db.conftest import DATA, FakeContext

CSV = (
    "Vorname,Nachname,E-Mail,Firma,Webseite,Lieblingsfarbe\n"
    "Anna,Schmidt,anna@kraft.example.de,Kraft GmbH,kraft.example.de,blau\n"
    "Ben,Meyer,ben@kraft.example.de,Kraft,www.kraft.example.de,rot\n"
    "Ben,Meyer,BEN@kraft.example.de,Kraft,,rot\n"
    "=cmd,Evil,@sum(1),Evil Corp,evil.example.com,\n"
)


def upload(client, text: str = CSV, name: str = "leads.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        "/imports/upload",
        data={"file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def run_task(app, batch_id: int) -> FakeContext:  # type: ignore[no-untyped-def]
    settings = app.config["SETTINGS"]
    engine = make_engine(settings.resolved_database_url())
    ctx = FakeContext(payload={"batch_id": batch_id}, engine=engine, settings=settings)
    try:
        import_csv(ctx)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    return ctx


def test_upload_preview_confirm_run_report(db_app, db_user, session) -> None:
    client = db_app.test_client()
    rep = db_user("rep")
    client.post("/login", data={"email": rep.email, "password": "correct horse battery"})
    response = upload(client)
    assert response.status_code == 302 and "/preview" in response.location
    batch_id = int(response.location.split("/")[-2])
    page = client.get(response.location).get_data(as_text=True)
    assert page.count('data-testid="field-select"') == 6
    assert '<option value="first_name" selected>' in page and "anna@kraft.example.de" in page
    assert "95%" in page  # confidence shown
    form = {
        f"field_{i}": f
        for i, f in enumerate(["first_name", "last_name", "email", "company_name", "website", ""])
    }
    response = client.post(f"/imports/{batch_id}/confirm", data={**form, "save_mapping": "1"})
    assert response.status_code == 302
    task = session.scalar(select(ProcessingTask).where(ProcessingTask.batch_id == batch_id))
    assert task.type == "import_csv" and task.payload == {"batch_id": batch_id}
    assert session.scalar(select(SavedMapping)) is not None
    ctx = run_task(db_app, batch_id)
    assert ctx.progress and ctx.progress[-1] == 1.0
    status = client.get(f"/imports/{batch_id}/api/status").get_json()
    assert status["status"] == "done" and status["progress"] == 1.0
    assert status["counts"]["leads_created"] == 3 and status["counts"]["duplicates_merged"] == 1
    assert status["counts"]["companies_created"] == 2
    report = client.get(f"/imports/{batch_id}").get_data(as_text=True)
    assert 'data-count="leads_created">3<' in report and "Undo import" in report
    session.rollback()  # end the read snapshot taken before the task ran
    lead = session.scalar(select(Lead).where(Lead.email == "anna@kraft.example.de"))
    assert lead.owner_id == rep.id and lead.batch_id == batch_id
    assert lead.extra == {"Lieblingsfarbe": "blau"}
    # Same header set again: the saved mapping is proposed.
    again = upload(client, CSV.replace("anna", "anne"))
    page = client.get(again.location).get_data(as_text=True)
    assert "saved" in page
    # Undo through the UI.
    assert client.post(f"/imports/{batch_id}/undo").status_code == 302
    session.rollback()
    assert session.get(ImportBatch, batch_id).status == "undone"
    assert session.scalar(select(Lead).where(Lead.batch_id == batch_id)) is None


def test_rejected_rows_download_and_other_rep_sees_404(db_app, db_user, session) -> None:
    owner, other = db_user("rep"), db_user("rep")
    client = db_app.test_client()
    client.post("/login", data={"email": owner.email, "password": "correct horse battery"})
    text = "Name,Email,Company\n" + "".join(f"P{i} Q,p{i}@x.example.com,X\n" for i in range(6))
    text += "Bad,bad@x.example.com,X,oops,more\n"
    batch_id = int(upload(client, text).location.split("/")[-2])
    assert (
        client.post(
            f"/imports/{batch_id}/confirm",
            data={"field_0": "full_name", "field_1": "email", "field_2": "company_name"},
        ).status_code
        == 302
    )
    run_task(db_app, batch_id)
    download = client.get(f"/imports/{batch_id}/rejected.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    download.close()
    assert rows[1][0] == "8" and "cells" in rows[1][1]
    intruder = db_app.test_client()
    r = intruder.post("/login", data={"email": other.email, "password": "correct horse battery"})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    assert other.email in intruder.get("/imports/").get_data(as_text=True)
    for url in (
        f"/imports/{batch_id}",
        f"/imports/{batch_id}/api/status",
        f"/imports/{batch_id}/rejected.csv",
        f"/imports/{batch_id}/preview",
    ):
        assert intruder.get(url).status_code == 404, url
    assert intruder.post(f"/imports/{batch_id}/undo").status_code == 404
    assert "leads.csv" not in intruder.get("/imports/").get_data(as_text=True)


def test_size_and_row_limits_have_clear_messages(make_app, tmp_path) -> None:
    from leadreel.extensions import db
    from leadreel.services.setup import create_user

    app = make_app(max_import_rows=3)
    app.config["WTF_CSRF_ENABLED"] = False
    with db.new_session() as s:
        user = create_user(s, "m@example.com", "correct horse battery", "manager")
        s.commit()
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    text = "Name,Email\n" + "".join(f"P{i} Q,p{i}@x.example.com\n" for i in range(5))
    page = client.post(
        "/imports/upload",
        data={"file": (io.BytesIO(text.encode()), "a.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "the limit is 3" in page.get_data(as_text=True)
    page = client.post(
        "/imports/upload",
        data={"file": (io.BytesIO(b"x"), "a.exe")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "upload a CSV" in page.get_data(as_text=True)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    big = client.post(
        "/imports/upload",
        data={"file": (io.BytesIO(b"a," * 2000), "a.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "MB upload limit" in big.get_data(as_text=True)
    assert list((Path(app.config["SETTINGS"].data_dir) / "uploads").glob("*")) == []


def test_cli_export_core_template(cli, write_csv, tmp_path) -> None:
    path = write_csv(
        "First Name,Last Name,Email,Company,Website,Title\n"
        "Ann,Lee,ann@betaio.example,Beta,https://betaio.example/about,=1+2\n"
        "Cal,Ng,cal@gammaco.example,@Gamma,gammaco.example,-CEO\n"
    )
    cli("import", str(path), "--json")
    out = tmp_path / "export.csv"
    cli("export", "--template", "core", "--out", str(out))
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [f.key for f in CORE_FIELDS]
    assert rows[0]["company_name"] == "Beta" and rows[0]["website"] == "https://betaio.example"
    assert rows[0]["company_domain"] == "betaio.example"
    assert rows[0]["job_title"] == "'=1+2"
    assert rows[1]["company_name"] == "'@Gamma" and rows[1]["job_title"] == "'-CEO"
    assert cli("export", "--template", "nope", "--out", str(out), ok=False).exit_code != 0


def test_demo_file_imports(session, settings) -> None:
    from leadreel.services.demo import DEMO_CSV
    from leadreel.services.importing.importer import import_demo_file

    counts = import_demo_file(session, settings, DEMO_CSV)
    session.commit()
    assert counts["rows_rejected"] == 0 and counts["leads_created"] >= 35
    business = session.scalars(select(Lead).where(Lead.first_name.is_(None))).all()
    assert business and all(lead.company_id and (lead.email or lead.phone) for lead in business)
    assert DATA.exists()
