"""Cut a CSV file into byte ranges of whole records, and read one range.

Why: reading and normalising the rows is most of a big import's CPU. With the file cut
into pieces, each pool process reads its own pieces straight from the file: the
importing process hands out (start, end, line) triples instead of rows, and the CSV is
parsed only twice in all (the validation pass here, and once in the pool).

The cut points come from the validation pass, which parses the whole file with the
csv module before anything is written, so a quoted newline never splits a record and
a broken file fails before the first row is stored. Only files whose encoding writes
newlines, quotes and delimiters as single ASCII bytes can be cut (UTF-8, cp1252,
Latin-1 ...), and only when no line ends with a bare CR (the text reader counts those
as line ends, the byte reader would not). UTF-16 files, bare-CR files and XLSX sheets
get `Scan.pieces = None`: the importing process reads their records itself.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadreel.services.importing.parsing import (
    FileFormat,
    FileLimitError,
    ImportFileError,
    Limits,
    Record,
    iter_records,
    shape_record,
)

#: Codec names (as `codecs.lookup` spells them) whose newline, quote and delimiters are
#: single ASCII bytes that never occur inside another character.
_CUTTABLE = frozenset(
    {"utf-8", "utf-8-sig", "ascii", "latin-1", "iso8859-15", "cp1250", "cp1252", "cp1257"}
)


@dataclass(frozen=True, slots=True)
class Piece:
    """Bytes `start`..`end` of the file hold whole records; the first is on `line`."""

    start: int
    end: int
    line: int


@dataclass(frozen=True, slots=True)
class Scan:
    """What the validation pass found: the data rows, and the pieces (None: not cuttable)."""

    rows: int
    pieces: list[Piece] | None


class _NotCuttable(Exception):
    pass


def cuttable(fmt: FileFormat) -> bool:
    """Can this file be cut into byte ranges (before looking at its lines)?"""
    if fmt.kind != "csv" or not fmt.encoding:
        return False
    return codecs.lookup(fmt.encoding).name in _CUTTABLE


def scan(path: Path, fmt: FileFormat, limits: Limits, piece_rows: int) -> Scan:
    """Validate the whole file (raises ImportFileError) and cut it every `piece_rows` rows."""
    if cuttable(fmt):
        try:
            return _scan_bytes(path, fmt, limits, piece_rows)
        except _NotCuttable:
            pass
    return Scan(count_records(path, fmt, limits), None)


def count_records(path: Path, fmt: FileFormat, limits: Limits) -> int:
    """Read the whole file once (raises ImportFileError): its number of data rows."""
    if fmt.kind != "csv":
        return sum(1 for _ in iter_records(path, fmt, limits=limits))
    with path.open("r", encoding=fmt.encoding, errors="replace", newline="") as fh:
        lines = (line.replace("\x00", "") if "\x00" in line else line for line in fh)
        return _count(csv.reader(lines, delimiter=fmt.delimiter or ","), fmt, limits, None)


def _scan_bytes(path: Path, fmt: FileFormat, limits: Limits, piece_rows: int) -> Scan:
    assert fmt.encoding
    first_codec = fmt.encoding
    rest_codec = "utf-8" if codecs.lookup(fmt.encoding).name == "utf-8-sig" else fmt.encoding
    offset = 0

    def lines(fh: io.BufferedReader) -> Iterator[str]:
        nonlocal offset
        codec = first_codec
        for raw in fh:
            offset += len(raw)
            if b"\r" in raw and (raw.count(b"\r") > 1 or not raw.endswith(b"\r\n")):
                raise _NotCuttable
            text = raw.decode(codec, errors="replace")
            codec = rest_codec
            yield text.replace("\x00", "") if "\x00" in text else text

    cuts: list[tuple[int, int]] = []  # (byte offset, line) after every piece_rows rows
    with path.open("rb") as fh:
        reader = csv.reader(lines(fh), delimiter=fmt.delimiter or ",")
        rows = _count(reader, fmt, limits, lambda line: cuts.append((offset, line)), piece_rows)
    pieces: list[Piece] = []
    start, line = 0, 1
    for end, next_line in cuts:
        pieces.append(Piece(start, end, line))
        start, line = end, next_line
    if start < offset:
        pieces.append(Piece(start, offset, line))
    return Scan(rows, pieces)


def _count(
    reader: Any,
    fmt: FileFormat,
    limits: Limits,
    cut: Callable[[int], None] | None,
    every: int = 0,
) -> int:
    """Count data rows by `parsing.iter_records`' rules; `cut(next_line)` after every `every`."""
    count = 0
    start = 1
    try:
        for row in reader:
            if start > fmt.header_line and any(c.strip() for c in row):
                count += 1
                if count > limits.max_rows:
                    raise FileLimitError("data rows", limits.max_rows, count, at_least=True)
                if cut is not None and count % every == 0:
                    cut(reader.line_num + 1)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(f"cannot parse line {start}: {exc} (an unclosed quote?)") from exc
    return count


def iter_piece(path: Path, fmt: FileFormat, piece: Piece) -> Iterator[Record]:
    """The data records of one piece, exactly as `parsing.iter_records` yields them."""
    assert fmt.encoding
    with path.open("rb") as fh:
        fh.seek(piece.start)
        data = fh.read(piece.end - piece.start)
    codec = fmt.encoding
    if piece.start > 0 and codecs.lookup(codec).name == "utf-8-sig":
        codec = "utf-8"
    text = data.decode(codec, errors="replace")
    if "\x00" in text:
        text = text.replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter or ",")
    width = len(fmt.headers)
    start = piece.line
    for cells in reader:
        line, start = start, piece.line + reader.line_num
        if line <= fmt.header_line or not any(c.strip() for c in cells):
            continue
        yield shape_record(line, cells, width)
