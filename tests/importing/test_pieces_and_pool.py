"""Cutting a file into byte ranges must read exactly what the streamed reader reads;
the normalising processes must give the in-process result or fail loudly."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from leadreel.services.importing import pool
from leadreel.services.importing.mapping import propose_mapping
from leadreel.services.importing.normalize import Column
from leadreel.services.importing.parsing import (
    UNBALANCED_QUOTE,
    FileLimitError,
    Limits,
    iter_records,
    read_sample,
    sniff,
)
from leadreel.services.importing.pieces import Piece, count_records, iter_piece, scan
from leadreel.services.importing.prepare import RowPreparer, prepare_work
from leadreel.services.importing.writer import column_lengths

HEAD = "First Name,Last Name,Email,Notes\n"


def body(n: int) -> str:
    return "".join(f"P{i},Q{i},p{i}@acme{i % 7}.com,note {i}\n" for i in range(n))


def streamed(path: Path) -> list[tuple[int, list[str], str | None]]:
    return [(r.line, r.values, r.error) for r in iter_records(path, sniff(path))]


def by_pieces(path: Path, every: int) -> list[tuple[int, list[str], str | None]]:
    fmt = sniff(path)
    scanned = scan(path, fmt, Limits(), every)
    assert scanned.pieces is not None, "expected a cuttable file"
    out = [(r.line, r.values, r.error) for p in scanned.pieces for r in iter_piece(path, fmt, p)]
    assert scanned.rows == sum(1 for _ in iter_records(path, fmt))
    return out


@pytest.mark.parametrize(
    "content",
    [
        pytest.param((HEAD + body(23)).encode(), id="plain"),
        pytest.param(b"\xef\xbb\xbf" + (HEAD + body(23)).encode(), id="utf8-bom"),
        pytest.param((HEAD + body(23)).replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(
            ("Exported 2026-01-01 by CRM\n\n" + HEAD + body(11) + ",,,\n\n" + body(9)).encode(),
            id="junk-line-and-empty-rows",
        ),
        pytest.param(
            (
                HEAD + 'Ann,Lee,ann@x.io,"two\nline, note"\n' + body(7) + 'Bo,Ng,bo@x.io,"a\r\nb"\n'
            ).encode(),
            id="quoted-newlines",
        ),
        pytest.param((HEAD + "Zoë,Dürr,z@x.de,café\n" + body(9)).encode("cp1252"), id="cp1252"),
        pytest.param((HEAD + "A,B,a@x.io,x\x00y\n" + body(6)).encode(), id="nul"),
        pytest.param(
            (HEAD + "A,B,a@x.io\n" + "C,D,c@x.io,n,extra\n" + body(6)).encode(), id="ragged"
        ),
        pytest.param((HEAD + body(10)).rstrip("\n").encode(), id="no-final-newline"),
    ],
)
@pytest.mark.parametrize("every", [1, 3, 1000])
def test_pieces_read_exactly_the_streamed_records(write_file, content, every) -> None:
    path = write_file(content)
    assert by_pieces(path, every) == streamed(path)


def test_pieces_start_on_record_boundaries(write_file) -> None:
    path = write_file(HEAD + 'A,B,a@x.io,"line one\nline two"\n' + body(5))
    scanned = scan(path, sniff(path), Limits(), 1)
    assert scanned.pieces is not None
    data = path.read_bytes()
    starts = [p.start for p in scanned.pieces[1:]]
    assert all(data[s - 1 : s] == b"\n" for s in starts)
    assert [p.line for p in scanned.pieces[:3]] == [1, 4, 5]  # the quoted record spans 2-3


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("a,b\r1,2\r3,4\r", id="bare-cr-line-ends"),
        pytest.param('a,b\n1,"x\ry"\n3,4\n', id="bare-cr-inside-a-field"),
    ],
)
def test_bare_cr_files_are_read_by_the_streamed_reader(write_file, content) -> None:
    path = write_file(content)
    fmt = sniff(path)
    scanned = scan(path, fmt, Limits(), 1)
    assert scanned.pieces is None
    assert scanned.rows == count_records(path, fmt, Limits()) == len(streamed(path))


def test_utf16_is_not_cut_but_still_counted(write_file) -> None:
    path = write_file((HEAD + body(4)).encode("utf-16"))
    scanned = scan(path, sniff(path), Limits(), 2)
    assert scanned.pieces is None and scanned.rows == 4


def test_scan_of_a_broken_or_too_long_file(write_file) -> None:
    """An unclosed quote is not cut into pieces (the repairing reader reads it whole);
    too many rows is refused before anything is written."""
    broken = write_file(HEAD + body(3) + 'X,Y,z,"never closed\n' + "x" * 200_000, name="b.csv")
    fmt = sniff(broken)
    found = scan(broken, fmt, Limits(), 2)
    records = list(iter_records(broken, fmt))
    assert found.pieces is None and found.rows == len(records)
    assert [r.line for r in records if r.error == UNBALANCED_QUOTE] == [5]
    long = write_file(HEAD + body(30), name="l.csv")
    with pytest.raises(FileLimitError, match="more than 21"):
        scan(long, sniff(long), Limits(max_rows=20), 7)


def preparer_for(path: Path) -> tuple[list[Column], RowPreparer]:
    fmt = sniff(path)
    proposal = propose_mapping(fmt.headers, [r.values for r in read_sample(path, fmt)])
    columns = [Column(c.index, c.header, c.field) for c in proposal.columns]
    return columns, RowPreparer(columns, "US", column_lengths())


def run_pool(path: Path, work, *, file: Path | None = None, **options) -> list:
    """Everything `pool.prepare_all` yields for `work` (pieces of `path`'s format)."""
    columns, _ = preparer_for(path)
    return list(
        pool.prepare_all(
            work,
            columns=columns,
            region="US",
            lengths=column_lengths(),
            path=file or path,
            fmt=sniff(path),
            **options,
        )
    )


def test_pool_processes_give_the_in_process_rows_in_order(write_file) -> None:
    path = write_file(HEAD + body(230) + "A,B,not-an-email,x\n" + ",,,\n" + "A,B\n")
    fmt = sniff(path)
    _, preparer = preparer_for(path)
    pieces = scan(path, fmt, Limits(), 17).pieces
    assert pieces is not None and len(pieces) > 10
    expected = [prepare_work(preparer, path, fmt, p) for p in pieces]
    got = run_pool(path, pieces, workers=2, ahead=3)
    assert got == expected
    assert any(r.error for chunk in got for r in chunk)  # rejected rows come back too


def test_pool_error_names_the_piece(write_file) -> None:
    path = write_file(HEAD + body(20))
    gone = Piece(10**9, 10**9 + 10, 99)  # past the end of the file: reads nothing...
    missing = path.with_name("gone.csv")  # ...but this file does not exist at all
    with pytest.raises(pool.PoolError, match="piece 0 failed: FileNotFoundError"):
        run_pool(path, [gone], file=missing, workers=1)


def test_pool_child_death_is_an_error_not_a_hang(write_file, monkeypatch) -> None:
    path = write_file(HEAD + body(20))
    pieces = scan(path, sniff(path), Limits(), 5).pieces
    started: list[pool._Child] = []
    real_submit = pool._Child.submit

    def submit_then_kill(self, number, work):  # the child dies after its first request
        real_submit(self, number, work)
        if number == 0:
            started.append(self)
            self.proc.kill()
            self.proc.wait()

    monkeypatch.setattr(pool._Child, "submit", submit_then_kill)
    with pytest.raises(pool.PoolError, match="normalising process"):
        run_pool(path, pieces, workers=1, ahead=1)
    assert started and started[0].proc.returncode is not None


def test_prepared_rows_pickle_compactly(write_file) -> None:
    """Repeated values are one object, so pickle writes them once per piece."""
    path = write_file(HEAD + "".join(f"Ann,Lee,a{i}@x.io,same note\n" for i in range(200)))
    fmt = sniff(path)
    _, preparer = preparer_for(path)
    rows = prepare_work(preparer, path, fmt, scan(path, fmt, Limits(), 500).pieces[0])
    assert len({id(r.lead[0]) for r in rows}) == 1  # "Ann" is shared
    assert len(pickle.dumps(rows)) < 200 * 120


def test_short_columns_are_known_to_the_preparer() -> None:
    """`prepare` skips the length check for rows of short values: the limits it assumes
    must be the models' (a new short column must be added to `prepare._SHORT`)."""
    from leadreel.services.importing import prepare

    for entity, limits in column_lengths().items():
        for key, limit in limits.items():
            assert limit >= prepare._USUAL_LIMIT or key in prepare._SHORT, (entity, key, limit)


def test_long_values_are_cut_to_their_column(write_file) -> None:
    path = write_file("Name,Email,Zip,Company\nAnn Lee,ann@x.io," + "9" * 40 + ",Acme\n")
    fmt = sniff(path)
    _, preparer = preparer_for(path)
    rows = prepare_work(preparer, path, fmt, scan(path, fmt, Limits(), 10).pieces[0])
    from leadreel.fields import COMPANY_KEYS

    mask_keys = [k for i, k in enumerate(COMPANY_KEYS) if rows[0].company_mask >> i & 1]
    assert dict(zip(mask_keys, rows[0].company, strict=True))["company_postal_code"] == "9" * 32
