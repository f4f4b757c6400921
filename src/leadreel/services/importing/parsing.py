"""Read lead files (CSV, TSV, XLSX) as a stream of text records.

Why streamed: an import may be a million rows; only a small sample is ever
held in memory (to detect encoding, delimiter and header). Every value comes
back as text exactly as written ("007" stays "007", "NA" stays "NA"): deciding
what a value means is the normaliser's job, not the reader's.

Errors:
    ImportFileError        the file cannot be read at all (human message)
     └─ FileLimitError     a configured size limit was exceeded (names limit and value)
A row with the wrong number of cells is not an exception: its `Record` carries
an `error` so the importer can report it and go on.

Hostile files lose only what is broken:
- a cell may be as large as the file (the csv module's 128 KB field limit is lifted);
  the normaliser keeps `MAX_CELL_CHARS` of it and names the row in the warnings;
- a quote opened and never closed swallows the rest of the file in a plain csv
  reader. Here a record that spans several lines and has the wrong width is taken
  back: its first line goes to the rejected rows and reading resumes on the next
  line, so every other row imports, the last one included;
- up to `Limits.max_columns` (20,000) columns are read; the mapper keeps the lead
  fields and at most 500 other columns as extra fields, with a warning.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from charset_normalizer import from_bytes

from leadreel.services.importing.repair import (  # noqa: F401 - re-exported
    FIELD_SIZE_LIMIT,
    MAX_RECORD_LINES,
    UNBALANCED_QUOTE,
    allow_big_cells,
    repairing_rows,
)

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
SAMPLE_ROWS = 50
HEADER_SEARCH_ROWS = 10


class ImportFileError(Exception):
    """The file cannot be imported; the message is meant for the user."""


class FileLimitError(ImportFileError):
    """A size limit was exceeded; carries the limit name, limit and actual value."""

    def __init__(self, what: str, limit: int, actual: int, *, at_least: bool = False) -> None:
        self.what, self.limit, self.actual = what, limit, actual
        more = "more than " if at_least else ""
        super().__init__(f"file has {more}{actual:,} {what}; the limit is {limit:,}")


@dataclass(frozen=True, slots=True)
class Limits:
    """Upper bounds checked while reading; tests and settings pass smaller ones."""

    max_bytes: int = 512 * 1024 * 1024
    max_rows: int = 2_000_000
    max_columns: int = 20_000

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_rows", "max_columns"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")


@dataclass(frozen=True, slots=True)
class FileFormat:
    """How a file is written, as found by `sniff`."""

    kind: Literal["csv", "xlsx"]
    encoding: str | None
    delimiter: str | None
    header_line: int  # 1-based physical line (CSV) or sheet row (XLSX) of the header
    headers: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON for the batch row (`ImportBatch.file_format`)."""
        return {
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_line": self.header_line,
            "headers": list(self.headers),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileFormat:
        return cls(
            kind=data["kind"],
            encoding=data.get("encoding"),
            delimiter=data.get("delimiter"),
            header_line=int(data["header_line"]),
            headers=tuple(data["headers"]),
        )


@dataclass(frozen=True, slots=True)
class Record:
    """One data row: its 1-based physical line, its cells, and why it is broken (if it is)."""

    line: int
    values: list[str]
    error: str | None = field(default=None)


# ---- public API -------------------------------------------------------------


def sniff(path: str | os.PathLike[str], *, limits: Limits = Limits()) -> FileFormat:
    """Detect kind, encoding, delimiter and header row from the start of the file."""
    p = _checked_path(path, limits)
    head = _read_head(p)
    if head.startswith(b"PK\x03\x04"):
        sheet_rows = list(_xlsx_rows(p, stop=HEADER_SEARCH_ROWS + SAMPLE_ROWS))
        header_line, headers = _find_header(sheet_rows, limits)
        return FileFormat("xlsx", None, None, header_line, headers)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("old Excel .xls files are not supported; save as .xlsx or CSV")
    if not head.strip():
        raise ImportFileError("the file is empty")
    encoding = detect_encoding(head)
    text = _decode_sample(head, encoding)
    if _is_binary(text):
        raise ImportFileError("this is not a CSV, TSV or Excel (.xlsx) file")
    delimiter = detect_delimiter(text)
    rows = _csv_lines(text.splitlines(keepends=True), delimiter)
    header_line, headers = _find_header(rows, limits)
    return FileFormat("csv", encoding, delimiter, header_line, headers)


def iter_records(
    path: str | os.PathLike[str], fmt: FileFormat, *, limits: Limits = Limits()
) -> Iterator[Record]:
    """Yield the data rows after the header, streamed; empty rows are skipped."""
    p = _checked_path(path, limits)
    width = len(fmt.headers)
    count = 0
    for item in _raw_rows(p, fmt):
        line, cells = item[0], item[1]
        if line <= fmt.header_line or not any(c.strip() for c in cells):
            continue
        count += 1
        if count > limits.max_rows:
            raise FileLimitError("data rows", limits.max_rows, count, at_least=True)
        if len(item) == 3:
            yield Record(line, cells, item[2])  # type: ignore[misc]
        else:
            yield shape_record(line, cells, width)


def read_sample(
    path: str | os.PathLike[str], fmt: FileFormat, n: int = 20, *, limits: Limits = Limits()
) -> list[Record]:
    """The first `n` data records, for mapping previews and AI prompts."""
    out: list[Record] = []
    for rec in iter_records(path, fmt, limits=limits):
        out.append(rec)
        if len(out) >= n:
            break
    return out


def detect_encoding(head: bytes) -> str:
    """Guess the text encoding from the first bytes of a file."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    even, odd = head[0:200:2], head[1:200:2]
    if head and odd.count(0) > len(odd) * 0.6 and even.count(0) < len(even) * 0.1:
        return "utf-16-le"
    if head and even.count(0) > len(even) * 0.6 and odd.count(0) < len(odd) * 0.1:
        return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        western = codecs.getincrementaldecoder("cp1252")().decode(head, final=False)
    except UnicodeDecodeError:
        western = None
    if western is not None and _looks_western(western):
        return "cp1252"
    best = from_bytes(head).best()
    if best is not None:
        return str(best.encoding)
    return "latin-1"


def _looks_western(text: str) -> bool:
    """True when non-ASCII characters are sparse Western letters (é, ü, ñ) among ASCII ones.

    Cyrillic or Greek bytes also decode as cp1252 "letters", but then almost every
    letter is non-ASCII; in French or German text only a few are.
    """
    extra = [ch for ch in text if ord(ch) > 127]
    letters = sum(1 for ch in extra if "\u00c0" <= ch <= "\u00ff" or ch in "ŒœŠšŽžŸ€–—‘’“”")
    alpha = sum(1 for ch in text if ch.isalpha())
    return letters >= 0.8 * len(extra) and len(extra) <= 0.3 * max(alpha, 1)


def detect_delimiter(text: str) -> str:
    """Pick the delimiter that splits the sample into the most consistent, widest rows.

    Excel's own hint line (`sep=;`) wins when present.
    """
    lines = text.splitlines(keepends=True)[:SAMPLE_ROWS]
    if lines and lines[0].strip().lower().startswith("sep=") and len(lines[0].strip()) == 5:
        return lines[0].strip()[4]
    best, best_score = ",", (-1.0, 0)
    for delim in DELIMITERS:
        widths = [len(r) for _, r in _csv_lines(lines, delim) if any(c.strip() for c in r)]
        if not widths:
            continue
        width, hits = Counter(widths).most_common(1)[0]
        score = (hits / len(widths) if width > 1 else 0.0, width)
        if score > best_score:
            best, best_score = delim, score
    return best


# ---- helpers ----------------------------------------------------------------


def _is_binary(text: str) -> bool:
    """Control characters other than tab/newline in the sample mean a binary file."""
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f")
    return controls > max(2, len(sample) // 100)


def _checked_path(path: str | os.PathLike[str], limits: Limits) -> Path:
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"cannot open the file: {exc.strerror or exc}") from exc
    if size > limits.max_bytes:
        raise FileLimitError("bytes", limits.max_bytes, size)
    return p


def _read_head(p: Path) -> bytes:
    try:
        with p.open("rb") as fh:
            return fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise ImportFileError(f"cannot read the file: {exc.strerror or exc}") from exc


def _decode_sample(head: bytes, encoding: str) -> str:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    if len(head) >= SAMPLE_BYTES:  # drop a possibly cut last line
        text = text[: max(text.rfind("\n"), 0)]
    return text


def _csv_lines(lines: Iterable[str], delimiter: str) -> list[tuple[int, list[str]]]:
    """Parse a small list of lines, tolerating a sample cut inside a quoted field."""
    allow_big_cells()
    out: list[tuple[int, list[str]]] = []
    reader = csv.reader(iter(lines), delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            out.append((start, row))
            start = reader.line_num + 1
    except csv.Error:
        pass
    return out


def _find_header(rows: list[tuple[int, list[str]]], limits: Limits) -> tuple[int, tuple[str, ...]]:
    """The header is the first row as wide as most rows below it (skips "Exported ..." lines)."""
    rows = [(n, _trim_right(r)) for n, r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ImportFileError("no header row found: the file has no text in its first rows")
    widths = Counter(len(r) for _, r in rows)
    width = max(widths, key=lambda w: (widths[w], w))
    header = next(
        (
            (n, r)
            for n, r in rows[:HEADER_SEARCH_ROWS]
            if len(r) >= width and sum(1 for c in r if c.strip()) >= max(1, width // 2)
        ),
        rows[0],
    )
    line, cells = header
    if len(cells) > limits.max_columns:
        raise FileLimitError("columns", limits.max_columns, len(cells))
    return line, _unique_headers(cells)


def _trim_right(cells: list[str]) -> list[str]:
    end = len(cells)
    while end > 1 and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _unique_headers(cells: list[str]) -> tuple[str, ...]:
    seen: Counter[str] = Counter()
    out: list[str] = []
    for i, raw in enumerate(cells, start=1):
        name = " ".join(raw.replace("\ufeff", "").split()) or f"Column {i}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return tuple(out)


def shape_record(line: int, cells: list[str], width: int) -> Record:
    """A record of `width` cells; a row wider (with text) or narrower gets an error."""
    if len(cells) > width:
        if any(c.strip() for c in cells[width:]):
            return Record(line, cells, f"row has {len(cells)} cells, the header has {width}")
        cells = cells[:width]
    elif len(cells) < width:
        padded = cells + [""] * (width - len(cells))
        return Record(line, padded, f"row has {len(cells)} cells, the header has {width}")
    return Record(line, cells)


def _raw_rows(p: Path, fmt: FileFormat) -> Iterator[Any]:
    if fmt.kind == "xlsx":
        yield from _xlsx_rows(p)
        return
    assert fmt.encoding and fmt.delimiter
    with p.open("r", encoding=fmt.encoding, errors="replace", newline="") as fh:
        yield from repairing_rows(_without_nul(fh), fmt.delimiter, len(fmt.headers))


def _without_nul(lines: Iterable[str]) -> Iterator[str]:
    """Drop NUL characters (broken exports have them; Python 3.11's csv refuses them)."""
    for line in lines:
        yield line.replace("\x00", "") if "\x00" in line else line


def _xlsx_rows(p: Path, stop: int | None = None) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # noqa: PLC0415 - heavy, only for XLSX files

    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad zip/xml
        raise ImportFileError(f"cannot open the spreadsheet: {exc}") from exc
    try:
        ws = wb.worksheets[0]
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if stop is not None and n > stop:
                break
            yield n, [_cell_text(v) for v in row]
    finally:
        wb.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    return text.replace("\x00", "") if "\x00" in text else text  # as the CSV reader does
