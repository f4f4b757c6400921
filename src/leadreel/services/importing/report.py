"""The rejected-rows CSV of an import: line number, reason, then the row as it was read.

Why a file and not rows in the database: a bad file can reject most of a million
rows; a CSV in the data dir costs nothing to keep, downloads as is and opens in the
spreadsheet the user fixes it in. Cells are neutralised against formula injection
because that spreadsheet is exactly where they end up.

Resuming: the importer commits per chunk and records the last committed line; a
resumed run first cuts the report back to that line so no rejected row is listed twice.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from leadreel.services.exports.guard import neutralize

REPORT_HEAD = ("line", "reason")


def report_path(data_dir: Path, batch_id: int) -> Path:
    """Where a batch's rejected rows go: `<data_dir>/reports/batch-<id>-rejected.csv`."""
    folder = data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"batch-{batch_id}-rejected.csv"


class ErrorReport:
    """Appends rejected rows; opened lazily so a clean import leaves no file."""

    def __init__(self, path: Path, headers: Sequence[str], *, resume_after: int = 0) -> None:
        self.path = path
        self.headers = list(headers)
        self.count = 0
        self._fh: TextIO | None = None
        self._writer: Any = None
        if resume_after and path.exists():
            self._truncate_after(resume_after)
        elif path.exists():
            path.unlink()

    def _truncate_after(self, last_line: int) -> None:
        """Keep only rows up to `last_line` (those belong to committed chunks)."""
        tmp = self.path.with_suffix(".tmp")
        with (
            self.path.open(newline="", encoding="utf-8") as src,
            tmp.open("w", newline="", encoding="utf-8") as dst,
        ):
            reader, writer = csv.reader(src), csv.writer(dst)
            for i, row in enumerate(reader):
                if i == 0 or (row and row[0].isdigit() and int(row[0]) <= last_line):
                    writer.writerow(row)
                    self.count += i > 0
        os.replace(tmp, self.path)

    def add(self, line: int, reason: str, values: Sequence[str] | None) -> None:
        """Append one rejected row (its cells as read, neutralised)."""
        if self._writer is None:
            new = not self.path.exists()
            self._fh = self.path.open("a", newline="", encoding="utf-8")
            self._writer = csv.writer(self._fh)
            if new:
                self._writer.writerow([*REPORT_HEAD, *(neutralize(h) for h in self.headers)])
        cells = list(values or [])
        self._writer.writerow([line, neutralize(reason), *(neutralize(c) for c in cells)])
        self.count += 1

    def flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            self._writer = None
