"""Hostile files lose nothing but what is broken: a huge cell, thousands of columns, an
unclosed quote (with the last row of the file still imported)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select

from leadreel.models import ImportBatch, Lead
from leadreel.services.importing.normalize import MAX_CELL_CHARS, MAX_EXTRA_COLUMNS
from leadreel.services.importing.parsing import UNBALANCED_QUOTE, iter_records, sniff
from tests.importing_db.conftest import cli_json


def _people(n: int, start: int = 0) -> list[str]:
    return [f"Person{i} Smith,p{i}@acme{i}.com,Note {i}" for i in range(start, start + n)]


def test_a_5_mb_cell_imports_its_row_cut_to_the_limit(cli, session, tmp_path: Path) -> None:
    path = tmp_path / "big_cell.csv"
    big = "x" * (5 * 1024 * 1024)
    rows = ["Name,Email,Notes", *_people(2), f'Big Cell,big@cell.com,"{big}"', *_people(2, 10)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    counts = cli_json(cli("import", str(path), "--json"))

    assert counts["leads_created"] == 5 and counts["rows_rejected"] == 0
    lead = session.scalar(select(Lead).where(Lead.email == "big@cell.com"))
    assert lead is not None and len(lead.notes) == MAX_CELL_CHARS
    assert any(w.startswith("line 4: Notes: a cell of 5,242,880") for w in counts["warnings"])


def test_thousands_of_columns_import_with_a_warning(cli, session, tmp_path: Path) -> None:
    width = 3000
    headers = ["Email", "First Name", "Last Name", *[f"Attr {i}" for i in range(width)]]
    path = tmp_path / "wide.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for i in range(5):
            writer.writerow(
                [f"w{i}@wide.io", f"Ann{i}", "Lee", *[f"v{i}-{j}" for j in range(width)]]
            )

    counts = cli_json(cli("import", str(path), "--json"))

    assert counts["leads_created"] == 5 and counts["rows_rejected"] == 0
    lead = session.scalar(select(Lead).where(Lead.email == "w0@wide.io"))
    assert (lead.first_name, lead.last_name) == ("Ann0", "Lee")
    assert len(lead.extra) == MAX_EXTRA_COLUMNS
    assert lead.extra["Attr 0"] == "v0-0" and "Attr 2999" not in lead.extra
    batch = session.scalar(select(ImportBatch))
    assert any("3,003 columns" in w and "not imported" in w for w in batch.warnings)


def test_an_unclosed_quote_costs_only_its_record(cli, session, tmp_path: Path) -> None:
    lines = [
        "Name,Email,Notes",
        *_people(3),
        'Broken Row,broken@row.com,"this quote never closes',
        *_people(40, 100),
    ]
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines), encoding="utf-8")  # no newline after the last row

    counts = cli_json(cli("import", str(path), "--json"))

    assert counts["rows_rejected"] == 1
    assert counts["leads_created"] == 43
    assert session.scalar(select(func.count(Lead.id))) == 43
    assert session.scalar(select(Lead).where(Lead.email == "p139@acme139.com")) is not None
    report = Path(counts["rejected_report"]).read_text(encoding="utf-8")
    assert "5," in report and "never closed" in report and "broken@row.com" in report


def test_an_unclosed_quote_in_the_last_cell_of_the_file_keeps_the_row(tmp_path: Path) -> None:
    path = tmp_path / "last.csv"
    path.write_text('Name,Email\nAnn Lee,ann@x.io\nBob Ray,"bob@x.io', encoding="utf-8")
    records = list(iter_records(path, sniff(path)))
    assert [(r.line, r.values, r.error) for r in records] == [
        (2, ["Ann Lee", "ann@x.io"], None),
        (3, ["Bob Ray", "bob@x.io"], None),  # one line, right width: nothing is lost
    ]


def test_a_quote_swallowing_lines_is_rewound_by_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "mid.csv"
    path.write_text('A,B,C\n1,"2,3\n4,5,6\n7,8,9\n', encoding="utf-8")
    records = list(iter_records(path, sniff(path)))
    assert [(r.line, r.values, r.error) for r in records] == [
        (2, ['1,"2,3'], UNBALANCED_QUOTE),
        (3, ["4", "5", "6"], None),
        (4, ["7", "8", "9"], None),
    ]
