"""Quality bar on the sample files: mapping >= 97 % right, exact distinct counts, right leads.

No AI: the rules alone must reach the bar. The pipeline below is the importer's,
minus the database: sniff -> sample -> propose_mapping -> normalise -> dedupe.
"""

from __future__ import annotations

import pytest

from leadreel.services.dedupe import InMemoryDeduper
from leadreel.services.importing.mapping import propose_mapping
from leadreel.services.importing.normalize import RowNormalizer
from leadreel.services.importing.parsing import iter_records, read_sample, sniff
from tests.importing.conftest import SAMPLE_FILES

CHECKED = ("email", "first_name", "last_name", "company_name", "company_domain")


def import_in_memory(path):
    fmt = sniff(path)
    proposal = propose_mapping(fmt.headers, [r.values for r in read_sample(path, fmt)])
    normalizer = RowNormalizer(proposal)
    deduper = InMemoryDeduper()
    errors = []
    for record in iter_records(path, fmt):
        row = normalizer.normalize(record.values)
        if record.error or row.errors:
            errors.append((record.line, record.error, row.errors))
            continue
        deduper.add(row.lead, row.company)
    return fmt, proposal, deduper, errors


def test_there_are_sample_files():
    assert len(SAMPLE_FILES) >= 4


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_quality_bar(path, truth):
    expected = truth(path)
    fmt, proposal, deduper, errors = import_in_memory(path)

    assert fmt.delimiter == expected["delimiter"]
    assert fmt.encoding.replace("-sig", "") == expected["encoding"].replace("-sig", "")

    right = 0
    for col in proposal.columns:
        allowed = expected["mapping"][col.header]
        right += col.field in allowed or (col.field is None and allowed == [])
    assert right / len(proposal.columns) >= 0.97, proposal.model_dump()

    assert errors == []
    assert len(deduper.leads) == expected["expect"]["leads"]
    assert len(deduper.companies) == expected["expect"]["companies"]

    got_by_email = {}
    for lead_id, lead in deduper.leads.items():
        company = deduper.companies.get(deduper.lead_company[lead_id]) or {}
        got_by_email[(lead.get("email") or "").lower()] = {
            "email": (lead.get("email") or "").lower(),
            "first_name": lead.get("first_name"),
            "last_name": lead.get("last_name"),
            "company_name": company.get("company_name"),
            "company_domain": company.get("company_domain"),
        }
    wrong = [
        (t, got_by_email.get(t["email"]))
        for t in expected["leads"]
        if {k: t[k] for k in CHECKED} != got_by_email.get(t["email"])
    ]
    assert 1 - len(wrong) / len(expected["leads"]) >= 0.97, wrong


def test_every_row_of_a_large_apollo_file_normalises(tmp_path):
    """Speed is measured by bench/import.py; here: thousands of varied rows all come out usable."""
    src = next(p for p in SAMPLE_FILES if p.name == "apollo_people.csv")
    header, *rows = src.read_text(encoding="utf-8").splitlines(keepends=True)
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as fh:
        fh.write(header)
        for i in range(5_000):
            fh.write(rows[i % len(rows)].replace("@", f"{i}@", 1))
    fmt = sniff(big)
    sample = [r.values for r in read_sample(big, fmt)]
    normalizer = RowNormalizer(propose_mapping(fmt.headers, sample))
    rows_out = [normalizer.normalize(r.values) for r in iter_records(big, fmt)]
    assert len(rows_out) == 5_000 and all(r.ok for r in rows_out)
    assert len({r.lead["email"] for r in rows_out}) == 5_000
