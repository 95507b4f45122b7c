"""CSV reading: exact cells, the physical line where each row starts, located problems."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from acdload.manifest.sources import CsvTable
from acdload.manifest.sources.csv_source import detect_delimiter, read_csv, read_csv_text
from acdload.problems import Problem, Severity


def read(text: str, delimiter: str | None = None) -> tuple[CsvTable, list[Problem]]:
    table, problems = read_csv_text(text, "load.csv", delimiter=delimiter)
    assert table is not None, problems
    return table, problems


def where(problems: list[Problem]) -> list[tuple[int, int | None, str]]:
    return [(p.location.line, p.location.column, p.rule) for p in problems]


# --- lines, blank lines, line ends ----------------------------------------------------


def test_rows_carry_their_starting_physical_line() -> None:
    text = 'a,b\n1,"two\nlines"\n\n3,4\n"x\n\ny",5\n6,7\n'
    table, problems = read(text)
    assert problems == []
    assert table.header_line == 1
    assert table.rows == [
        (2, ["1", "two\nlines"]),
        (5, ["3", "4"]),
        (6, ["x\n\ny", "5"]),
        (9, ["6", "7"]),
    ]


def test_crlf_lf_and_cr_line_ends_count_the_same_lines() -> None:
    for end in ("\n", "\r\n", "\r"):
        table, problems = read(end.join(["a,b", "1,2", "", "3,4", ""]))
        assert problems == []
        assert table.rows == [(2, ["1", "2"]), (4, ["3", "4"])], repr(end)


def test_blank_lines_before_the_header_are_skipped() -> None:
    table, _ = read("\n  \nAcdEventTypesID,Sender\n3,49170\n")
    assert table.header == ["AcdEventTypesID", "Sender"]
    assert table.header_line == 3
    assert table.rows == [(4, ["3", "49170"])]


# --- cells ----------------------------------------------------------------------------


def test_cells_are_kept_exactly() -> None:
    table, _ = read('Sender,Subject,nPriority\n0041791234567, spaced ,"007"\n')
    assert table.rows == [(2, ["0041791234567", " spaced ", "007"])]


def test_formula_guards_are_removed_from_data_cells_only() -> None:
    table, _ = read("'=h,b\n'=SUM(A1),'+49170\n'x,it's\n")
    assert table.header == ["'=h", "b"]
    assert table.rows == [(2, ["=SUM(A1)", "+49170"]), (3, ["'x", "it's"])]


# --- delimiter ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("a,b,c", ","),
        ("a;b;c", ";"),
        ("a\tb\tc", "\t"),
        ("a;b,c", ","),  # a tie favours ','
        ("a\tb;c", ";"),
        ('"x;y;z",b,c', ","),  # delimiters inside quotes do not count
        ("single", ","),
    ],
)
def test_delimiter_detection(header: str, delimiter: str) -> None:
    assert detect_delimiter(header) == delimiter


def test_detected_delimiter_is_used_and_recorded() -> None:
    table, _ = read("Sender;Subject\n49170;Hi, there\n")
    assert table.delimiter == ";"
    assert table.rows == [(2, ["49170", "Hi, there"])]


def test_given_delimiter_wins_over_detection() -> None:
    table, _ = read("a;b,c\n1;2,3\n", delimiter=";")
    assert table.header == ["a", "b,c"]


def test_a_delimiter_must_be_one_character() -> None:
    table, problems = read_csv_text("a,b\n", "load.csv", delimiter="tab")
    assert table is None
    assert where(problems) == [(1, None, "csv-syntax")]
    assert "delimiter 'tab' cannot be used" in problems[0].message


# --- header ---------------------------------------------------------------------------


def test_header_names_are_trimmed_of_spaces_and_bom() -> None:
    table, problems = read("\ufeff Sender ,\tSubject \n1,2\n")
    assert problems == []
    assert table.header == ["Sender", "Subject"]


def test_bom_inside_the_first_header_cell_is_dropped() -> None:
    table, _ = read('"\ufeffSender",b\n1,2\n')
    assert table.header == ["Sender", "b"]


def test_empty_header_cell_is_an_error_at_its_column() -> None:
    table, problems = read("\na,,c\n1,2,3\n")
    assert where(problems) == [(2, 2, "csv-header")]
    assert problems[0].message.startswith("column 2 has no name in the header line")
    assert problems[0].severity is Severity.ERROR
    assert table.rows == [(3, ["1", "2", "3"])]


def test_duplicate_header_name_is_an_error_at_the_later_column() -> None:
    _, problems = read("Sender,Subject, Sender\n1,2,3\n")
    assert where(problems) == [(1, 3, "csv-header")]
    assert "'Sender' appears twice in the header line (columns 1 and 3)" in problems[0].message


@pytest.mark.parametrize("text", ["", "\n\n", "\r\n \r\n"])
def test_empty_file_has_no_header_line(text: str) -> None:
    table, problems = read_csv_text(text, "load.csv")
    assert table is None
    assert where(problems) == [(1, None, "csv-header")]
    assert "no header line" in problems[0].message


# --- rows that do not fit -------------------------------------------------------------


def test_row_with_too_many_cells_is_dropped_with_an_error() -> None:
    table, problems = read("Sender,Subject\n49170,Hello, world\n49171,Hi\n")
    assert where(problems) == [(2, 3, "csv-row-length")]
    assert problems[0].message.startswith("row has 3 cells but the header has 2 columns")
    assert "quote cells that contain ','" in problems[0].message
    assert table.rows == [(3, ["49171", "Hi"])]


def test_row_with_too_few_cells_is_dropped_with_an_error() -> None:
    table, problems = read("a;b;c\n1;2\n")
    assert where(problems) == [(2, None, "csv-row-length")]
    assert problems[0].message.startswith("row has 2 cells but the header has 3 columns")
    assert table.rows == []


def test_every_bad_row_is_reported() -> None:
    _, problems = read("a,b\n1\n2,3\n4,5,6\n")
    assert where(problems) == [(2, None, "csv-row-length"), (4, 3, "csv-row-length")]


# --- quoting errors -------------------------------------------------------------------


def test_unterminated_quote_is_reported_where_the_cell_starts() -> None:
    table, problems = read('a,b,c\n1,2,3\n4,5,"six\n7,8,9\n')
    assert where(problems) == [(3, 3, "csv-syntax")]
    assert "closing '\"' is missing" in problems[0].message
    assert table.rows == [(2, ["1", "2", "3"])]


def test_unterminated_quote_in_a_row_that_started_lines_before() -> None:
    _, problems = read('a,b\n"multi\nline","open\n3,4\n')
    assert where(problems) == [(3, 2, "csv-syntax")]


def test_unterminated_quote_longer_than_the_csv_field_limit() -> None:
    _, problems = read('a,b\n1,"' + "x" * 200_000 + "\n")
    assert where(problems) == [(2, 2, "csv-syntax")]
    assert "closing '\"' is missing" in problems[0].message


def test_closed_cell_longer_than_the_csv_field_limit() -> None:
    table, problems = read('a,b\n1,"' + "x" * 200_000 + '"\n2,3\n')
    assert where(problems) == [(2, None, "csv-syntax")]
    assert "longer than 131,072 characters" in problems[0].message
    assert table.rows == [(3, ["2", "3"])]


def test_text_after_a_closing_quote_is_an_error_and_reading_goes_on() -> None:
    table, problems = read('a,b,c\n1,"say "hi"",3\n4,5,6\n')
    assert where(problems) == [(2, 2, "csv-syntax")]
    assert 'write a quote as two ("")' in problems[0].message
    assert table.rows == [(3, ["4", "5", "6"])]


def test_unterminated_quote_in_the_header() -> None:
    table, problems = read_csv_text('"a,b\n1,2\n', "load.csv")
    assert table is None
    assert where(problems) == [(1, 1, "csv-syntax")]


# --- files and encodings --------------------------------------------------------------


def test_read_csv_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"\xef\xbb\xbfSender,Subject\r\n49170,R\xc3\xbcckruf\r\n")
    table, problems = read_csv(path, "data/e.csv")
    assert problems == []
    assert table is not None
    assert table.header == ["Sender", "Subject"]
    assert table.rows == [(2, ["49170", "Rückruf"])]


def test_read_csv_in_a_given_encoding(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("Sender;Subject\n49170;Rückruf für Müller\n".encode("cp1252"))
    table, problems = read_csv(path, "excel.csv", encoding="cp1252")
    assert problems == []
    assert table is not None
    assert table.rows == [(2, ["49170", "Rückruf für Müller"])]


def test_undecodable_bytes_name_the_line_and_the_encoding_option(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("Sender;Subject\n49170;ok\n49171;Rückruf\n".encode("cp1252"))
    table, problems = read_csv(path, "in/excel.csv")
    assert table is None
    assert [(p.location.file, p.location.line, p.location.column) for p in problems] == [
        ("in/excel.csv", 3, None)  # for CSV a column is a CSV column, unknown here
    ]
    assert problems[0].rule == "encoding"
    assert "byte 0xFC is not valid utf-8" in problems[0].message
    assert "`encoding: cp1252`" in problems[0].message


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(b"a,b\n")
    for name in ("latin-99", "base64"):
        table, problems = read_csv(path, "e.csv", encoding=name)
        assert table is None
        assert where(problems) == [(1, None, "encoding")]
        assert f"unknown encoding {name!r}" in problems[0].message


def test_utf16_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes("a,b\n1,2\n".encode("utf-16"))
    _, problems = read_csv(path, "e.csv")
    assert where(problems) == [(1, None, "encoding")]
    assert problems[0].message.startswith("the file is UTF-16, not UTF-8")


def test_given_delimiter_through_read_csv(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("a|b\n1|2\n", encoding="utf-8")
    table, _ = read_csv(path, "e.csv", delimiter="|")
    assert table is not None
    assert table.rows == [(2, ["1", "2"])]


@pytest.mark.parametrize("text", ["a,b\n1,2\n", 'a,b\n1,"2\n', ""])
def test_the_garbage_collector_state_is_restored(text: str) -> None:
    assert gc.isenabled()
    read_csv_text(text, "load.csv")
    assert gc.isenabled()
    gc.disable()
    try:
        read_csv_text(text, "load.csv")
        assert not gc.isenabled()
    finally:
        gc.enable()
