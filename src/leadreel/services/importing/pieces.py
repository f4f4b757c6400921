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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadreel.services.importing.parsing import (
    FileFormat,
    FileLimitError,
    Limits,
    Record,
    allow_big_cells,
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
        except (_NotCuttable, _NeedsRepair):
            pass
    return Scan(count_records(path, fmt, limits), None)


def count_records(path: Path, fmt: FileFormat, limits: Limits) -> int:
    """Read the whole file once (raises ImportFileError): its number of data rows."""
    if fmt.kind != "csv":
        return sum(1 for _ in iter_records(path, fmt, limits=limits))
    try:
        return _text_pass(path, fmt, limits, 0)[0]
    except _NeedsRepair:  # an unclosed quote: count the records the repairing reader yields
        return sum(1 for _ in iter_records(path, fmt, limits=limits))


def _scan_bytes(path: Path, fmt: FileFormat, limits: Limits, piece_rows: int) -> Scan:
    rows, cut_lines = _text_pass(path, fmt, limits, piece_rows)
    offsets = _line_offsets(path, cut_lines)
    if offsets is None:
        raise _NotCuttable
    size = path.stat().st_size
    starts = [(0, 1), *zip(offsets, cut_lines, strict=True)]
    pieces = [
        Piece(start, end, line)
        for (start, line), end in zip(starts, [*offsets, size], strict=True)
        if end > start
    ]
    return Scan(rows, pieces)


def _text_pass(path: Path, fmt: FileFormat, limits: Limits, every: int) -> tuple[int, list[int]]:
    """Count the data rows by `parsing.iter_records`' rules; with `every`, also the line
    on which each piece after the first starts (a piece every `every` rows)."""
    try:
        return _count(path, fmt, limits, every, strip_nul=False)
    except _HasNul:
        return _count(path, fmt, limits, every, strip_nul=True)


class _HasNul(Exception):
    pass


class _NeedsRepair(Exception):
    """A record spans lines with the wrong width: an unclosed quote (parsing repairs it)."""


def _count(
    path: Path, fmt: FileFormat, limits: Limits, every: int, *, strip_nul: bool
) -> tuple[int, list[int]]:
    allow_big_cells()
    count, cuts, start, last_multi = 0, [], 1, 0
    header_line, max_rows, width = fmt.header_line, limits.max_rows, len(fmt.headers)
    with path.open("r", encoding=fmt.encoding, errors="replace", newline="") as fh:
        lines: Any = (
            (ln.replace("\x00", "") if "\x00" in ln else ln for ln in fh) if strip_nul else fh
        )
        reader = csv.reader(lines, delimiter=fmt.delimiter or ",")
        try:
            for row in reader:
                if start > header_line and (
                    (row and row[0].strip()) or any(c.strip() for c in row)
                ):
                    count += 1
                    if count > max_rows:
                        raise FileLimitError("data rows", max_rows, count, at_least=True)
                    if every and count % every == 0:
                        cuts.append(reader.line_num + 1)
                if reader.line_num > start:
                    if len(row) != width:
                        raise _NeedsRepair
                    last_multi = reader.line_num
                start = reader.line_num + 1
        except csv.Error as exc:
            if "NUL" in str(exc) and not strip_nul:
                raise _HasNul from exc
            raise _NeedsRepair from exc  # the repairing reader rejects just the broken record
    if last_multi and last_multi == start - 1 and '"' not in _last_line(path):
        raise _NeedsRepair  # the file ends inside a quoted cell
    return count, cuts


def _last_line(path: Path) -> str:
    """The file's last non-empty line (enough bytes of it to see a quote)."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 65536))
        tail = fh.read().rstrip(b"\r\n")
    return tail.rsplit(b"\n", 1)[-1].decode("latin-1")


_BLOCK = 1 << 20


def _line_offsets(path: Path, lines: list[int]) -> list[int] | None:
    """The byte offset at which each of `lines` (ascending) starts; None when a bare CR
    makes the byte lines differ from the text reader's lines."""
    offsets: list[int] = []
    want = iter(lines)
    target = next(want, None)
    line, pos = 1, 0  # `line` starts at byte `pos` of the file
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            if block.endswith(b"\r"):
                block += fh.read(1)  # keep a CR LF pair in one block
            if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
                return None
            i = 0
            while target is not None and line + block.count(b"\n", i) >= target:
                while line < target:
                    i = block.index(b"\n", i) + 1
                    line += 1
                offsets.append(pos + i)
                target = next(want, None)
            line += block.count(b"\n", i)
            pos += len(block)
    while target == line + 1:  # a cut after the last record of a file without a final newline
        offsets.append(pos)
        target = next(want, None)
    return offsets if target is None else None


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
    allow_big_cells()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter or ",")
    width = len(fmt.headers)
    start = piece.line
    for cells in reader:
        line, start = start, piece.line + reader.line_num
        if line <= fmt.header_line or not any(c.strip() for c in cells):
            continue
        yield shape_record(line, cells, width)
