"""start_export: small exports at once, large ones in a real worker task with progress;
reps get only their own leads; every export is recorded; files expire."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from leadreel.errors import PermissionDenied, ValidationError
from leadreel.models import Export, ImportBatch, ProcessingTask, utcnow
from leadreel.services.exports.runner import (
    ExportOptions,
    downloadable,
    get_export,
    purge_expired,
    visible_exports,
)
from leadreel.services.exports.start import start_export
from leadreel.services.exports.templates import CORE, EMAIL_OUTREACH, find_template
from leadreel.services.leads.selection import Selection
from tests.exports.conftest import drain

ALL = Selection(everything=True)


def emails(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [row["email"] for row in csv.DictReader(fh)]


def test_small_export_is_written_at_once_and_recorded(session, settings, users, add_lead) -> None:
    rep = users["rep"]
    for i in range(3):
        add_lead(rep, None, email=f"r{i}@x.example")
    export = start_export(session, settings, rep, find_template(session, CORE), ALL)
    assert export.status == "done" and export.row_count == 3 and export.total == 3
    assert export.created_by_id == rep.id and export.template_name == "core"
    assert export.filter_text == "all leads" and export.expires_at is not None
    path = downloadable(export)
    assert path is not None and emails(path) == ["r0@x.example", "r1@x.example", "r2@x.example"]
    assert [e.id for e in visible_exports(session, rep)] == [export.id]


def test_a_reps_export_has_none_of_another_reps_leads(session, settings, users, add_lead) -> None:
    rep, other = users["rep"], users["rep2"]
    add_lead(rep, None, email="mine@x.example")
    theirs = add_lead(other, None, email="theirs@x.example")
    add_lead(None, None, email="nobody@x.example")
    core = find_template(session, CORE)
    export = start_export(session, settings, rep, core, ALL)
    assert emails(Path(export.file_path)) == ["mine@x.example"]
    with pytest.raises(PermissionDenied):
        start_export(session, settings, rep, core, Selection(lead_ids=[theirs.id]))
    session.rollback()
    manager_export = start_export(session, settings, users["manager"], core, ALL)
    assert len(emails(Path(manager_export.file_path))) == 3
    # the history: a rep sees only their own exports; a manager sees all
    assert [e.id for e in visible_exports(session, rep)] == [export.id]
    assert {e.id for e in visible_exports(session, users["manager"])} == {
        export.id,
        manager_export.id,
    }
    with pytest.raises(Exception, match="no export"):
        get_export(session, other, export.id)


def test_batch_and_search_filters(session, settings, users, add_lead) -> None:
    admin = users["admin"]
    batch = ImportBatch(name="Fair", filename="f.csv", stored_path="", owner_id=admin.id)
    session.add(batch)
    session.commit()
    add_lead(admin, {"name": "Acme"}, email="a@acme.example", batch_id=batch.id)
    add_lead(admin, {"name": "Beta"}, email="b@beta.example", batch_id=batch.id)
    add_lead(admin, {"name": "Acme"}, email="c@acme.example")
    export = start_export(
        session,
        settings,
        admin,
        find_template(session, CORE),
        Selection(batch_id=batch.id, q="acme"),
    )
    assert emails(Path(export.file_path)) == ["a@acme.example"]
    assert export.filter_text == "batch Fair, search 'acme'"
    assert export.selection["batch_id"] == batch.id


def test_empty_selection_is_refused(session, settings, users) -> None:
    with pytest.raises(ValidationError, match="select leads"):
        start_export(session, settings, users["admin"], find_template(session, CORE), Selection())


def test_large_export_runs_in_a_worker_with_progress(
    db_app, session, settings, users, add_lead
) -> None:
    rep = users["rep"]
    for i in range(30):
        add_lead(rep, {"name": f"Co {i}"}, first_name=f"N{i}", email=f"l{i:02}@x.example")
    add_lead(users["rep2"], None, email="other@x.example")
    settings.export_background_rows = 10  # the app and the worker share this Settings object
    export = start_export(
        session, settings, rep, find_template(session, EMAIL_OUTREACH), ALL, ExportOptions("xlsx")
    )
    assert export.status == "queued" and export.total == 30 and export.task_id is not None
    drain(db_app)
    session.expire_all()
    done = session.get(Export, export.id)
    task = session.get(ProcessingTask, export.task_id)
    assert done.status == "done" and done.row_count == 30, (
        task.status,
        [e["error"][:300] for e in task.errors],
    )
    assert task.status == "succeeded" and task.progress == 1.0
    from openpyxl import load_workbook

    sheet = load_workbook(done.file_path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("First name", "Last name", "Email") and len(rows) == 31
    assert "other@x.example" not in {r[2] for r in rows}


def test_expired_files_are_purged_but_the_record_stays(session, settings, users, add_lead) -> None:
    add_lead(users["admin"], None, email="a@x.example")
    export = start_export(session, settings, users["admin"], find_template(session, CORE), ALL)
    path = Path(export.file_path)
    assert purge_expired(session) == 0 and path.exists()
    later = utcnow() + timedelta(days=settings.export_retention_days, seconds=1)
    assert downloadable(export, later) is None
    assert purge_expired(session, later) == 1
    assert not path.exists()
    kept = session.scalar(select(Export).where(Export.id == export.id))
    assert kept.status == "expired" and kept.row_count == 1 and downloadable(kept) is None


def test_export_selection_by_template_name(session, settings, users, add_lead) -> None:
    from leadreel.errors import NotFound
    from leadreel.services.exports.start import export_selection

    add_lead(users["rep"], None, email="a@x.example")
    export = export_selection(session, settings, users["rep"], "Email outreach", ALL, format="xlsx")
    assert export.status == "done" and export.format == "xlsx" and export.row_count == 1
    with pytest.raises(NotFound, match="known: core, Standard, Email outreach"):
        export_selection(session, settings, users["rep"], "nope", ALL)
