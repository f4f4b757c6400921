"""Bulk reads and writes of companies, leads and import changes, below the ORM.

Why not the ORM: an import writes up to a million rows; the ORM's unit of work costs
tens of microseconds per object, the driver's executemany (SQLite) or COPY
(PostgreSQL) a few. Reads are one `IN` query per key type per chunk, so matching
against a large database stays bounded. Updates and change records, a small part of
an import, go through SQLAlchemy Core.

Values arrive storable (`prepare` cut them to `column_lengths()`: PostgreSQL
enforces VARCHAR(n) and refuses NUL characters).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Connection, String, Table, bindparam, select, update

from leadreel.fields import COMPANY_KEYS, LEAD_KEYS
from leadreel.models import COMPANY_FIELD_ATTRS, Company, ImportChange, Lead
from leadreel.services.importing.prepare import Lengths
from leadreel.services.leads import search

LEADS: Table = Lead.__table__  # type: ignore[assignment]
COMPANIES: Table = Company.__table__  # type: ignore[assignment]
CHANGES: Table = ImportChange.__table__  # type: ignore[assignment]

#: Company columns an import fills (core key -> column), and the lead ones.
COMPANY_COLUMNS: dict[str, str] = {k: COMPANY_FIELD_ATTRS[k] for k in COMPANY_KEYS}
LEAD_COLUMNS: tuple[str, ...] = LEAD_KEYS
#: Lead columns a merge may fill besides the core fields.
LEAD_LINK_COLUMNS = ("company_id", "person_key")
_JSON_COLUMNS = frozenset({"extra", "inferred"})
IN_SLICE = 900  # values per IN (...) list; well under every backend's parameter limit

#: SQLite settings for an import's own connection (set per chunk, restored at the end).
#: A million-row import grows six indexes on `leads`; with SQLite's default 2 MB page
#: cache every index insert then reads pages from disk/OS cache. The bench gives its raw
#: floor the same settings, so the floor stays a floor.
SQLITE_IMPORT_PRAGMAS: dict[str, str] = {"cache_size": "-32768", "temp_store": "2"}


def _lengths(table: Table) -> dict[str, int]:
    return {
        c.name: c.type.length for c in table.columns if isinstance(c.type, String) and c.type.length
    }


_MAX_LEN = {"leads": _lengths(LEADS), "companies": _lengths(COMPANIES)}


def column_lengths() -> Lengths:
    """Column lengths by core key, for `prepare.RowPreparer` (which imports no models)."""
    return {
        "lead": {k: n for k in LEAD_COLUMNS if (n := _MAX_LEN["leads"].get(k))},
        "company": {
            k: n for k, col in COMPANY_COLUMNS.items() if (n := _MAX_LEN["companies"].get(col))
        },
    }


def storable(value: Any, table: str, column: str) -> Any:
    """A value the database accepts: no NUL, cut to the column length."""
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        value = value.replace("\x00", "")
    limit = _MAX_LEN[table].get(column)
    return value[:limit] if limit and len(value) > limit else value


def _slices(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), IN_SLICE):
        yield values[start : start + IN_SLICE]


class ImportPragmas:
    """Give the import's SQLite connections `SQLITE_IMPORT_PRAGMAS`, and put them back.

    The connection comes from the app's pool (the web app and workers share it), so the
    settings last only while the import runs: `restore` resets every connection touched.
    """

    def __init__(self) -> None:
        self._saved: dict[int, tuple[Any, dict[str, Any]]] = {}

    def apply(self, conn: Connection) -> None:
        if conn.dialect.name != "sqlite":
            return
        raw = conn.connection.dbapi_connection
        if raw is None or id(raw) in self._saved:
            return
        cursor = raw.cursor()
        try:
            before: dict[str, Any] = {}
            for name, value in SQLITE_IMPORT_PRAGMAS.items():
                before[name] = cursor.execute(f"PRAGMA {name}").fetchone()[0]
                cursor.execute(f"PRAGMA {name}={value}")
        finally:
            cursor.close()
        self._saved[id(raw)] = (raw, before)

    def restore(self) -> None:
        for raw, before in self._saved.values():
            try:
                cursor = raw.cursor()
                for name, value in before.items():
                    cursor.execute(f"PRAGMA {name}={int(value)}")
                cursor.close()
            except Exception:  # noqa: BLE001,S110 - a closed connection has nothing to restore
                pass
        self._saved.clear()


# ---- candidate reads ------------------------------------------------------------

_COMPANY_READ: tuple[Column[Any], ...] = tuple(
    COMPANIES.c[name]
    for name in ("id", "name_key", "created_by_batch_id", *COMPANY_COLUMNS.values())
)
_LEAD_READ: tuple[Column[Any], ...] = tuple(
    LEADS.c[name]
    for name in (
        "id",
        "owner_id",
        "batch_id",
        "extra",
        "inferred",
        *LEAD_LINK_COLUMNS,
        *LEAD_COLUMNS,
    )
)


def fetch_by(
    conn: Connection, table: Table, column: str, values: set[str], owner_id: int | None = None
) -> list[dict[str, Any]]:
    """Rows of `table` whose `column` is one of `values` (leads: of `owner_id` when given).

    Runs on the driver's cursor inside the caller's transaction: SQLAlchemy's rendering of
    hundreds of IN parameters and its row objects were a tenth of an import's time.
    """
    if not values:
        return []
    read = _COMPANY_READ if table is COMPANIES else _LEAD_READ
    names = [c.name for c in read]
    json_cols = [i for i, c in enumerate(read) if c.name in _JSON_COLUMNS]
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"
    owner = f" AND owner_id = {int(owner_id)}" if owner_id is not None and table is LEADS else ""
    cursor = conn.connection.cursor()
    out: list[dict[str, Any]] = []
    try:
        for part in _slices(sorted(values)):
            where = (
                f"{column} = ANY({mark})"
                if postgres
                else f"{column} IN ({', '.join([mark] * len(part))})"
            )
            params: Any = (list(part),) if postgres else tuple(part)
            cursor.execute(
                f"SELECT {', '.join(names)} FROM {table.name} WHERE {where}{owner}", params
            )
            for row in cursor.fetchall():
                item = dict(zip(names, row, strict=True))
                for i in json_cols:  # SQLite hands JSON back as text
                    if isinstance(row[i], str):
                        item[names[i]] = json.loads(row[i])
                out.append(item)
    finally:
        cursor.close()
    return out


# ---- writes ---------------------------------------------------------------------


def _stamp(conn: Connection, now: datetime) -> Any:
    """`now` as the driver stores it: SQLAlchemy's text format on SQLite."""
    return now if conn.dialect.name != "sqlite" else now.strftime("%Y-%m-%d %H:%M:%S.%f")


