"""Bulk reads and writes of companies, leads and import changes, in SQLAlchemy Core.

Why Core and not the ORM: an import writes up to a million rows; the ORM's unit of
work costs tens of microseconds per object, Core `executemany` (SQLAlchemy's
"insertmanyvalues" on both SQLite and PostgreSQL) a few. Reads are one `IN` query
per key type per chunk, so matching against a large database stays bounded.

Values are made storable here, once: NUL characters (PostgreSQL refuses them) are
dropped and text is cut to the column's length (PostgreSQL enforces VARCHAR(n)).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Connection, String, Table, bindparam, update

from leadreel.fields import COMPANY_KEYS, LEAD_KEYS
from leadreel.models import COMPANY_FIELD_ATTRS, Company, ImportChange, Lead

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
SQLITE_IMPORT_PRAGMAS: dict[str, str] = {"cache_size": "-65536", "temp_store": "2"}


def _lengths(table: Table) -> dict[str, int]:
    return {
        c.name: c.type.length for c in table.columns if isinstance(c.type, String) and c.type.length
    }


_MAX_LEN = {"leads": _lengths(LEADS), "companies": _lengths(COMPANIES)}


def storable(value: Any, table: str, column: str) -> Any:
    """A value the database accepts: no NUL, cut to the column length."""
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        value = value.replace("\x00", "")
    limit = _MAX_LEN[table].get(column)
    return value[:limit] if limit and len(value) > limit else value


def storable_lead_fields(lead: dict[str, str]) -> dict[str, Any]:
    """Every lead column (None when absent), storable; the per-row hot path of an import."""
    limits = _MAX_LEN["leads"]
    out: dict[str, Any] = dict.fromkeys(LEAD_COLUMNS)
    for key, value in lead.items():
        if len(value) > limits.get(key, 1 << 30) or "\x00" in value:
            value = storable(value, "leads", key)
        out[key] = value
    return out


def storable_json(data: dict[str, Any]) -> dict[str, Any]:
    """JSON for `extra`: PostgreSQL's JSONB refuses \\u0000 too."""
    return {
        str(k).replace("\x00", ""): (v.replace("\x00", "") if isinstance(v, str) else v)
        for k, v in data.items()
    }


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


def company_values(fields: dict[str, str]) -> dict[str, Any]:
    """Core company keys -> column values (storable); only the keys that have a value."""
    limits = _MAX_LEN["companies"]
    out: dict[str, Any] = {}
    for key, value in fields.items():
        col = COMPANY_COLUMNS.get(key)
        if col is None or not value:
            continue
        if len(value) > limits.get(col, 1 << 30) or "\x00" in value:
            value = storable(value, "companies", col)
        out[col] = value
    return out


def insert_companies(conn: Connection, rows: list[dict[str, Any]], now: datetime) -> list[int]:
    """Insert companies (column dicts) and return their ids in the same order."""
    if not rows:
        return []
    params = [_full_company(r, now) for r in rows]
    stmt = COMPANIES.insert().returning(COMPANIES.c.id, sort_by_parameter_order=True)
    return [r[0] for r in conn.execute(stmt, params)]


def _full_company(values: dict[str, Any], now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {col: None for col in COMPANY_COLUMNS.values()}
    out.update(
        name="",
        name_key="",
        extra={},
        inferred=[],
        screenshots={},
        owner_id=None,
        created_by_batch_id=None,
        created_at=now,
        updated_at=now,
    )
    out.update(values)
    out["name"] = out["name"] or ""
    return out


_LEAD_INSERT_COLUMNS = (
    *LEAD_COLUMNS,
    *LEAD_LINK_COLUMNS,
    "extra",
    "inferred",
    "tag",
    "status",
    "owner_id",
    "batch_id",
    "created_at",
    "updated_at",
)


def _lead_insert_sql(conn: Connection) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cols = ", ".join(_LEAD_INSERT_COLUMNS)
    return f"INSERT INTO leads ({cols}) VALUES ({', '.join([mark] * len(_LEAD_INSERT_COLUMNS))})"


def insert_leads(conn: Connection, rows: list[dict[str, Any]], now: datetime) -> None:
    """Insert leads (column dicts) with the driver's executemany; no ids are needed.

    Why below SQLAlchemy here: leads are the bulk of an import and per-row parameter
    processing (JSON serialising of `extra`/`inferred`, datetime binding) was a quarter
    of the import's time; the JSON is serialised once here and the rows go as tuples.
    """
    if not rows:
        return
    stamp: Any = now if conn.dialect.name != "sqlite" else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    dumps = json.dumps
    for r in rows:
        r["created_at"] = stamp
        r["updated_at"] = stamp
        extra, inferred = r.get("extra"), r.get("inferred")
        r["extra"] = dumps(extra, ensure_ascii=False) if extra else "{}"
        r["inferred"] = dumps(inferred) if inferred else "[]"
    row_tuple = itemgetter(*_LEAD_INSERT_COLUMNS)
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        # COPY: PostgreSQL's bulk path, several times faster than INSERT for many rows.
        cols = ", ".join(_LEAD_INSERT_COLUMNS)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY leads ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(row_tuple(r))
        finally:
            cursor.close()
        return
    conn.exec_driver_sql(_lead_insert_sql(conn), [row_tuple(r) for r in rows])


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
    conn: Connection, batch_id: int, entity: str, changes: list[tuple[int, dict[str, Any]]]
) -> None:
    """One `ImportChange(action="updated")` per changed record with the values it replaced."""
    if changes:
        conn.execute(
            CHANGES.insert(),
            [
                {
                    "batch_id": batch_id,
                    "entity": entity,
                    "entity_id": ident,
                    "action": "updated",
                    "previous": previous,
                }
                for ident, previous in changes
            ],
        )
