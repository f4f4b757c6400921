"""The formula-injection guard in CSV and XLSX, and export -> import -> export losing nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from leadreel import migrate
from leadreel.db import make_engine
from leadreel.fields import CORE_FIELDS
from leadreel.services.exports.guard import neutralize, restore
from leadreel.services.exports.runner import ExportOptions, write_export
from leadreel.services.exports.templates import BUILTIN, CORE
from leadreel.services.importing.importer import import_file
from leadreel.services.leads.selection import Selection

HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTabbed",
    "\rCarriage",
    "\nNewline",
    "'=already quoted",
    "''+two quotes",
]
ALL = Selection(everything=True)


@pytest.mark.parametrize("value", [*HOSTILE, "plain", "it's fine", "'quoted text", "", "a=b"])
def test_restore_undoes_neutralize(value: str) -> None:
    guarded = neutralize(value)
    assert restore(guarded) == value
    if value[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") or value.startswith(("'=", "''")):
        assert guarded == "'" + value
    else:
        assert guarded == value


def _hostile_leads(add_lead, owner) -> None:  # type: ignore[no-untyped-def]
    for i, value in enumerate(HOSTILE):
        add_lead(
            owner,
            {"name": value, "industry": value},
            first_name=value,
            notes=value,
            email=f"x{i}@evil.example",
        )


def test_csv_cells_are_guarded(session, users, add_lead, tmp_path) -> None:
    _hostile_leads(add_lead, users["admin"])
    out = tmp_path / "h.csv"
    cols = [
        {"field": "first_name", "header": "=cmd|' /C calc'!A0"},
        {"field": "company_name", "header": "c"},
        {"kind": "fixed", "value": "=1+1", "header": "fixed"},
        {"kind": "format", "format": "{notes}", "header": "fmt"},
    ]
    write_export(session, out, cols, ALL, users["admin"])
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0] == "'=cmd|' /C calc'!A0"
    for row, value in zip(rows[1:], HOSTILE, strict=True):
        # a format strips its values, as video text does
        assert row == ["'" + value, "'" + value, "'=1+1", neutralize(value.strip())]
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))


def test_xlsx_has_no_formula_cells(session, users, add_lead, tmp_path) -> None:
    _hostile_leads(add_lead, users["admin"])
    add_lead(users["admin"], None, first_name="bell\x07 and vt\x0b")  # XML cannot hold these
    out = tmp_path / "h.xlsx"
    cols = [
        {"field": "first_name", "header": "=first"},
        {"field": "notes", "header": "notes"},
        {"kind": "fixed", "value": "=1+1", "header": "f"},
    ]
    count = write_export(session, out, cols, ALL, users["admin"], ExportOptions("xlsx"))
    assert count == len(HOSTILE) + 1
    wb = load_workbook(out)  # normal mode: data types as stored
    ws = wb.active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells and all(c.data_type == "s" for c in cells)
    assert not any(str(c.value).startswith("=") for c in cells)
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["'=first", "notes", "f"]
    assert values[1] == ["'" + HOSTILE[0], "'" + HOSTILE[0], "'=1+1"]
    assert values[-1][0] == "bell and vt"


def _core_file(session: Session, path: Path, fmt: str = "csv") -> bytes:
    write_export(session, path, BUILTIN[CORE], ALL, None, ExportOptions(fmt))
    return path.read_bytes()


def test_core_round_trip_is_identical(session, settings, users, tmp_path) -> None:
    source = tmp_path / "source.csv"
    header = ",".join(s.key for s in CORE_FIELDS)
    source.write_text(
        "First Name,Last Name,Email,Company,Website,Title,Notes,Phone,Employees,Country,Lead Source\n"
        'Ann,Lee,ann@beta.example,Beta,https://beta.example/about,=1+2,"line one\nline two",'
        "+1 415 555 0100,250,United States,webinar\n"
        "Cal,Ng,cal@gamma.example,@Gamma,gamma.example,-CEO,'=quoted already,,,Germany,\n"
        "Dee,Ox,dee@delta.example,Delta,delta.example,Owner,@mention me,,1.5k,,fair\n",
        encoding="utf-8",
    )
    import_file(session, settings, source, owner=users["admin"])
    first = _core_file(session, tmp_path / "first.csv")
    assert first.decode().splitlines()[0] == header
    # the source's quote was taken for a guard on import: the export guards the value again
    assert "'=1+2" in first.decode() and ",'=quoted already," in first.decode()

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as fresh:
            _batch, counts = import_file(fresh, settings, tmp_path / "first.csv")
            assert counts["rows_rejected"] == 0
            second = _core_file(fresh, tmp_path / "second.csv")
            second_xlsx = _core_file(fresh, tmp_path / "second.xlsx", "xlsx")
    finally:
        engine.dispose()
    assert second == first
    first_xlsx = _core_file(session, tmp_path / "first.xlsx", "xlsx")
    rows_a = [
        [c.value for c in r] for r in load_workbook(tmp_path / "first.xlsx").active.iter_rows()
    ]
    rows_b = [
        [c.value for c in r] for r in load_workbook(tmp_path / "second.xlsx").active.iter_rows()
    ]
    assert rows_a == rows_b and first_xlsx and second_xlsx
    # and through XLSX: import our XLSX into another fresh database, export CSV again
    url3 = f"sqlite:///{tmp_path / 'fresh3.db'}"
    migrate.upgrade(url3)
    engine3 = make_engine(url3)
    try:
        with Session(engine3, expire_on_commit=False) as third:
            import_file(third, settings, tmp_path / "second.xlsx")
            assert _core_file(third, tmp_path / "third.csv") == first
    finally:
        engine3.dispose()