#: The company columns an import writes, in `insert_companies`' order.
_COMPANY_VALUE_COLUMNS = tuple(c for c in COMPANY_COLUMNS.values() if c != "name")
_COMPANY_INSERT_COLUMNS = (
    *_COMPANY_VALUE_COLUMNS,
    "name",
    "name_key",
    "extra",
    "inferred",
    "screenshots",
    "owner_id",
    "created_by_batch_id",
    "created_at",
    "updated_at",
)


def insert_companies(conn: Connection, rows: list[dict[str, Any]], now: datetime) -> list[int]:
    """Insert companies (column dicts) and return their ids in the same order.

    Below SQLAlchemy, like `insert_leads`: its insertmanyvalues with RETURNING cost
    about 45 µs a company, a tenth of a million-row import. The ids are reserved first
    (`reserve_ids` on SQLite, the sequence on PostgreSQL), then the rows go in with them:
    executemany on SQLite, COPY on PostgreSQL.
    """
    if not rows:
        return []
    stamp = _stamp(conn, now)
    params = [
        (
            *map(r.get, _COMPANY_VALUE_COLUMNS),
            r.get("name") or "",  # NOT NULL
            r.get("name_key") or "",
            "{}",
            json.dumps(r["inferred"]) if r.get("inferred") else "[]",
            "{}",
            r.get("owner_id"),
            r.get("created_by_batch_id"),
            stamp,
            stamp,
        )
        for r in rows
    ]
    cols = ", ".join(_COMPANY_INSERT_COLUMNS)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('companies', 'id')) "
                "FROM generate_series(1, %s)",
                (len(params),),
            )
            ids = [row[0] for row in cursor.fetchall()]
            with cursor.copy(f"COPY companies (id, {cols}) FROM STDIN") as copy:
                for ident, p in zip(ids, params, strict=True):
                    copy.write_row((ident, *p))
            return ids
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        marks = ", ".join([mark] * (len(params[0]) + 1))
        first = reserve_ids(conn, "companies", len(params))
        ids = list(range(first, first + len(params)))
        cursor.executemany(
            f"INSERT INTO companies (id, {cols}) VALUES ({marks})",
            [(ident, *p) for ident, p in zip(ids, params, strict=True)],
        )
    finally:
        cursor.close()
    search.index_new_rows(conn, company_ids=ids)
    return ids


