"""``leadreel export``: template, batch, format, BOM, delimiter, user; bad names fail clearly;
rows are read in pages (the writer reports each page)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from leadreel.cli import main
from leadreel.models import ImportBatch
from leadreel.services.exports.runner import write_export
from leadreel.services.exports.templates import BUILTIN, CORE
from leadreel.services.leads.selection import Selection


@pytest.fixture
def cli(db_app, db_url, tmp_path):  # type: ignore[no-untyped-def]
    env = {
        "LEADREEL_DATA_DIR": str(tmp_path / "data"),
        "LEADREEL_DATABASE_URL": db_url,
        "LEADREEL_SECRET_KEY": "test-secret",
        "LEADREEL_PUBLIC_URL": "",
    }

    def run(*args: str, ok: bool = True):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def test_cli_formats_batch_user_and_options(
    cli, session, users, add_lead, add_video, tmp_path
) -> None:
    rep = users["rep"]
    batch = ImportBatch(name="Fair", filename="f.csv", stored_path="", owner_id=rep.id)
    session.add(batch)
    session.commit()
    lead = add_lead(rep, {"name": "Acme"}, first_name="Ann", email="a@x.example", batch_id=batch.id)
    add_video(lead)
    add_lead(users["rep2"], None, first_name="Bo", email="b@x.example")

    out = tmp_path / "all.csv"
    result = cli(
        "export",
        "--template",
        "email outreach",
        "--out",
        str(out),
        "--bom",
        "--delimiter",
        "semicolon",
    )
    assert "2 leads written" in result.output
    assert "http://127.0.0.1:8000" in result.output  # share links without LEADREEL_PUBLIC_URL
    text = out.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("First name;Last name;Email;Company;Video link")
    assert f"http://127.0.0.1:8000/v/{'tok'}{lead.id}x0" in text

    xlsx = tmp_path / "fair.xlsx"
    cli("export", "--template", "core", "--batch", "Fair", "--out", str(xlsx))
    rows = list(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][3] == "a@x.example"

    mine = tmp_path / "mine.csv"
    cli("export", "--user", "rep2@example.com", "--format", "csv", "--out", str(mine))
    assert "b@x.example" in mine.read_text() and "a@x.example" not in mine.read_text()

    assert (
        "unknown export template"
        in cli("export", "--template", "nope", "--out", str(out), ok=False).output
    )
    assert "no import batch" in cli("export", "--batch", "Nope", "--out", str(out), ok=False).output


def test_rows_are_read_in_pages(session, users, add_lead, tmp_path: Path) -> None:
    for i in range(25):
        add_lead(users["admin"], None, email=f"{i}@x.example")
    seen: list[int] = []
    count = write_export(
        session,
        tmp_path / "p.csv",
        BUILTIN[CORE],
        Selection(everything=True),
        None,
        progress=seen.append,
        page_rows=10,
    )
    assert count == 25 and seen == [10, 20, 25]
