"""Hostile values in the callability keys (calling_hours, holidays, double_booking, checks).

A pull request's author writes these keys. Each case in ``callability_keys/`` is a manifest
read by acdload's own YAML reader, with an ``expect:`` of the rule it must break and text
its message must show; adding an attack is adding a file. For every case: no exception,
the expected problem, every message escaped (no raw control, bidi or ANSI characters) and
short, and the whole case read in well under the time a CI job would notice.

The keys are not yet wired into the manifest reader (issue 13, phase 2); until then these
cases call the library the reader will call, with the values the reader will hand it.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acdload.check.rules.callability import KEYS, read_rules
from acdload.manifest.sources.yaml_source import load_yaml_text
from tests.check.support import BERLIN, NOW, callback

CASES = sorted((Path(__file__).parent / "callability_keys").glob("*.yaml"))
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
LONGEST_MESSAGE = 700


def assert_safe(message: str) -> None:
    assert not UNSAFE.search(message), message
    assert len(message) <= LONGEST_MESSAGE, message


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_hostile_key_values_are_located_escaped_problems(case: Path) -> None:
    data, problems = load_yaml_text(case.read_text(encoding="utf-8"), case.name)
    assert not problems and isinstance(data, dict)
    expect: Any = data.pop("expect")
    began = time.perf_counter()
    _, issues = read_rules(data)
    assert time.perf_counter() - began < 5
    broken = [issue for issue in issues if issue.rule == expect["rule"]]
    assert broken, issues
    assert any(expect["says"] in issue.message for issue in broken), [i.message for i in broken]
    for issue in issues:
        assert_safe(issue.message)
        assert issue.key[0] in KEYS


def test_a_sender_that_is_no_number_is_quoted_escaped_in_a_finding() -> None:
    rules, _ = read_rules({"calling_hours": {"mon-sun": "08:00-20:00"}})
    assert rules is not None
    payload = callback("\x1b[2J\u202e0170", "2027-03-08", "22:00")
    (finding,) = rules.check(payload, BERLIN, NOW)
    assert_safe(finding.message)
    assert "'\\x1b[2J\\u202e0170'" in finding.message


HUGE = st.builds(pow, st.just(10), st.just(5000))  # beyond int -> str conversion's limit
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE
    | st.text(max_size=40)
    | st.sampled_from(["mon-fri", "08:00-20:00", "24:00-24:00", "DE-BY", "2h", "off", "types"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={key: VALUES for key in KEYS}))
def test_no_value_of_any_key_raises_or_prints_unescaped(manifest: dict[str, object]) -> None:
    rules, issues = read_rules(manifest)
    for issue in issues:
        assert_safe(issue.message)
    if rules is not None:
        for finding in rules.check(callback("4930901820", "2027-03-07", "23:59"), BERLIN, NOW):
            assert_safe(finding.message)


def test_numbers_too_long_for_str_are_named_not_converted() -> None:
    # Any YAML loader but acdload's own gives unquoted digits as ints; str() refuses these.
    huge = 10**5000
    _, issues = read_rules(
        {"checks": {huge: "off"}, "calling_hours": {huge: "08:00-20:00", "types": [huge]}}
    )
    assert [issue.rule for issue in issues] == ["checks-syntax", *["calling-hours-syntax"] * 2]
    for issue in issues:
        assert_safe(issue.message)
        assert "a number too long to show" in issue.message
