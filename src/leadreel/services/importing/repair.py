"""Read CSV records so that a broken one costs only itself.

Why: Python's csv module, meeting a quote that is never closed, reads the rest of the
file into one cell; a plain import then loses every row after it (or, at the end of the
file, silently keeps garbage). `repairing_rows` watches what each record took: a record
over several lines with the wrong width, or whose last line has no quote at all (the
file ended inside the quoted cell), is taken back. Its first line is reported as the
broken record and reading resumes on the next line, so every other row imports, the
last one included. The csv field limit (128 KB) is lifted too: one huge cell must not
abort a file (the normaliser cuts cells to `normalize.MAX_CELL_CHARS`).

The per-line cost is one small Python call; byte-range pieces read by the pool keep the
plain csv reader, because `pieces.scan` sends a file with a broken record here instead.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

#: The csv module's per-field limit, lifted so one huge cell cannot abort a file.
FIELD_SIZE_LIMIT = 1 << 30
#: A record spanning more lines than this is an unclosed quote, whatever its width.
MAX_RECORD_LINES = 10_000
UNBALANCED_QUOTE = "a quote opened on this line is never closed; the line is not imported"
UNREADABLE = "the csv reader cannot read this line; it is not imported"


def allow_big_cells() -> None:
    """Lift the csv module's field limit (process-wide; called before every reader)."""
    if csv.field_size_limit() != FIELD_SIZE_LIMIT:
        csv.field_size_limit(FIELD_SIZE_LIMIT)


class _RunawayRecord(Exception):
    pass


class _Lines:
    """The lines a csv reader pulls, with push-back and a record of what it took."""

    __slots__ = ("back", "src", "taken")

    def __init__(self, src: Iterable[str]) -> None:
        self.src = iter(src)
        self.back: list[str] = []
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.back.pop() if self.back else next(self.src)
        self.taken.append(line)
        if len(self.taken) > MAX_RECORD_LINES:
            raise _RunawayRecord
        return line


def repairing_rows(
    lines: Iterable[str], delimiter: str, width: int
) -> Iterator[tuple[int, list[str]] | tuple[int, list[str], str]]:
    """(line, cells) per record; an unclosed quote yields (line, [text], reason) for its
    first line only and reading goes on from the next line (see the module docstring)."""
    allow_big_cells()
    src = _Lines(lines)
    reader = csv.reader(src, delimiter=delimiter)
    start = 1
    while True:
        src.taken = []
        try:
            row: list[str] | None = next(reader)
        except StopIteration:
            return
        except (csv.Error, _RunawayRecord):
            row = None
            reader = csv.reader(src, delimiter=delimiter)  # a fresh state after the error
        taken = src.taken
        # A record over several lines is broken when its width is wrong, or when its
        # last line has no quote at all: then the file ended inside the quoted cell.
        if len(taken) > 1 and (row is None or len(row) != width or '"' not in taken[-1]):
            src.back.extend(reversed(taken[1:]))
            yield start, [taken[0].rstrip("\r\n")], UNBALANCED_QUOTE
            start += 1
            continue
        if row is None:  # one line the csv module cannot read: that line only is lost
            if not taken:
                return
            yield start, [taken[0].rstrip("\r\n")], UNREADABLE
            start += len(taken)
            continue
        yield start, row
        start += len(taken)
