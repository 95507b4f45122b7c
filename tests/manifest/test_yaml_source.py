"""YAML reading: text kept as written, every node located, every trap a located problem."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest

from acdload.manifest.sources import Plain, YList, YMap
from acdload.manifest.sources.yaml_build import MAX_DEPTH
from acdload.manifest.sources.yaml_source import load_yaml, load_yaml_text
from acdload.problems import Problem, Severity


def load(text: str) -> tuple[object | None, list[Problem]]:
    return load_yaml_text(text, "manifests/m.yaml")


def load_ok(text: str) -> object:
    value, problems = load(text)
    assert problems == []
    return value


def where(problems: list[Problem]) -> list[tuple[int, int | None, str]]:
    return [(p.location.line, p.location.column, p.rule) for p in problems]


# --- values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "0041791234567",
        "2026-12-01",
        "1e5",
        "yes",
        "no",
        "on",
        "off",
        "235",
        "1.0",
        "0x1F",
        "12:30",
        ".inf",
        "true",
        "=",
        "Callback for 42",
    ],
)
def test_plain_scalars_keep_exactly_the_text_written(written: str) -> None:
    value = load_ok(f"Sender: {written}\n")
    assert isinstance(value, YMap)
    assert value["Sender"] == written
    assert type(value["Sender"]) is Plain


@pytest.mark.parametrize(
    ("written", "text"),
    [
        ('"0041791234567"', "0041791234567"),
        ("'yes'", "yes"),
        ('"null"', "null"),
        ("''", ""),
        ("!!str 235", "235"),
        ("!!str", ""),
        ("|\n  two\n  lines", "two\nlines\n"),
        (">-\n  folded\n  text", "folded text"),
    ],
)
def test_quoted_block_and_str_tagged_scalars_are_str(written: str, text: str) -> None:
    value = load_ok(f"Subject: {written}\n")
    assert isinstance(value, YMap)
    assert value["Subject"] == text
    assert type(value["Subject"]) is str


@pytest.mark.parametrize("written", ["null", "Null", "NULL", "~", "", "!!null x"])
def test_null_values_are_none(written: str) -> None:
    value = load_ok(f"CrmURL: {written}\nnext: 1\n")
    assert isinstance(value, YMap)
    assert value["CrmURL"] is None


def test_keys_are_plain_str() -> None:
    value = load_ok("1: a\nyes: b\n'q': c\n")
    assert isinstance(value, YMap)
    assert list(value) == ["1", "yes", "q"]
    assert all(type(key) is str for key in value)


def test_flow_collections() -> None:
    value = load_ok("key: [AcdEventTypesID, Sender]\nvars: {a: 1, b: 'x'}\n")
    assert value == {"key": ["AcdEventTypesID", "Sender"], "vars": {"a": "1", "b": "x"}}


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "\ufeff"])
def test_empty_document_is_none_without_problems(text: str) -> None:
    assert load(text) == (None, [])


def test_top_level_scalar_and_list() -> None:
    assert load_ok("just text\n") == "just text"
    value = load_ok("- a\n- b\n")
    assert isinstance(value, YList)
    assert value.item_marks == [(1, 3), (2, 3)]


# --- marks ----------------------------------------------------------------------------


MANIFEST = """\
version: 1
events:
  - AcdEventTypesID: 3
    Sender: "49170"
    CrmURL:
  -   Subject: Rückruf
      Body: |
        Hello
