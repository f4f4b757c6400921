"""CSV and XLSX sinks: rows in, a file out, every cell through the injection guard.

CSV is UTF-8 (optionally with a BOM, which Excel needs to read UTF-8) with a chosen
delimiter. XLSX uses openpyxl's write-only mode, which streams rows to a temporary file
instead of keeping a sheet in memory; every cell is written as text (a guarded value never
starts with ``=``, so openpyxl never takes it for a formula) and empty cells are skipped
(except the last of a row, so readers see full-width rows).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any, Protocol

from leadreel.errors import ValidationError
from leadreel.services.exports.guard import FORMULA_START, neutralize, xml_safe

#: First characters that may need the guard ("'" for values that already look guarded).
_RISKY = frozenset((*FORMULA_START, "'"))

FORMATS = ("csv", "xlsx")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class Sink(Protocol):
    def write(self, cells: list[str]) -> None: ...
    def close(self) -> None: ...


def check_options(fmt: str, delimiter: str) -> None:
    if fmt not in FORMATS:
        raise ValidationError(f"unknown export format {fmt!r}; use csv or xlsx")
    if delimiter not in DELIMITERS:
        named = ", ".join(repr(d) for d in DELIMITERS)
        raise ValidationError(f"unknown delimiter {delimiter!r}; use one of {named}")


class CsvSink:
    """Rows to a CSV file; ``bom`` writes UTF-8's byte-order mark first (for Excel)."""

    def __init__(self, path: Path, *, bom: bool = False, delimiter: str = ",") -> None:
        self._fh: IO[str] = path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8")
        self._writer = csv.writer(self._fh, delimiter=delimiter)

    def write(self, cells: list[str]) -> None:
        self._writer.writerow([neutralize(c) if c and c[0] in _RISKY else c for c in cells])

    def write_many(self, rows: list[list[str]]) -> None:
        risky = _RISKY
        self._writer.writerows(
            [[neutralize(c) if c and c[0] in risky else c for c in cells] for cells in rows]
        )

    def close(self) -> None:
        self._fh.close()


class XlsxSink:
    """Rows to an XLSX workbook with one sheet, streamed (openpyxl write-only mode)."""

    def __init__(self, path: Path, *, sheet: str = "Leads") -> None:
        from openpyxl import Workbook  # noqa: PLC0415 - heavy; only XLSX exports load it

        self._path = path
        self._wb: Any = Workbook(write_only=True)
        self._ws = self._wb.create_sheet(sheet)

    def write(self, cells: list[str]) -> None:
        self.write_many([cells])

    def write_many(self, rows: list[list[str]]) -> None:
        append, risky = self._ws.append, _RISKY
        for cells in rows:
            out = [xml_safe(neutralize(c) if c[0] in risky else c) if c else None for c in cells]
            if out and out[-1] is None:
                # Write-only sheets carry no size, so readers end a row at its last cell:
                # an empty last cell keeps every row as wide as the header.
                out[-1] = ""
            append(out)

    def close(self) -> None:
        self._wb.save(self._path)
        self._wb.close()


def open_sink(
    path: Path, fmt: str, *, bom: bool = False, delimiter: str = ","
) -> CsvSink | XlsxSink:
    check_options(fmt, delimiter)
    if fmt == "xlsx":
        return XlsxSink(path)
    return CsvSink(path, bom=bom, delimiter=delimiter)
