"""Reading lead files: encodings, delimiters, junk lines, XLSX, ragged rows, limits, streaming."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import openpyxl
import pytest

from leadreel.services.importing.parsing import (
    UNBALANCED_QUOTE,
    FileLimitError,
    ImportFileError,
    Limits,
    iter_records,
    read_sample,
    sniff,
)

TEXT = "First Name,Last Name,Email\nJosé,Müller,jose@acme.de\nRenée,Dürr,renee@acme.fr\n"


def rows(path: Path) -> list[list[str]]:
    return [r.values for r in iter_records(path, sniff(path))]


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf-16", b"", "utf-16"),  # Excel "Unicode text": BOM + UTF-16-LE
        ("cp1252", b"", "cp1252"),
    ],
)
def test_encodings_decode_accents(write_file, encoding, prefix, expected):
    path = write_file(prefix + TEXT.encode(encoding))
    fmt = sniff(path)
    assert fmt.encoding == expected
    assert fmt.headers == ("First Name", "Last Name", "Email")  # no BOM glued to the header
    assert rows(path) == [["José", "Müller", "jose@acme.de"], ["Renée", "Dürr", "renee@acme.fr"]]


def test_utf16_tab_separated_excel_unicode_text(write_file):
    path = write_file(TEXT.replace(",", "\t").encode("utf-16"))
    fmt = sniff(path)
    assert (fmt.delimiter, fmt.encoding) == ("\t", "utf-16")
    assert rows(path)[1] == ["Renée", "Dürr", "renee@acme.fr"]


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_each_delimiter(write_file, delim):
    text = f'Name{delim}Company{delim}Revenue\nAna Lima{delim}"Acme, Inc"{delim}"1,5"\n'
    path = write_file(text)
    assert sniff(path).delimiter == delim
    assert rows(path) == [["Ana Lima", "Acme, Inc", "1,5"]]


def test_quoted_newlines_and_line_numbers(write_file):
    path = write_file('Name,Notes\nAna,"line one\nline two"\nBob,plain\n')
    records = list(iter_records(path, sniff(path)))
    assert [r.values for r in records] == [["Ana", "line one\nline two"], ["Bob", "plain"]]
    assert [r.line for r in records] == [2, 4]  # physical lines, for error reports


def test_junk_line_above_header_and_empty_rows_skipped(write_file):
    path = write_file("Exported from CRM on 2026-01-01\n\nName,Email,Zip\n,,\nAna,a@x.io,01234\n\n")
    fmt = sniff(path)
    assert fmt.header_line == 3
    assert fmt.headers == ("Name", "Email", "Zip")
    records = list(iter_records(path, fmt))
    assert [(r.line, r.values) for r in records] == [(5, ["Ana", "a@x.io", "01234"])]


def test_values_stay_text(write_file):
    path = write_file("Zip,Phone,Country\n00501,0049301234,NA\n")
    assert rows(path) == [["00501", "0049301234", "NA"]]


def test_ragged_rows_are_reported_not_fatal(write_file):
    path = write_file("A,B,C\n1,2,3\n1,2\n1,2,3,4\n1,2,3,,\n")
    records = list(iter_records(path, sniff(path)))
    assert [r.error is None for r in records] == [True, False, False, True]
    assert records[1].error == "row has 2 cells, the header has 3"
    assert records[1].values == ["1", "2", ""]
    assert records[2].error == "row has 4 cells, the header has 3"
    assert records[3].values == ["1", "2", "3"]  # trailing empty cells are just trimmed


def test_duplicate_and_blank_headers_made_unique(write_file):
    path = write_file("Email,,Email\na@x.io,b,c@x.io\n")
    assert sniff(path).headers == ("Email", "Column 2", "Email (2)")


def test_xlsx(tmp_path):
    path = tmp_path / "leads.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Report generated 2026-01-01"])
    ws.append(["Name", "Zip", "Employees", "Note"])
    ws.append(["Zoë Faure", "01234", 12, None])
    ws.append([None, None, None, None])
    ws.append(["Bob Ray", "NA", 2.5, "ok"])
    wb.save(path)
    fmt = sniff(path)
    assert (fmt.kind, fmt.header_line) == ("xlsx", 2)
    assert fmt.headers == ("Name", "Zip", "Employees", "Note")
    records = list(iter_records(path, fmt))
    assert [(r.line, r.values) for r in records] == [
        (3, ["Zoë Faure", "01234", "12", ""]),
        (5, ["Bob Ray", "NA", "2.5", "ok"]),
    ]


def test_unreadable_files(write_file, tmp_path):
    with pytest.raises(ImportFileError, match="cannot open"):
        sniff(tmp_path / "missing.csv")
    with pytest.raises(ImportFileError, match="empty"):
        sniff(write_file(b""))
    with pytest.raises(ImportFileError, match="xls"):
        sniff(write_file(b"\xd0\xcf\x11\xe0" + b"\0" * 100, name="old.xls"))
    with pytest.raises(ImportFileError, match="spreadsheet"):
        sniff(write_file(b"PK\x03\x04garbage", name="bad.xlsx"))


def test_size_limits_name_limit_and_actual(write_file):
    path = write_file("A,B,C\n" + "1,2,3\n" * 5)
    with pytest.raises(FileLimitError, match=r"file has 36 bytes; the limit is 10") as exc:
        sniff(path, limits=Limits(max_bytes=10))
    assert (exc.value.limit, exc.value.actual) == (10, 36)
    with pytest.raises(FileLimitError, match=r"3 columns; the limit is 2"):
        sniff(path, limits=Limits(max_columns=2))
    fmt = sniff(path)
    with pytest.raises(FileLimitError, match=r"more than 4 data rows; the limit is 3"):
        list(iter_records(path, fmt, limits=Limits(max_rows=3)))
    assert len(read_sample(path, fmt, n=2)) == 2
    with pytest.raises(ValueError, match="max_rows"):
        Limits(max_rows=0)


def test_big_file_is_streamed(tmp_path):
    path = tmp_path / "big.csv"
    line = "Jane,Doe,jane.doe@example.com,+1 512 555 0100,Acme Roofing,https://acme.com\n"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("First,Last,Email,Phone,Company,Website\n")
        for _ in range(10):
            fh.write(line * 10_000)
    fmt = sniff(path)
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_records(path, fmt))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert path.stat().st_size > 7_000_000
    assert peak < 2_000_000  # a few rows in flight, never the file


def test_binary_file_is_refused(write_file):
    with pytest.raises(ImportFileError, match="not a CSV"):
        sniff(write_file(bytes(range(256)) * 20, name="photo.png"))


def test_crlf_single_column_and_header_only(write_file):
    path = write_file(b'Name,Email\r\nAna,"x\r\ny"\r\nBo,b@c.d\r\n')
    assert [(r.line, r.values) for r in iter_records(path, sniff(path))] == [
        (2, ["Ana", "x\r\ny"]),
        (4, ["Bo", "b@c.d"]),
    ]
    single = write_file("Email\na@b.co\n", name="single.csv")
    assert (sniff(single).headers, rows(single)) == (("Email",), [["a@b.co"]])
    empty = write_file("Name,Email\n", name="header.csv")
    assert rows(empty) == []


def test_nul_characters_are_dropped(write_file):
    path = write_file("Name,Email\nAna\x00,a@x.io\n")
    assert rows(path) == [["Ana", "a@x.io"]]


def test_unclosed_quote_rejects_its_line_and_reads_on(write_file):
    path = write_file('Name,Notes\nAna,"never closed\n' + "x" * 200_000 + ",long\nBo,ok\n")
    got = [(r.line, r.error) for r in iter_records(path, sniff(path))]
    assert got == [(2, UNBALANCED_QUOTE), (3, None), (4, None)]


def test_excel_sep_hint_line(write_file):
    path = write_file("sep=;\nName;Revenue\nAna;1,5\n")
    fmt = sniff(path)
    assert (fmt.delimiter, fmt.header_line, fmt.headers) == (";", 2, ("Name", "Revenue"))
    assert rows(path) == [["Ana", "1,5"]]
