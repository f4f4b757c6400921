"""Generate N leads fast for bench/overview.py: below the ORM, secondary indexes built after.

Why like this: a million leads through the ORM would take many minutes; executemany (SQLite)
and COPY (PostgreSQL) take seconds. The database is made by the app's own migrations,
then the leads table's secondary indexes and SQLite's search triggers are dropped, the
rows loaded, and every index, the FTS5 tables and the triggers re-created from the
definitions the database itself reported, so the benchmark runs on exactly the schema
the product has.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from leadreel.services.leads.search import COMPANY_TEXT_SQL, LEAD_TEXT_SQL

FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Anna",
    "Omar",
    "Wei",
    "Priya",
    "Lars",
    "Sofia",
    "Kofi",
    "Mina",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "McCarthy",
    "Perlman",
    "Lee",
    "Schmidt",
    "Haddad",
    "Zhang",
    "Patel",
    "Berg",
    "Rossi",
    "Mensah",
    None,
]
WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Vandelay",
    "Hooli",
    "Wonka",
    "Aperture",
    "Oscorp",
    "Gringotts",
    "Monarch",
]
KINDS = ["Widgets", "Energy", "Software", "Logistics", "Foods", "Labs", "Partners", "Media"]
TITLES = ["CEO", "CTO", "Head of Sales", "Marketing Lead", "Founder", "VP Sales", None]
CITIES = ["Berlin", "Austin", "Lisbon", "Zürich", "Nairobi", "Osaka", "Toronto", None]
COUNTRIES = ["DE", "US", "PT", "CH", "KE", "JP", "CA", None]
VIDEO_STATUSES = ["queued", "rendering", "rendered", "ready", "ready", "failed"]
BASE = datetime(2025, 1, 1, tzinfo=UTC)
BATCHES = 20
REPS = 5


def company_name(i: int) -> str:
    return f"{WORDS[i % len(WORDS)]} {KINDS[(i // 16) % len(KINDS)]} {i:06d}"


def _sqlite_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _rows(n: int, companies: int, user_ids: list[int], batch_ids: list[int], rng: random.Random):
    per_batch = max(n // len(batch_ids), 1)
    for i in range(n):
        first, last = FIRST[i % 20], LAST[(i * 7) % 20]
        cid = rng.randrange(companies) + 1 if i % 12 else None
        email = (
            None
            if i % 9 == 0
            else f"{first.lower()}.{(last or 'x').lower()}.{i}@c{cid or 0}.example"
        )
        yield (
            i + 1,
            first,
            last,
            None,
            email,
            "+1 555 0100" if i % 4 == 0 else None,
            TITLES[i % len(TITLES)],
            CITIES[(i // 3) % len(CITIES)],
            COUNTRIES[i % len(COUNTRIES)],
            json.dumps({"Score": f"{(i * 37) % 100:02d}", "Source": "bench"}),
            cid,
            user_ids[i % len(user_ids)],
            batch_ids[min(i // per_batch, len(batch_ids) - 1)],
            BASE + timedelta(seconds=i),
        )


LEAD_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "job_title",
    "city",
    "country",
    "extra",
    "company_id",
    "owner_id",
    "batch_id",
    "created_at",
)


def _indexes(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return list(
                conn.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
                        "AND tbl_name IN ('leads', 'companies', 'videos') AND sql IS NOT NULL"
                    )
                )
            )
        return list(
            conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                    "('leads', 'companies', 'videos') AND indexname NOT LIKE 'pk_%' "
                    "AND indexname NOT LIKE 'uq_%'"
                )
            )
        )


def load(engine: Engine, n: int, seed: int = 13) -> dict[str, Any]:
    """Fill an empty migrated database with ``n`` leads; returns ids the cases use."""
    rng = random.Random(seed)
    companies = max(n // 10, 10)
    started = time.perf_counter()
    defs = _indexes(engine)
    sqlite = engine.dialect.name == "sqlite"
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for name, sql in defs:
            kind = "TRIGGER" if sqlite and sql.upper().startswith("CREATE TRIGGER") else "INDEX"
            conn.execute(text(f"DROP {kind} IF EXISTS {name}"))
        conn.execute(
            text(
                "INSERT INTO users (email, name, password_hash, role, active, preferences, created_at, "  # noqa: E501
                "updated_at) VALUES ('admin@bench.test', 'Admin', 'x', 'admin', true, '{}', :t, :t)"
            ),
            {"t": now},
        )
        for r in range(REPS):
            conn.execute(
                text(
                    "INSERT INTO users (email, name, password_hash, role, active, preferences, "
                    "created_at, updated_at) VALUES (:e, :n, 'x', 'rep', true, '{}', :t, :t)"
                ),
                {"e": f"rep{r}@bench.test", "n": f"Rep {r}", "t": now},
            )
        user_ids = [row[0] for row in conn.execute(text("SELECT id FROM users WHERE role='rep'"))]
        for b in range(BATCHES):
            conn.execute(
                text(
                    "INSERT INTO import_batches (name, filename, stored_path, file_size, file_format, "  # noqa: E501
                    "headers, mapping, status, priority, progress, counts, warnings, owner_id, "
                    "created_at, updated_at) VALUES (:n, :f, 'x', 0, '{}', '[]', '[]', 'done', 0, 1, "  # noqa: E501
                    "'{}', '[]', :o, :t, :t)"
                ),
                {
                    "n": f"Batch {b}",
                    "f": f"batch{b}.csv",
                    "o": user_ids[b % len(user_ids)],
                    "t": now,
                },
            )
        batch_ids = [
            row[0] for row in conn.execute(text("SELECT id FROM import_batches ORDER BY id"))
        ]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        comp_rows = [
            (
                i,
                company_name(i),
                company_name(i).lower(),
                f"c{i}.example",
                f"https://c{i}.example" if i % 10 < 7 else None,
            )
            for i in range(1, companies + 1)
        ]
        lead_rows = _rows(n, companies, user_ids, batch_ids, rng)
        video_rows = (
            (lid, VIDEO_STATUSES[lid % len(VIDEO_STATUSES)], lid % 5)
            for lid in range(1, n + 1)
            if lid % 10 < 3
        )
        if sqlite:
            ts = _sqlite_time(now)
            cur.executemany(
                "INSERT INTO companies (id, name, name_key, domain, website, extra, inferred, "
                f"screenshots, created_at, updated_at) VALUES (?,?,?,?,?,'{{}}','[]','{{}}','{ts}','{ts}')",  # noqa: E501
                comp_rows,
            )
            cols = ", ".join(LEAD_COLUMNS)
            cur.executemany(
                f"INSERT INTO leads ({cols}, inferred, edited_fields, status, updated_at) "
                f"VALUES ({', '.join('?' * len(LEAD_COLUMNS))}, '[]', '[]', 'new', '{ts}')",
                ((*r[:-1], _sqlite_time(r[-1])) for r in lead_rows),
            )
            cur.executemany(
                "INSERT INTO videos (lead_id, template_version, status, progress, view_count, "
                "play_count, share_enabled, is_sample, created_at, updated_at) "
                f"VALUES (?, 1, ?, 0, ?, 0, 1, 0, '{ts}', '{ts}')",
                video_rows,
            )
            # New rows are indexed in bulk by the app (services/leads/search.py), not by triggers.
            cur.execute(
                "INSERT INTO lead_fts(rowid, body) "
                f"SELECT id, {LEAD_TEXT_SQL.format(t='')} FROM leads"
            )
            cur.execute(
                "INSERT INTO company_fts(rowid, body) "
                f"SELECT id, {COMPANY_TEXT_SQL.format(t='')} FROM companies"
            )
            raw.commit()
        else:
            with cur.copy(
                "COPY companies (id, name, name_key, domain, website, extra, inferred, "
                "screenshots, created_at, updated_at) FROM STDIN"
            ) as copy:
                for row in comp_rows:
                    copy.write_row((*row, "{}", "[]", "{}", now, now))
            with cur.copy(
                f"COPY leads ({', '.join(LEAD_COLUMNS)}, inferred, edited_fields, status, "
                "updated_at) FROM STDIN"
            ) as copy:
                for row in lead_rows:
                    copy.write_row((*row, "[]", "[]", "new", now))
            with cur.copy(
                "COPY videos (lead_id, template_version, status, progress, view_count, "
                "play_count, share_enabled, is_sample, created_at, updated_at) "
                "FROM STDIN"
            ) as copy:
                for row in video_rows:
                    copy.write_row((row[0], 1, row[1], 0, row[2], 0, True, False, now, now))
            for table in ("companies", "leads", "videos"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            raw.commit()
    finally:
        raw.close()
    loaded = time.perf_counter() - started
    with engine.begin() as conn:
        for _name, sql in defs:
            conn.execute(text(sql))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE" if sqlite else "VACUUM ANALYZE"))
    return {
        "load_s": round(loaded, 1),
        "index_s": round(time.perf_counter() - started - loaded, 1),
        "batch_ids": batch_ids,
        "companies": companies,
    }
