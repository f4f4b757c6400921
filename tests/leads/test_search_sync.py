"""The search indexes follow the import's bulk writer and later edits, with no per-row Python:
SQLite's FTS5 tables through triggers, PostgreSQL's trigram indexes by themselves."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from leadreel.cli import main
from leadreel.extensions import db
from leadreel.models import Company, Lead, User
from leadreel.services.leads import query as lq
from leadreel.services.leads.selection import Selection
from leadreel.services.setup import create_user

DATA = Path(__file__).parent.parent / "data"


def _found(user: User, q: str) -> set[int]:
    key = lq.sort_key("created")
    return set(lq.keyset_page(db.session, user, Selection(q=q), key, desc=True, size=200).ids)


def test_imported_leads_are_searchable_and_edits_follow(db_app, db_url, tmp_path):
    sample = tmp_path / "contacts.csv"
    shutil.copy(DATA / "hubspot_contacts.csv", sample)
    env = {"LEADREEL_DATA_DIR": str(tmp_path / "data"), "LEADREEL_DATABASE_URL": db_url,
           "LEADREEL_SECRET_KEY": "test-secret"}
    result = CliRunner().invoke(main, ["import", str(sample), "--json"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with db_app.app_context():
        admin = create_user(db.session, "root@example.com", "correct horse battery", "admin")
        db.session.commit()
        leads = db.session.scalars(select(Lead).where(Lead.email.is_not(None))).all()
        assert len(leads) > 3
        lead = leads[0]
        assert lead.id in _found(admin, lead.email.upper())
        company = db.session.scalars(select(Company).where(Company.name != "")).first()
        assert company is not None
        at_company = set(db.session.scalars(select(Lead.id).where(Lead.company_id == company.id)))
        assert at_company and at_company <= _found(admin, company.name)
        # an edit replaces the old text in the index
        old = lead.email
        lead.email = "renamed.person@newplace.test"
        company.name = "Zyxwv Renamed Holdings"
        db.session.commit()
        assert lead.id in _found(admin, "renamed.person@")
        assert lead.id not in _found(admin, old)
        assert at_company <= _found(admin, "zyxwv renamed")
        db.session.delete(lead)
        db.session.commit()
        assert not _found(admin, "renamed.person@")


def test_leads_from_orm_flushes_and_bulk_inserts_are_searchable(app):
    """New rows are indexed by the app, not by insert triggers: both ORM paths are covered."""
    from sqlalchemy import insert

    from leadreel.services.leads.search import search

    with app.app_context():
        db.session.add(Lead(first_name="Flushed", email="flushed@one.test"))
        db.session.execute(insert(Lead), [{"first_name": "Bulky", "email": "bulky@two.test"}])
        db.session.commit()
        found = {
            q: db.session.scalars(select(Lead.first_name).where(search(q))).all()
            for q in ("flushed", "bulky", "two.test")
        }
    assert found == {"flushed": ["Flushed"], "bulky": ["Bulky"], "two.test": ["Bulky"]}