#: A new lead as `resolve` builds it: the core columns, then these, in this order.
LEAD_ROW = (
    *LEAD_COLUMNS,
    *LEAD_LINK_COLUMNS,
    "extra",
    "inferred",
    "tag",
    "status",
    "owner_id",
    "batch_id",
)
_EMAIL = LEAD_ROW.index("email")
lead_row_of = itemgetter(*LEAD_ROW)


def insert_leads(conn: Connection, rows: list[tuple[Any, ...]], now: datetime) -> None:
    """Insert new leads given as `LEAD_ROW` tuples (extra/inferred as JSON text).

    Why below SQLAlchemy: leads are the bulk of an import, and per-row parameter
    processing was a quarter of the import's time. PostgreSQL gets COPY, in file order.
    On SQLite the rows of a chunk go in email order: inserts in key order touch the
    email index's pages one after another instead of at random, which more than halves
    the time a million-row import spends writing. So on SQLite the leads of one chunk
    (up to `batch.SQLITE_CHUNK_SIZE` rows) get their ids in email order, not in file
    order. (Giving them ids in file order while inserting in email order was measured:
    it scatters the table's own inserts and costs a sixth of the import's time.)
    """
    if not rows:
        return
    stamp = _stamp(conn, now)
    cols = ", ".join(LEAD_ROW)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY leads ({cols}, created_at, updated_at) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row((*r, stamp, stamp))
        finally:
            cursor.close()
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    marks = ", ".join([mark] * len(LEAD_ROW))
    when = f"'{stamp}'"  # our own datetime's text: bound once in the SQL, not per row
    sql = f"INSERT INTO leads ({cols}, created_at, updated_at) VALUES ({marks}, {when}, {when})"
    emails = [r[_EMAIL] or "" for r in rows]
    order = sorted(range(len(rows)), key=emails.__getitem__)
    before = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM leads").scalar()
    conn.exec_driver_sql(sql, [rows[i] for i in order])
    search.index_new_rows(conn, leads_after=int(before or 0))  # new ids follow the max


#: Key of the PostgreSQL advisory lock that serialises imports' transactions.
IMPORT_LOCK_KEY = 0x1EAD_0001


def lock_imports(conn: Connection) -> None:
    """Let one import's transaction match and write at a time (held until its commit).

    Two imports matching at once would each miss the company the other is creating and
    both insert it. SQLite needs nothing: the import's transactions begin IMMEDIATE.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (IMPORT_LOCK_KEY,))


def reserve_ids(conn: Connection, table: str, count: int) -> int:
    """The first of `count` free ids of `table` (SQLite), after taking the write lock.

    A no-op UPDATE takes SQLite's write lock for the rest of the transaction, so no
    other writer can take these ids before the commit.
    """
    conn.exec_driver_sql(f"UPDATE {table} SET id = id WHERE 0")
    top = conn.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar()
    return int(top or 0) + 1


def update_rows(
    conn: Connection, table: Table, changes: list[tuple[int, dict[str, Any]]], now: datetime
) -> None:
    """Apply `(id, {column: value})` updates, one executemany per distinct column set."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for ident, values in changes:
        cols = tuple(sorted(values))
        groups.setdefault(cols, []).append({"_id": ident, **{f"v_{c}": values[c] for c in cols}})
    for cols, params in groups.items():
        for p in params:
            p["v_updated_at"] = now
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(f"v_{c}") for c in (*cols, "updated_at")})
        )
        conn.execute(stmt.execution_options(synchronize_session=False), params)


def record_changes(
    conn: Connection,
    batch_id: int,
    entity: str,
    changes: list[tuple[int, dict[str, Any]]],
    action: str = "updated",
) -> None:
    """One `ImportChange` per record: "updated" with the values it replaced (for undo), or
    "matched" (an existing record the import matched, so the counts survive a resume)."""
    if changes:
        conn.execute(
            CHANGES.insert(),
            [
                {
                    "batch_id": batch_id,
                    "entity": entity,
                    "entity_id": ident,
                    "action": action,
                    "previous": previous,
                }
                for ident, previous in changes
            ],
        )


def recorded_changes(conn: Connection, batch_id: int) -> list[tuple[str, int, str]]:
    """(entity, id, action) of every change row of a batch."""
    rows = conn.execute(
        select(CHANGES.c.entity, CHANGES.c.entity_id, CHANGES.c.action).where(
            CHANGES.c.batch_id == batch_id
        )
    )
    return [(e, i, a) for e, i, a in rows]
