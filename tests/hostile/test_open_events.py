"""``already-open`` reads what a server says about statuses and customers: a new way in.

A server (or a proxy, or a tampered account) can list any status, any Sender and any
number of open events. Only an ``AcdEventStatusID`` that is the whole number 1 counts as
open (docs/manifest.md says why); a value that only looks like it (``"1"``, ``true``,
``1.0``) does not, nothing the server wrote beyond event IDs reaches a message, and a
customer with thousands of open events gives one short message, not thousands of lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.applying.support import write_csv
from tests.cli_runner import Cli
from tests.hostile.jtel_script import JtelScript, invoke_acdload

CUSTOMER = "491701000001"  # the Sender of U-1 in write_csv's load


def record(event_id: int, status: Any, **fields: Any) -> dict[str, Any]:
    return {
        "ID": event_id,
        "AcdEventTypesID": 3,
        "AcdGroupsID": 235,
        "Sender": CUSTOMER,
        "UserData": f"OTHER-{event_id}",
        "Subject": "\x1b]0;pwned\x07 an older callback",
        "AcdEventStatusID": status,
        **fields,
    }


def plan(
    cli: Cli, tmp_path: Path, script: JtelScript, *args: str
) -> tuple[int, dict[str, Any], str]:
    run = invoke_acdload(
        cli, tmp_path, "plan", "load.csv", "--base-url", script.base_url, "--format", "json", *args
    )
    return run.returncode, json.loads(run.stdout) if run.stdout else {}, run.stderr


def test_only_the_whole_number_1_is_open_and_a_customer_is_matched_by_digits(
    cli: Cli,
    tmp_path: Path,
) -> None:
    write_csv(tmp_path / "load.csv", 2)
    with JtelScript() as script:
        script.events += [
            record(1, 1),  # open
            record(2, 20),  # the reference's old event: not open
            record(3, 2),  # the emulator's seeded closed events
            record(4, "1"),
            record(5, True),
            record(6, 1.0),
            record(7, None),
            record(8, {"ID": 1}),
            record(9, [1]),
            record(10, 1, AcdEventTypesID="3", Sender="+49 170 1000001"),  # the same customer
            record(11, 1, Sender="0049 (170) 100-0001"),  # the same customer
            record(12, 1, Sender="\x1b[2J491701000001"),  # not a number: another customer
            record(13, 1, AcdEventTypesID=6),  # another type
            record(14, 1, AcdEventTypesID=None, Sender=None),
            {k: v for k, v in record(15, 1).items() if k != "AcdEventStatusID"},
        ]
        code, document, stderr = plan(cli, tmp_path, script)
    assert code == 0, stderr
    assert [a["already_open"] for a in document["actions"]] == [[], [1, 10, 11]]
    assert "Traceback" not in stderr and "\x1b" not in stderr and "pwned" not in stderr
    assert "already has 3 open events of type 3 on the server (event 1, 10, 11)" in stderr


def test_thousands_of_open_events_give_one_short_message(cli: Cli, tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 2)
    with JtelScript() as script:
        script.events += [record(n, 1) for n in range(1, 5001)]
        code, document, stderr = plan(cli, tmp_path, script)
    assert code == 0, stderr
    assert document["actions"][1]["already_open"] == list(range(1, 5001))
    (line,) = [line for line in stderr.splitlines() if "[already-open]" in line]
    assert "5000 open events of type 3 on the server (event 1, 2, 3, 4, 5 and 4995 more)" in line
    assert len(line) < 400


def test_an_edited_already_open_in_a_saved_plan_neither_sends_nor_blocks(
    cli: Cli,
    tmp_path: Path,
) -> None:
    """The notes are what the server said at plan time; a plan file is input, so they are
    checked for shape, and they never change what is sent."""
    write_csv(tmp_path / "load.csv", 1)
    with JtelScript() as script:
        out = invoke_acdload(
            cli, tmp_path, "plan", "load.csv", "--base-url", script.base_url, "--out", "plan.json"
        )
        assert out.returncode == 0, out.stderr
        saved = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
        saved["actions"][0]["already_open"] = [7, 8]
        (tmp_path / "plan.json").write_text(json.dumps(saved), encoding="utf-8")
        applied = invoke_acdload(
            cli, tmp_path, "apply", "plan.json", "--base-url", script.base_url, "--yes"
        )
        assert applied.returncode == 0, applied.output
        assert len(script.events) == 1  # sent once, as planned
        saved["actions"][0]["already_open"] = ["\x1b[2J"]
        (tmp_path / "plan.json").write_text(json.dumps(saved), encoding="utf-8")
        damaged = invoke_acdload(
            cli, tmp_path, "apply", "plan.json", "--base-url", script.base_url, "--yes"
        )
    assert damaged.returncode == 2, damaged.output
    assert "already_open is not a list of event IDs" in damaged.stderr
    assert len(script.events) == 1
