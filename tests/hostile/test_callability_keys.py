"""Hostile values in the callability keys (calling_hours, holidays, double_booking, checks).

A pull request's author writes these keys. Each case in ``callability_keys/`` is the keys'
part of a manifest with an ``expect:`` of the rule it must break and text its message must
show; adding an attack is adding a file. Each is run as ``acdload validate`` runs it (in
a manifest with ``version: 1`` and one callback): exit 1, the expected problem at a line
of the case's keys, every line of output escaped (no raw control, bidi or ANSI
characters) and short, and the whole run in well under the time a CI job would notice.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from acdload.check.rules.callability import KEYS, read_rules
from tests.check.support import BERLIN, NOW, callback
from tests.cli_runner import Cli

CASES = sorted((Path(__file__).parent / "callability_keys").glob("*.yaml"))
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
LONGEST_MESSAGE = 700
EVENT = """\
events:
  - {AcdEventTypesID: 3, AcdGroupsID: 235, Sender: "+49 170 1234567", Subject: x,
     UserData: CB-1, dtAppointmentDate: "2027-03-08", dtAppointmentTime: "10:00"}
"""


def assert_safe(message: str) -> None:
    assert not UNSAFE.search(message), message
    assert len(message) <= LONGEST_MESSAGE, message


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_hostile_key_values_are_located_escaped_problems(
    cli: Cli, case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = case.read_text(encoding="utf-8")
    keys, _, tail = text.partition("\nexpect:\n")
    expect: Any = yaml.safe_load("expect:\n" + tail)["expect"]
    monkeypatch.chdir(tmp_path)
    Path("callbacks.yaml").write_text("version: 1\n" + keys + "\n" + EVENT, encoding="utf-8")
    first_key = 2 + next(n for n, line in enumerate(keys.splitlines()) if not line.startswith("#"))
    last_key = 1 + len(keys.splitlines())
    began = time.perf_counter()
    args = ["validate", "callbacks.yaml", "--now", "2026-11-28T12:00:00"]
    result = cli(*args)
    assert time.perf_counter() - began < 5
    assert result.exit_code == 1, result.output
    for line in result.output.splitlines():
        assert_safe(line)
    broken = [
        line
        for line in result.stdout.splitlines()
        if line.endswith(f"[{expect['rule']}]") and expect["says"] in line
    ]
    assert broken, result.stdout
    where = re.match(r"callbacks\.yaml:([0-9]+):[0-9]+: error: ", broken[0])
    assert where is not None and first_key <= int(where.group(1)) <= last_key, broken[0]


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
