"""The quality bar through the database: `leadreel import` each sample, compare with its truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leadreel.models import Company, Lead
from tests.importing_db.conftest import SAMPLES, cli_json

FIELDS = ("first_name", "last_name", "email", "company_name", "company_domain")


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_cli_import_matches_truth(sample: Path, cli, session) -> None:
    truth = json.loads(Path(f"{sample}.truth.json").read_text(encoding="utf-8"))
    counts = cli_json(cli("import", str(sample), "--json"))
    assert counts["leads_total"] == truth["expect"]["leads"], counts
    assert counts["companies_total"] == truth["expect"]["companies"], counts
    assert session.scalar(select(func.count(Lead.id))) == truth["expect"]["leads"]
    assert session.scalar(select(func.count(Company.id))) == truth["expect"]["companies"]
    assert counts["rows_rejected"] == 0
    stored = {}
    for lead in session.scalars(select(Lead)):
        stored[(lead.email or "").lower()] = {
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "email": lead.email,
            "company_name": lead.company.name if lead.company else None,
            "company_domain": lead.company.domain if lead.company else None,
        }
    right = total = 0
    for expected in truth["leads"]:
        got = stored.get((expected.get("email") or "").lower(), {})
        for key in FIELDS:
            total += 1
            right += (got.get(key) or None) == (expected.get(key) or None)
    assert right / total >= 0.98, f"{right}/{total} fields right"


def test_cli_map_json(cli) -> None:
    sample = next(p for p in SAMPLES if p.name == "crm_export_de.csv")
    out = cli_json(cli("map", str(sample), "--json"))
    assert out["encoding"] == "utf-8" and out["delimiter"] == ";"
    assert set(out["columns"][0]) == {"header", "field", "confidence", "source", "reason"}
    assert out["rows_are"] == "people" and out["kind_reasons"]
    by_header = {c["header"]: c["field"] for c in out["columns"]}
    assert by_header["Vorname"] == "first_name" and by_header["E-Mail"] == "email"


def test_cli_import_with_mapping_file(cli, write_csv, session, tmp_path) -> None:
    path = write_csv("Who,Mail,Shop\nJane Doe,jane@acme.com,Acme\n")
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"Who": "full_name", "Mail": "email", "Shop": None}))
    counts = cli_json(
        cli("import", str(path), "--mapping", str(mapping), "--batch", "B1", "--json")
    )
    assert counts["leads_created"] == 1
    lead = session.scalar(select(Lead))
    assert (lead.first_name, lead.last_name, lead.email) == ("Jane", "Doe", "jane@acme.com")
    assert lead.extra == {"Shop": "Acme"}  # unmapped columns are kept, not dropped


def test_cli_unreadable_file_is_a_clear_error(cli, write_csv) -> None:
    path = write_csv("")
    result = cli("import", str(path), "--json", ok=False)
    assert result.exit_code != 0
    assert "empty" in result.output


def test_ai_failure_falls_back_to_rules_and_says_so(cli, db_url, tmp_path) -> None:
    """An AI key whose server is down: the mapping still comes from the rules, with a warning."""
    if not db_url.startswith("sqlite"):
        pytest.skip("database-independent")
    import socket

    from click.testing import CliRunner

    from leadreel.cli import main

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sample = next(p for p in SAMPLES if p.name == "handmade_sheet.csv")
    env = {
        "LEADREEL_DATA_DIR": str(tmp_path / "data"),
        "LEADREEL_DATABASE_URL": db_url,
        "LEADREEL_OPENAI_API_KEY": "sk-test",
        "LEADREEL_AI_TIMEOUT": "1",
        "LEADREEL_OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
    }
    result = CliRunner().invoke(main, ["map", str(sample), "--json"], env=env)
    assert result.exit_code == 0, result.output
    out = cli_json(result)
    assert any("used the rules instead" in w for w in out["warnings"]), out
    assert {c["header"]: c["field"] for c in out["columns"]}["Name"] == "full_name"


def test_cli_kind_option_forces_businesses(cli, session) -> None:
    """`--kind businesses`: the name column is the business, no person name is stored."""
    sample = next(p for p in SAMPLES if p.name == "handmade_sheet.csv")
    out = cli_json(cli("map", str(sample), "--json", "--kind", "businesses"))
    assert out["rows_are"] == "businesses"
    assert {c["header"]: c["field"] for c in out["columns"]}["Name"] == "company_name"
    places = next(p for p in SAMPLES if p.name == "places_export.csv")
    counts = cli_json(cli("import", str(places), "--json"))
    assert counts["leads_created"] == 40
    lead = session.scalar(select(Lead).where(Lead.email == "hello@drsarahkimdds.com"))
    assert (lead.first_name, lead.last_name) == (None, None)
    assert lead.company.name == "Dr. Sarah Kim DDS" and lead.phone == "+15125558417"
    assert lead.company.industry == "Dental Clinic" and lead.company.city == "Lyon"
