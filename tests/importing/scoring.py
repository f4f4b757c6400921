"""Score an in-memory import of a sample file against its truth file.

Shared by the quality tests and by `python -m tests.importing.scoring` (prints the
scores of every sample, the figures quoted in docs/import_quality.md).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadreel.services.dedupe import InMemoryDeduper
from leadreel.services.importing.mapping import MappingProposal, propose_mapping
from leadreel.services.importing.normalize import RowNormalizer
from leadreel.services.importing.parsing import FileFormat, iter_records, read_sample, sniff

CHECKED = ("email", "first_name", "last_name", "company_name", "company_domain")
BAR = 0.98


@dataclass
class Score:
    fmt: FileFormat
    proposal: MappingProposal
    mapping_right: int
    mapping_total: int
    fields_right: int
    fields_total: int
    leads: int
    companies: int
    errors: list[Any] = field(default_factory=list)
    wrong_columns: list[Any] = field(default_factory=list)
    wrong_fields: list[Any] = field(default_factory=list)

    @property
    def mapping(self) -> float:
        return self.mapping_right / self.mapping_total

    @property
    def fields(self) -> float:
        return self.fields_right / self.fields_total


def import_in_memory(path: Path) -> tuple[FileFormat, MappingProposal, InMemoryDeduper, list]:
    """sniff -> sample -> propose_mapping -> normalise -> dedupe, without a database."""
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


def score(path: Path) -> Score:
    truth = json.loads(Path(f"{path}.truth.json").read_text(encoding="utf-8"))
    fmt, proposal, deduper, errors = import_in_memory(path)
    wrong_columns = []
    for col in proposal.columns:
        allowed = truth["mapping"][col.header]
        if not (col.field in allowed or (col.field is None and allowed == [])):
            wrong_columns.append((col.header, col.field, allowed))
    got: dict[str, dict[str, Any]] = {}
    for lead_id, lead in deduper.leads.items():
        company = deduper.companies.get(deduper.lead_company[lead_id]) or {}
        got[(lead.get("email") or "").lower()] = {**company, **lead}
    right = total = 0
    wrong_fields = []
    for expected in truth["leads"]:
        have = got.get(expected["email"], {})
        for key in CHECKED:
            total += 1
            want, value = expected.get(key) or None, have.get(key) or None
            if key == "email" and value:
                value = value.lower()
            if want == value:
                right += 1
            else:
                wrong_fields.append((expected["email"], key, want, value))
    return Score(
        fmt,
        proposal,
        len(proposal.columns) - len(wrong_columns),
        len(proposal.columns),
        right,
        total,
        len(deduper.leads),
        len(deduper.companies),
        errors,
        wrong_columns,
        wrong_fields,
    )


def main(paths: list[str]) -> None:
    from tests.importing.conftest import SAMPLE_FILES

    for path in [Path(p) for p in paths] or SAMPLE_FILES:
        s = score(path)
        truth = json.loads(Path(f"{path}.truth.json").read_text(encoding="utf-8"))["expect"]
        print(
            f"| {path.name} | {s.proposal.kind} | {s.mapping_right}/{s.mapping_total} "
            f"({s.mapping:.1%}) | {s.fields_right}/{s.fields_total} ({s.fields:.1%}) | "
            f"{s.leads}/{truth['leads']} | {s.companies}/{truth['companies']} |"
        )
        for item in s.wrong_columns + s.wrong_fields[:10]:
            print("    ", item)


if __name__ == "__main__":
    main(sys.argv[1:])
