"""The schema's invariants hold on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadreel import migrate
from leadreel.db import make_engine
from leadreel.models import Company, FieldDefinition, Lead, ProcessingTask, User
from leadreel.services.setup import create_user, seed_core_fields

CORE_KEYS = {
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "mobile_phone",
    "job_title",
    "linkedin_url",
    "city",
    "state",
    "country",
    "notes",
    "company_name",
    "website",
    "company_domain",
    "company_phone",
    "industry",
    "employee_count",
    "annual_revenue",
    "company_linkedin_url",
    "facebook_url",
    "instagram_url",
    "twitter_url",
    "ads_url",
    "company_address",
    "company_city",
    "company_state",
    "company_postal_code",
    "company_country",
    "company_description",
}


@pytest.fixture
def session(db_url):
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine) as s:
        yield s
    engine.dispose()


def test_core_fields_seeded_once(session):
    assert seed_core_fields(session) == len(CORE_KEYS)
    session.commit()
    assert seed_core_fields(session) == 0
    keys = {f.key: f for f in session.scalars(select(FieldDefinition))}
    assert set(keys) == CORE_KEYS
    assert keys["company_domain"].entity == "company" and keys["email"].entity == "lead"


def test_lead_company_json_roundtrip(session):
    user = create_user(session, "Owner@Example.com", "password123", "rep")
    company = Company(name="Acme GmbH", name_key="acme", domain="acme.de", extra={"Branche": "Bau"})
    lead = Lead(
        first_name="Jörg",
        last_name="Müller",
        email="j@acme.de",
        company=company,
        owner_id=user.id,
        extra={"Quelle": "Messe", "Zahl": "007"},
        inferred=["phone"],
    )
    session.add(lead)
    session.commit()
    session.expire_all()
    got = session.scalar(select(Lead).where(Lead.email == "j@acme.de"))
    assert got.company.name == "Acme GmbH" and got.extra == {"Quelle": "Messe", "Zahl": "007"}
    assert got.inferred == ["phone"] and user.email == "owner@example.com"


def test_role_check_constraint(session):
    session.add(User(email="x@example.com", password_hash="x", role="superuser"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_one_active_task_per_subject(session):
    session.add(ProcessingTask(type="render_video", dedupe_key="lead:1"))
    session.commit()
    session.add(ProcessingTask(type="render_video", dedupe_key="lead:1"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    done = session.scalar(select(ProcessingTask))
    done.status = "succeeded"
    session.commit()
    session.add(ProcessingTask(type="render_video", dedupe_key="lead:1"))
    session.commit()  # a finished task does not block a new one


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
