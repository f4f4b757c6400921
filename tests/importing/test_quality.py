"""Quality bar on the sample files: mapping and fields >= 98 % right, exact distinct counts.

No AI: the rules alone must reach the bar. The pipeline (`scoring.import_in_memory`) is
the importer's, minus the database: sniff -> sample -> propose_mapping -> normalise ->
dedupe. Fields are scored one by one (email, first and last name, company name and
domain of every lead in the truth file; empty and missing are the same).
"""

from __future__ import annotations

import pytest

from leadreel.services.importing.mapping import propose_mapping
from leadreel.services.importing.normalize import RowNormalizer
from leadreel.services.importing.parsing import iter_records, read_sample, sniff
from tests.importing.conftest import SAMPLE_FILES
from tests.importing.scoring import BAR, score

#: The kind each sample's rows are (people or businesses), as the file decides it.
KINDS = {
    "places_export.csv": "businesses",
    "directorio_negocios.csv": "businesses",
}


def test_there_are_sample_files():
    assert len(SAMPLE_FILES) >= 13


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_quality_bar(path, truth):
    expected = truth(path)
    s = score(path)

    assert s.fmt.delimiter == expected["delimiter"]
    assert s.fmt.encoding.replace("-sig", "") == expected["encoding"].replace("-sig", "")
    assert s.mapping >= BAR, s.wrong_columns
    assert s.errors == []
    assert s.leads == expected["expect"]["leads"]
    assert s.companies == expected["expect"]["companies"]
    assert s.fields >= BAR, s.wrong_fields
    assert s.proposal.kind == expected.get("kind", KINDS.get(path.name, "people"))


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
