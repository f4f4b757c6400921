"""The comparators of bench/import.py: the naive per-row ORM import and the raw floor.

Kept apart so each file stays small; `bench/import.py` runs them in child processes.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

# The import's SQLite settings (page cache, temp store) and its rows per transaction,
# given to the raw floor too so that it stays a floor; imported here, outside the timed
# part of a child run.
from leadreel.services.importing.batch import CHUNK_SIZE, SQLITE_TRANSACTION_ROWS
from leadreel.services.importing.writer import SQLITE_IMPORT_PRAGMAS


def app_session(url: str, data_dir: str):  # type: ignore[no-untyped-def]
    from leadreel.app import create_app
    from leadreel.extensions import db

    app = create_app(
        {"database_url": url, "data_dir": data_dir, "secret_key": "bench", "max_upload_mb": 4096}
    )
    return app.config["SETTINGS"], db.new_session()


def run_naive(spec: dict[str, Any]) -> dict[str, Any]:
    """Row by row: normalise, query company by domain then name, lead by email/LinkedIn/name.

    Commits every `commit_every` rows: 1 is the usual save loop (each row its own
    transaction, as a form would save it); the bench also runs 500 ("naive_batched").
    """
    t0 = time.perf_counter()
    from sqlalchemy import select

    from leadreel.models import Company, Lead
    from leadreel.services.dedupe import normalize_company_name
    from leadreel.services.importing.mapping import propose_mapping
    from leadreel.services.importing.normalize import RowNormalizer
    from leadreel.services.importing.parsing import iter_records, read_sample, sniff

    _settings, opened = app_session(spec["url"], spec["data_dir"])
    path = Path(spec["file"])
    fmt = sniff(path)
    proposal = propose_mapping(fmt.headers, [r.values for r in read_sample(path, fmt)])
    normalizer = RowNormalizer(proposal)
    setup = time.perf_counter() - t0
    n = 0
    with opened as session:
        for rec in iter_records(path, fmt):
            if n >= spec["limit"]:
                break
            n += 1
            row = normalizer.normalize(rec.values)
            c, lead_in = row.company, row.lead
            comp = None
            if c.get("company_domain"):
                comp = session.scalar(
                    select(Company).where(Company.domain == c["company_domain"]).limit(1)
                )
            key = normalize_company_name(c.get("company_name"))
            if comp is None and key:
                comp = session.scalar(select(Company).where(Company.name_key == key).limit(1))
            if comp is None:
                comp = Company(
                    name=c.get("company_name", ""),
                    name_key=key or "",
                    domain=c.get("company_domain"),
                    website=c.get("website"),
                )
                session.add(comp)
            lead = None
            if lead_in.get("email"):
                lead = session.scalar(select(Lead).where(Lead.email == lead_in["email"]).limit(1))
            if lead is None and lead_in.get("linkedin_url"):
                lead = session.scalar(
                    select(Lead).where(Lead.linkedin_url == lead_in["linkedin_url"]).limit(1)
                )
            if lead is None and lead_in.get("last_name"):
                lead = session.scalar(
                    select(Lead)
                    .where(
                        Lead.first_name == lead_in.get("first_name"),
                        Lead.last_name == lead_in["last_name"],
                        Lead.company_id == comp.id,
                    )
                    .limit(1)
                )
            if lead is None:
                session.add(Lead(**{k: v for k, v in lead_in.items()}, company=comp))
            else:
                for k, v in lead_in.items():
                    if not getattr(lead, k):
                        setattr(lead, k, v)
            if n % spec.get("commit_every", 1) == 0:
                session.commit()
        session.commit()
    return {"setup_seconds": setup, "rows": n}


def run_raw(spec: dict[str, Any]) -> dict[str, Any]:
    """The floor: raw cells straight in, company dedupe in a dict, nothing else."""
    url, path = spec["url"], Path(spec["file"])
    if url.startswith("sqlite"):
        import sqlite3

        conn: Any = sqlite3.connect(url.split("///", 1)[1])
        # The app's connection settings (db.make_engine) plus the import's own.
        for name, value in {"synchronous": "NORMAL", **SQLITE_IMPORT_PRAGMAS}.items():
            conn.execute(f"PRAGMA {name}={value}")
        ph = "?"
        per_commit = SQLITE_TRANSACTION_ROWS
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
        ph = "%s"
        per_commit = CHUNK_SIZE
    cur = conn.cursor()
    now = "2026-01-01 00:00:00"
    companies: dict[str, int] = {}
    rows = 0
    batch: list[tuple[Any, ...]] = []
    lead_sql = (
        f"INSERT INTO leads (first_name, last_name, job_title, email, phone, mobile_phone, "
        f"linkedin_url, city, state, country, company_id, extra, inferred, status, "
        f"created_at, updated_at) VALUES ({', '.join([ph] * 16)})"
    )
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for r in reader:
            rows += 1
            cid = companies.get(r[3])
            if cid is None:
                cur.execute(
                    f"INSERT INTO companies (name, name_key, website, extra, inferred, "
                    f"screenshots, created_at, updated_at) VALUES ({', '.join([ph] * 8)}) "
                    f"RETURNING id",
                    (r[3], r[3].lower(), r[7], "{}", "[]", "{}", now, now),
                )
                cid = companies[r[3]] = cur.fetchone()[0]
            batch.append(
                (
                    r[0],
                    r[1],
                    r[2],
                    r[4],
                    r[5],
                    r[6],
                    r[8],
                    r[9],
                    r[10],
                    r[11],
                    cid,
                    "{}",
                    "[]",
                    "new",
                    now,
                    now,
                )
            )
            if len(batch) >= 5000:
                cur.executemany(lead_sql, batch)
                batch.clear()
            if rows % per_commit == 0:  # one transaction per chunk, as ours commits
                conn.commit()
    if batch:
        cur.executemany(lead_sql, batch)
    conn.commit()
    conn.close()
    return {"rows": rows}