"""


def test_marks_of_mappings_keys_values_and_items() -> None:
    root = load_ok(MANIFEST)
    assert isinstance(root, YMap)
    assert (root.line, root.column) == (1, 1)
    assert root.key_marks == {"version": (1, 1), "events": (2, 1)}
    assert root.value_marks == {"version": (1, 10), "events": (3, 3)}
    events = root["events"]
    assert isinstance(events, YList)
    assert (events.line, events.column) == (3, 3)
    assert events.item_marks == [(3, 5), (6, 7)]
    first, second = events
    assert isinstance(first, YMap) and isinstance(second, YMap)
    assert (first.line, first.column) == (3, 5)
    assert first.key_marks["Sender"] == (4, 5)
    assert first.value_marks["Sender"] == (4, 13)
    assert first.value_marks["AcdEventTypesID"] == (3, 22)
    assert first["CrmURL"] is None
    assert first.key_marks["CrmURL"] == (5, 5)
    assert second.value_marks["Subject"] == (6, 16)  # columns count characters, not bytes
    assert second.value_marks["Body"] == (7, 13)
    assert second["Body"] == "Hello\n"


def test_marks_after_a_bom_and_with_crlf() -> None:
    root = load_ok("\ufeffa: 1\r\nb: 2\r\n")
    assert isinstance(root, YMap)
    assert root.value_marks == {"a": (1, 4), "b": (2, 4)}


def test_load_yaml_reads_a_file_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(b"\xef\xbb\xbfSubject: R\xc3\xbcckruf\n")
    value, problems = load_yaml(path, "m.yaml")
    assert problems == []
    assert value == {"Subject": "Rückruf"}


# --- one document ---------------------------------------------------------------------


def test_a_second_document_is_an_error() -> None:
    value, problems = load("version: 1\n---\nversion: 1\n")
    assert value is None
    assert where(problems) == [(2, 1, "yaml-multiple-documents")]
    assert "a second YAML document starts here ('---')" in problems[0].message


def test_document_markers_around_one_document_are_fine() -> None:
    assert load_ok("---\nversion: 1\n...\n") == {"version": "1"}


# --- duplicate keys -------------------------------------------------------------------


def test_duplicate_key_is_an_error_at_the_later_key() -> None:
    value, problems = load("version: 1\nSender: a\nSubject: s\nSender: b\n")
    assert where(problems) == [(4, 1, "yaml-duplicate-key")]
    assert problems[0].message.startswith(
        "duplicate key 'Sender': it is already set at line 2 of this mapping"
    )
    assert problems[0].field == "Sender"
    assert problems[0].severity is Severity.ERROR
    assert value == {"version": "1", "Sender": "a", "Subject": "s"}  # the first one kept


def test_duplicate_keys_in_nested_and_flow_mappings() -> None:
    _, problems = load("events:\n  - {a: 1, a: 2}\n  - b: 1\n    c: 2\n    b: 3\n")
    assert where(problems) == [(2, 12, "yaml-duplicate-key"), (5, 5, "yaml-duplicate-key")]


def test_keys_that_read_the_same_are_duplicates() -> None:
    _, problems = load("'1': a\n1: b\n")
    assert where(problems) == [(2, 1, "yaml-duplicate-key")]


# --- tags -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "tag"),
    [
        ("a: !!python/object:os.system x\n", 4, "!!python/object:os.system"),
        ("a: !!python/object/apply:os.system [ls]\n", 4, "!!python/object/apply:os.system"),
        ("a: !!int 5\n", 4, "!!int"),
        ("a: !!float 5\n", 4, "!!float"),
        ("a: !!binary aGk=\n", 4, "!!binary"),
        ("a: !!timestamp 2026-12-01\n", 4, "!!timestamp"),
        ("a: !custom x\n", 4, "!custom"),
        ("a: &anchor !!bool yes\n", 4, "!!bool"),
        ("a: !!set {x, y}\n", 4, "!!set"),
        ("a: !!omap [x: 1]\n", 4, "!!omap"),
        ("a: [1, !!int 2]\n", 8, "!!int"),
        ("!!python/name:os.system key: 1\n", 1, "!!python/name:os.system"),
    ],
)
def test_tags_are_rejected_where_written(text: str, column: int, tag: str) -> None:
    value, problems = load(text)
    assert where(problems) == [(1, column, "yaml-tag")]
    assert problems[0].message.startswith(f"YAML tags are not allowed: remove {tag!r}")
    assert value is not None  # the rest of the document is still checked


@pytest.mark.parametrize(
    "text",
    [
        "a: !!str 5\n",
        "a: !!null\n",
        "a: !!map {b: 1}\n",
        "a: !!seq [1]\n",
        "a: 'quoted !!int 5'\n",
        "a: Call back !!\n",
        "a: |\n  !!python/object x\n",
        "a: Hi !there\n",
    ],
)
def test_allowed_tags_and_tag_lookalikes(text: str) -> None:
    load_ok(text)


def test_tag_in_a_later_line_is_reported_there() -> None:
    _, problems = load("events:\n  - Sender: 1\n    Subject: !!python/object:x\n      a: 1\n")
    assert where(problems) == [(3, 14, "yaml-tag")]


# --- anchors, aliases, merge keys -----------------------------------------------------


def test_aliases_are_copies_not_shared_containers() -> None:
    root = load_ok("base: &b {AcdGroupsID: 235}\nevents:\n  - *b\n  - *b\n")
    assert isinstance(root, YMap)
    events = root["events"]
    assert isinstance(events, YList)
    assert events == [{"AcdGroupsID": "235"}, {"AcdGroupsID": "235"}]
    assert events[0] is not events[1] and events[0] is not root["base"]
    assert isinstance(events[0], YMap)
    assert events[0].value_marks["AcdGroupsID"] == (1, 24)  # where the value is written


def test_merge_key_with_explicit_keys_winning() -> None:
    text = (
        "defaults: &d\n  AcdEventTypesID: 3\n  AcdGroupsID: 235\n"
        "event:\n  AcdGroupsID: 7\n  <<: *d\n  Sender: x\n"
    )
    root = load_ok(text)
    assert isinstance(root, YMap)
    event = root["event"]
    assert isinstance(event, YMap)
    assert event == {"AcdGroupsID": "7", "Sender": "x", "AcdEventTypesID": "3"}
    assert list(event) == ["AcdGroupsID", "Sender", "AcdEventTypesID"]  # merged keys last
    assert event.value_marks["AcdGroupsID"] == (5, 16)
    assert event.key_marks["AcdEventTypesID"] == (2, 3)  # where the merged key is written
    assert "<<" not in event


def test_merge_of_several_mappings_earlier_ones_win() -> None:
    root = load_ok("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n")
    assert isinstance(root, YMap)
    assert root["c"] == {"z": "3", "x": "1", "y": "1"}


def test_merge_of_an_inline_mapping_and_nested_merges() -> None:
    root = load_ok("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b}\nd: {<<: {q: 1}}\n")
    assert isinstance(root, YMap)
    assert root["c"] == {"y": "2", "x": "1"}
    assert root["d"] == {"q": "1"}


def test_a_quoted_merge_key_is_an_ordinary_key() -> None:
    assert load_ok("'<<': x\n") == {"<<": "x"}


def test_merge_of_a_non_mapping_is_an_error() -> None:
    value, problems = load("a: &a [1]\nb:\n  <<: *a\n  c: 1\nd:\n  <<: [x]\n")
    assert where(problems) == [(3, 3, "yaml-merge"), (6, 3, "yaml-merge")]
    assert "'<<' merges mappings only" in problems[0].message
    assert isinstance(value, YMap)
    assert value["b"] == {"c": "1"}


def test_two_merge_keys_are_duplicates() -> None:
    _, problems = load("a: &a {x: 1}\nb:\n  <<: *a\n  <<: *a\n")
    assert where(problems) == [(4, 3, "yaml-duplicate-key")]
    assert "duplicate key '<<'" in problems[0].message


def test_undefined_alias_is_a_syntax_problem() -> None:
    value, problems = load("a: 1\nb: *nope\n")
    assert value is None
    assert where(problems) == [(2, 4, "yaml-syntax")]
    assert problems[0].message.startswith("alias *nope has no anchor: write '&nope'")


def test_duplicate_anchor_is_a_syntax_problem() -> None:
    _, problems = load("a: &x 1\nb: &x 2\n")
    assert where(problems) == [(2, 4, "yaml-syntax")]
    assert "already defined at line 1, column 4" in problems[0].message


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_alias_bomb_is_a_clear_error_at_the_alias_that_crosses_the_limit() -> None:
    started = time.perf_counter()
    value, problems = load(BILLION_LAUGHS)
    assert time.perf_counter() - started < 5
    assert value is None
    # 100 nodes written (an alias counts once): the limit is 10 * 100 + 100,000. Lines 1-5
    # expand to 74,737 nodes; the first '*e' of line 6 adds 66,430 and crosses the limit.
    assert where(problems) == [(6, 8, "yaml-alias-bomb")]
    assert problems[0].message.startswith("aliases expand to more than 101,000 nodes")


def test_many_aliases_of_a_small_anchor_are_fine() -> None:
    events = "".join(f"  - <<: *d\n    Sender: '{i}'\n" for i in range(2000))
    root = load_ok("defaults: &d {AcdEventTypesID: 3, AcdGroupsID: 235}\nevents:\n" + events)
    assert isinstance(root, YMap)
    assert isinstance(root["events"], YList)
    assert len(root["events"]) == 2000
    assert root["events"][1999] == {"Sender": "1999", "AcdEventTypesID": "3", "AcdGroupsID": "235"}


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("a: &a [1, *a]\n", 1, 11), ("a: &a\n  b:\n    c: *a\n", 3, 8)],
)
def test_recursive_alias_is_an_error(text: str, line: int, column: int) -> None:
    value, problems = load(text)
    assert value is None
    assert where(problems) == [(line, column, "yaml-alias-bomb")]
    assert problems[0].message.startswith("recursive alias: '*a' is inside the node anchored")


# --- keys -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("~: 1\nb: 2\n", 1, 1, "'~' as a key means null in YAML"),
        ("null: 1\n", 1, 1, "'null' as a key means null in YAML"),
        ("? \n: 1\n", 1, 2, "a key is missing before ':'"),
        ("? [a, b]\n: 1\n", 1, 3, "a key must be a field name, not a list"),
        ("{a: 1}: 2\n", 1, 1, "a key must be a field name, not a mapping"),
    ],
)
def test_keys_must_be_names(text: str, line: int, column: int, message: str) -> None:
    value, problems = load(text)
    assert where(problems) == [(line, column, "yaml-key-type")]
    assert problems[0].message.startswith(message)
    assert isinstance(value, YMap)


# --- syntax errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "fragments"),
    [
        (
            "a: 1\n  b: 2\n",
            2,
            4,
            ["mapping values are not allowed in this context", "check the indentation"],
        ),
        ("a:\n\tb: 1\n", 2, 1, ["YAML indentation must use spaces, not tabs"]),
        (
            "Subject: 'never closed\nb: 2\n",
            3,
            1,
            ["started at line 1", "a quoted value is never closed"],
        ),
        ("a: [1, 2\n", 2, 1, ["'[' list is not closed"]),
        ("- a\nb: 1\n", 2, 1, ["check the indentation of the list items"]),
        ("a: @user\n", 1, 4, ["a value cannot start with '@': quote the value"]),
        ('a: "C:\\q"\n', 1, 7, ["use single quotes"]),
        ("a: b: c\n", 1, 5, ["quote a value containing ': '"]),
    ],
)
def test_syntax_errors_are_located_problems(
    text: str, line: int, column: int, fragments: list[str]
) -> None:
    value, problems = load(text)
    assert value is None
    assert where(problems) == [(line, column, "yaml-syntax")]
    assert problems[0].message.startswith("invalid YAML: ")
    for fragment in fragments:
        assert fragment in problems[0].message


def test_control_character_is_located_by_character() -> None:
    _, problems = load("Subject: Rückruf\nBody: a\x07b\n")
    assert where(problems) == [(2, 8, "yaml-syntax")]
    assert "U+0007" in problems[0].message


# --- nesting --------------------------------------------------------------------------


def test_nesting_deeper_than_the_limit_is_an_error() -> None:
    value, problems = load("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n")
    assert value is None
    # the root mapping is level 1, so the (MAX_DEPTH - 1)th '[' is one too many
    assert where(problems) == [(1, 3 + MAX_DEPTH, "yaml-nesting")]
    assert problems[0].message.startswith(
        f"mappings and lists nest more than {MAX_DEPTH} levels deep here"
    )


@pytest.mark.parametrize("text", ["[" * 60_000 + "]" * 60_000, "- " * 60_000 + "x\n"])
def test_nesting_that_would_crash_libyaml_is_caught_first(text: str) -> None:
    value, problems = load(text)
    assert value is None
    assert [p.rule for p in problems] == ["yaml-nesting"]
    assert problems[0].location.line == 1


def test_nesting_at_the_limit_is_fine() -> None:
    lists = MAX_DEPTH - 1  # the root mapping is the first level
    expected: list[object] = []
    for _ in range(lists - 1):
        expected = [expected]
    assert load_ok("a: " + "[" * lists + "]" * lists + "\n") == {"a": expected}


# --- encoding -------------------------------------------------------------------------


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes("version: 1\nSubject: Rückruf\n".encode("cp1252"))
    value, problems = load_yaml(path, "in/m.yaml")
    assert value is None
    assert [(p.location.file, p.location.line, p.location.column) for p in problems] == [
        ("in/m.yaml", 2, 11)
    ]
    assert problems[0].rule == "encoding"
    assert problems[0].message == (
        "byte 0xFC is not valid utf-8; save the file as UTF-8 (YAML files are UTF-8)"
    )


def test_problems_carry_the_display_path(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    _, problems = load_yaml(path, "./rel/m.yaml")
    assert [str(p.location) for p in problems] == ["./rel/m.yaml:2:1"]


# --- the garbage collector is paused only while loading -------------------------------


@pytest.mark.parametrize("text", ["a: 1\n", "a: [\n", BILLION_LAUGHS])
def test_the_garbage_collector_state_is_restored(text: str) -> None:
    assert gc.isenabled()
    load(text)
    assert gc.isenabled()
    gc.disable()
    try:
        load(text)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_utf16_yaml_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes("a: 1\n".encode("utf-16"))
    value, problems = load_yaml(path, "m.yaml")
    assert value is None
    assert where(problems) == [(1, 1, "encoding")]
    assert problems[0].message.startswith("the file is UTF-16, not UTF-8; save the file as UTF-8")
