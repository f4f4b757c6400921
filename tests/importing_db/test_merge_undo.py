"""Matching in the file and against the database, the merge policy, undo, business rows."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadreel.models import Company, ImportChange, Lead
from leadreel.services.importing.importer import import_file
from leadreel.services.importing.undo import UndoError, undo_batch
from leadreel.services.setup import create_user

HEAD = "First Name,Last Name,Email,Company,Website,Phone,Title,LinkedIn\n"


def snapshot(session: Session) -> dict[str, Any]:
    session.expire_all()
    leads = {
        lead.id: {
            c.name: getattr(lead, c.name)
            for c in Lead.__table__.columns
            if c.name not in ("updated_at",)
        }
        for lead in session.scalars(select(Lead))
    }
    companies = {
        c.id: {
            col.name: getattr(c, col.name)
            for col in Company.__table__.columns
            if col.name not in ("updated_at",)
        }
        for c in session.scalars(select(Company))
    }
    return {"leads": leads, "companies": companies}


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def queued_batch(session, settings, path):
    """A confirmed, not yet run batch of `path` with its proposed mapping."""
    from leadreel.services.importing import importer

    fmt, _s, proposal = importer.propose_for_file(session, settings, path)
    batch = importer.new_batch(
        session,
        name="r",
        path=path,
        filename=path.name,
        fmt=fmt,
        columns=proposal.columns,
        owner=None,
        status="queued",
    )
    session.commit()
    return batch


def die_on_chunk(monkeypatch, n: int) -> None:
    """Make the n-th `write_chunk` call of the next import raise, like a dying worker."""
    from leadreel.services.importing import batch as batch_module

    original, calls = batch_module.write_chunk, []

    def flaky(conn, run, chunk, now):
        calls.append(1)
        if len(calls) == n:
            monkeypatch.setattr(batch_module, "write_chunk", original)
            raise RuntimeError("worker died")
        original(conn, run, chunk, now)

    monkeypatch.setattr(batch_module, "write_chunk", flaky)


def test_in_file_duplicates_merge(session, settings, write_csv) -> None:
    path = write_csv(
        HEAD
        + (
            "Jane,Doe,Jane@Acme.com ,Acme Inc,acme.com,,,\n"
            "Jane,Doe,jane@acme.com,ACME,https://www.acme.com/x,+1 512 555 0100,CEO,\n"
            "J.,Doe,,Acme,acme.com,,,https://linkedin.com/in/janedoe\n"
            "Bob,Stone,,Acme,,,,https://www.linkedin.com/in/JaneDoe/\n"
        )
    )
    _batch, counts = import_file(session, settings, path)
    # rows 1+2 share the email; rows 3+4 share the LinkedIn profile (a different person key).
    assert counts["leads_created"] == 2 and counts["duplicates_merged"] == 2
    assert counts["companies_total"] == 1 and count(session, Company) == 1
    jane = session.scalar(select(Lead).where(Lead.email == "jane@acme.com"))
    assert (jane.phone, jane.job_title) == ("+15125550100", "CEO")  # filled from the 2nd row


def test_against_db_match_and_merge_policy(session, settings, write_csv) -> None:
    first = write_csv(HEAD + "Jane,Doe,jane@acme.com,Acme,acme.com,,Founder,\n", "a.csv")
    import_file(session, settings, first)
    before = snapshot(session)
    second = write_csv(
        HEAD
        + (
            "Janet,,jane@acme.com,Acme,acme.com,+1 512 555 0100,CEO,\n"  # title differs, phone new
            "Max,Roe,max@acme.com,Acme,,,,\n"
        ),
        "b.csv",
    )
    batch, counts = import_file(session, settings, second)
    assert counts["leads_created"] == 1 and counts["leads_matched"] == 1
    assert counts["leads_updated"] == 1 and counts["companies_matched"] == 1
    assert counts["companies_created"] == 0 and count(session, Company) == 1
    jane = session.scalar(select(Lead).where(Lead.email == "jane@acme.com"))
    assert jane.first_name == "Jane" and jane.last_name == "Doe"  # never overwritten/blanked
    assert jane.job_title == "Founder"
    assert jane.phone == "+15125550100"  # empty field filled
    change = session.scalar(
        select(ImportChange).where(ImportChange.batch_id == batch.id, ImportChange.entity == "lead")
    )
    assert change.entity_id == jane.id and change.action == "updated"
    assert change.previous == {"phone": None}
    undo_batch(session, batch, None)
    assert snapshot(session) == before
    assert batch.status == "undone"
    with pytest.raises(UndoError):
        undo_batch(session, batch, None)


def test_undo_restores_exactly_and_keeps_shared_companies(session, settings, write_csv) -> None:
    base = write_csv(HEAD + "Ann,Lee,ann@beta.io,Beta,,,,\n", "base.csv")
    import_file(session, settings, base)
    before = snapshot(session)
    path = write_csv(
        HEAD
        + (
            "Ann,Lee,ann@beta.io,Beta,beta.io,+1 512 555 0101,CTO,https://linkedin.com/in/annlee\n"
            "Cal,Ng,cal@gamma.com,Gamma,gamma.com,,,\n"
        ),
        "c.csv",
    )
    batch, counts = import_file(session, settings, path)
    assert counts["companies_updated"] == 1  # Beta got its domain
    later = write_csv(HEAD + "Dee,Fox,dee@gamma.com,Gamma,gamma.com,,,\n", "d.csv")
    import_file(session, settings, later)  # another batch's lead now uses Gamma
    result = undo_batch(session, batch, None)
    assert result["companies_kept"] == 1 and result["leads_deleted"] == 1
    after = snapshot(session)
    for lid, row in before["leads"].items():
        assert after["leads"][lid] == row
    for cid, row in before["companies"].items():
        assert after["companies"][cid] == row
    assert session.scalar(select(Company.name).where(Company.domain == "gamma.com")) == "Gamma"


def test_business_only_rows_become_contactable_leads(session, settings, write_csv) -> None:
    path = write_csv(
        "Business Name,Website,Email,Phone,Address,Rating\n"
        "Sunny Dental,https://sunnydental.example.com,info@sunnydental.example.com,"
        "(512) 555-0199,1 Main St,4.8\n"
        "Sunny Dental,sunnydental.example.com,,(512) 555-0199,1 Main St,4.8\n"
        "Oak Bakery,oakbakery.example.net,,,2 Elm St,4.1\n"
    )
    _batch, counts = import_file(session, settings, path)
    assert counts["rows_rejected"] == 0
    assert counts["leads_created"] == 2 and counts["duplicates_merged"] == 1
    lead = session.scalar(select(Lead).join(Company).where(Company.name == "Sunny Dental"))
    assert lead.email == "info@sunnydental.example.com" and lead.phone == "+15125550199"
    assert not lead.first_name and not lead.last_name
    assert lead.extra["Rating"] == "4.8"


def test_rep_never_updates_another_reps_lead(session, settings, write_csv) -> None:
    rep_a = create_user(session, "a@example.com", "correct horse battery", "rep")
    rep_b = create_user(session, "b@example.com", "correct horse battery", "rep")
    session.commit()
    import_file(
        session, settings, write_csv(HEAD + "Ann,Lee,ann@beta.io,Beta,,,,\n", "1.csv"), owner=rep_a
    )
    _b, counts = import_file(
        session,
        settings,
        write_csv(HEAD + "Ann,Lee,ann@beta.io,Beta,,+1 512 555 0101,,\n", "2.csv"),
        owner=rep_b,
    )
    assert counts["leads_created"] == 1 and counts["leads_updated"] == 0
    leads = session.scalars(select(Lead).order_by(Lead.id)).all()
    assert [lead.owner_id for lead in leads] == [rep_a.id, rep_b.id]
    assert leads[0].phone is None  # rep A's lead untouched
    assert counts["companies_matched"] == 1  # companies are shared


def test_rejected_rows_report_line_numbers(session, settings, write_csv) -> None:
    good = "".join(f"P{i},Q{i},p{i}@beta.io,Beta,,,,\n" for i in range(6))
    path = write_csv(
        HEAD
        + good
        + (
            ",,,,,,,\n"  # empty: skipped, not rejected
            "Bad,Row,bad@x.io,X,,,,,,,extra\n"  # too many cells (line 9)
            ",,,,,,Boss,\n"  # nothing to contact (line 10)
            "=HYPERLINK(1),Evil,evil@x.io,X,,,,,,,1\n"  # line 11, neutralised in the report
        )
    )
    batch, counts = import_file(session, settings, path)
    assert counts["rows_read"] == 9 and counts["rows_rejected"] == 3
    assert counts["leads_created"] == 6
    with open(batch.error_report_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["line", "reason", "First Name"]
    assert [r[0] for r in rows[1:]] == ["9", "10", "11"]
    assert "cells" in rows[1][1] and "no name, email" in rows[2][1]
    assert rows[3][2] == "'=HYPERLINK(1)"


def test_resumed_run_does_not_duplicate(session, settings, write_csv) -> None:
    from leadreel.services.importing import importer

    rows = "".join(f"P{i},Q{i},p{i}@acme{i % 7}.com,Acme{i % 7},,,,\n" for i in range(30))
    batch = queued_batch(session, settings, write_csv(HEAD + rows))

    def crash(fraction: float) -> None:
        if fraction > 0.3:
            raise RuntimeError("worker died")

    with pytest.raises(RuntimeError):
        importer.run_batch(
            session, settings, batch, chunk_size=10, transaction_rows=10, progress=crash
        )
    assert batch.status == "running" and batch.counts["last_line"] == 11
    assert count(session, Lead) == 10
    counts = importer.run_batch(session, settings, batch, chunk_size=10, transaction_rows=10)
    assert count(session, Lead) == 30 and counts["leads_created"] == 30
    assert counts["rows_read"] == 30 and counts["companies_total"] == 7


def test_crash_inside_a_transaction_of_several_chunks_loses_only_uncommitted_rows(
    session, settings, write_csv, monkeypatch
) -> None:
    """Two chunks per transaction: a crash in the second transaction keeps the first."""
    from leadreel.services.importing import importer

    rows = "".join(f"P{i},Q{i},p{i}@acme{i % 7}.com,Acme{i % 7},,,,\n" for i in range(50))
    batch = queued_batch(session, settings, write_csv(HEAD + rows))
    die_on_chunk(monkeypatch, 3)
    with pytest.raises(RuntimeError):
        importer.run_batch(session, settings, batch, chunk_size=10, transaction_rows=20)
    session.rollback()
    assert batch.counts["last_line"] == 21 and count(session, Lead) == 20
    counts = importer.run_batch(session, settings, batch, chunk_size=10, transaction_rows=20)
    assert count(session, Lead) == 50 and counts["leads_created"] == 50
    assert counts["rows_read"] == 50


def test_process_pool_gives_the_same_result(session, settings, write_csv, db_url) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the pool is database-independent; once is enough")
    rows = "".join(
        f"P{i},Q{i % 40},p{i % 150}@acme{i % 150 % 9}.com,Acme{i % 9},,,,\n" for i in range(400)
    )
    path = write_csv(HEAD + rows)
    _b, counts = import_file(session, settings, path, workers=2, chunk_size=50)
    assert counts["leads_created"] == 150 and counts["duplicates_merged"] == 250
    assert counts["companies_total"] == 9 and count(session, Lead) == 150


def test_lead_ids_follow_the_file_on_postgresql_and_email_order_on_sqlite(
    session, settings, write_csv, db_url
) -> None:
    """SQLite writes a chunk in email order (index locality: see writer.insert_leads)."""
    emails = [f"{chr(ord('z') - i)}{i}@acme.com" for i in range(26)]  # z0, y1, x2 ...
    rows = "".join(f"P{i},Q{i},{e},Acme,,,,\n" for i, e in enumerate(emails))
    import_file(session, settings, write_csv(HEAD + rows))
    stored = list(session.scalars(select(Lead.email).order_by(Lead.id)))
    assert stored == (sorted(emails) if db_url.startswith("sqlite") else emails)


def test_ids_of_a_second_import_follow_the_first(session, settings, write_csv) -> None:
    import_file(session, settings, write_csv(HEAD + "A,B,b@x.io,Beta,,,,\nC,D,a@x.io,Alpha,,,,\n"))
    import_file(session, settings, write_csv(HEAD + "E,F,c@y.io,Gamma,,,,\n"))
    ids = list(session.scalars(select(Lead.id).order_by(Lead.id)))
    assert len(ids) == 3 and ids == sorted(set(ids))
    by_email = {lead.email: lead.id for lead in session.scalars(select(Lead))}
    assert max(by_email["a@x.io"], by_email["b@x.io"]) < by_email["c@y.io"]


def test_counts_stay_exact_when_a_crashed_import_resumes(
    session, settings, write_csv, monkeypatch
) -> None:
    """A lead and a company matched before the crash and again after it count once."""
    from leadreel.services.importing import importer

    import_file(session, settings, write_csv(HEAD + "Old,Timer,old@acme.com,Acme,acme.com,,,\n"))
    rows = ["Old,Timer,old@acme.com,Acme,acme.com,+15125550100,,\n"]  # matches, fills phone
    rows += [f"P{i},Q{i},p{i}@beta{i}.io,Beta{i},,,,\n" for i in range(19)]
    rows += ["Old,Timer,OLD@acme.com,Acme,acme.com,,CEO,\n"]  # the same lead, line 22
    rows += [f"R{i},S{i},r{i}@gamma{i}.io,Gamma{i},,,,\n" for i in range(8)]
    batch = queued_batch(session, settings, write_csv(HEAD + "".join(rows), name="again.csv"))
    die_on_chunk(monkeypatch, 3)
    with pytest.raises(RuntimeError):
        importer.run_batch(session, settings, batch, chunk_size=10, transaction_rows=10)
    session.rollback()
    assert batch.counts["last_line"] == 21  # lines 2-21 committed; line 22 comes after
    counts = importer.run_batch(session, settings, batch, chunk_size=10, transaction_rows=10)
    assert counts["leads_matched"] == 1 and counts["leads_updated"] == 1
    assert counts["companies_matched"] == 1
    assert counts["leads_created"] == 27 and counts["leads_total"] == 28
    lead = session.scalar(select(Lead).where(Lead.email == "old@acme.com"))
    assert (lead.phone, lead.job_title) == ("+15125550100", "CEO")


def test_two_imports_at_once_create_each_company_once(db_app, settings, write_csv) -> None:
    """Imports running in parallel (two workers) must not both create the same company."""
    import threading

    from leadreel.extensions import db

    def file(tag: str) -> str:
        rows = "".join(
            f"{tag}{i},L{i},{tag.lower()}{i}@c{i % 40}-shop.com,Company {i % 40},"
            f"c{i % 40}-shop.com,,,\n"
            for i in range(400)
        )
        return write_csv(HEAD + rows, name=f"{tag}.csv")

    paths = [file("A"), file("B")]
    errors: list[BaseException] = []

    def run(path) -> None:
        try:
            with db.new_session() as s:
                import_file(s, settings, path, chunk_size=20, transaction_rows=20, workers=0)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with db.new_session() as s:
        domains = list(s.scalars(select(Company.domain)))
        assert len(domains) == len(set(domains)) == 40
        assert count(s, Lead) == 800
