"""``already-open`` against the emulator: a create for a customer who waits in an open event.

The open events are created through the emulator's HTTP API, as an agent's system would
have, not by acdload; every new emulator event is open (``AcdEventStatusID`` 1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator
from tests.planning.helpers import (
    HEAD,
    MANIFEST,
    PAYLOADS,
    against,
    create_on_server,
    plan_json,
    server_records,
)

# The load: CB-1 (on the server already), CB-9 (the same customer, a second callback of
# this load) and CB-2 (a customer with an older open callback on the server).
EVENTS = (
    '  - Sender: "+49 170 1234501"\n    UserData: "CB-1"\n'
    '    Body: "Please call back.\\r\\nReason: invoice & <more>\\r\\n"\n'
    '  - Sender: "+49 170 1234501"\n    UserData: "CB-9"\n'
    '  - Sender: "+49 170 1234502"\n    UserData: "CB-2"\n'
)
OLDER = {**PAYLOADS[1], "UserData": "CB-OLD", "Subject": "An older callback"}
TICKET = {**PAYLOADS[1], "AcdEventTypesID": 6, "UserData": "T-1", "Subject": "A ticket"}


def write(checks: str = "") -> None:
    Path(MANIFEST).write_text(HEAD.replace("events:\n", checks + "events:\n") + EVENTS)


@pytest.fixture(autouse=True)
def _load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write()


@pytest.fixture
def server(emulator: RunningEmulator) -> tuple[RunningEmulator, int]:
    """The emulator with CB-1 itself, an older open callback of CB-2's customer, and a
    ticket (another type) of the same customer; the older callback's ID."""
    create_on_server(emulator, [PAYLOADS[0]])
    older, _ = create_on_server(emulator, [OLDER, TICKET])
    return emulator, older


def test_the_json_plan_lists_open_events_of_each_creates_customer(
    cli: Cli,
    server: tuple[RunningEmulator, int],
) -> None:
    emulator, older = server
    options, env = against(emulator)
    result, document = plan_json(cli, MANIFEST, *options, env=env)
    assert result.exit_code == 0, result.output
    noted = [(a["line"], a["action"], a["already_open"]) for a in document["actions"]]
    # CB-9's customer has an open event too: CB-1, this load's own, which is not counted.
    assert noted == [(9, "exists", []), (12, "create", []), (14, "create", [older])]
    assert document["summary"] == {
        "create": 2,
        "exists": 1,
        "drift": 0,
        "expired": 0,
        "already_open": 1,
    }
    assert (
        f"{MANIFEST}:14: warning: +49 170 1234502 already has an open event of type 3 on the "
        f"server (event {older}); this create adds another, so the customer may be called "
        "twice: check the open one first, or set `already-open: off` under checks "
        "[already-open]"
    ) in result.stderr


def test_text_and_markdown_show_a_note(cli: Cli, server: tuple[RunningEmulator, int]) -> None:
    emulator, older = server
    options, env = against(emulator)
    text = cli("plan", MANIFEST, *options, env=env)
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines()[0].startswith(
        "2 to create, 1 unchanged, 0 drifted, 1 create for a customer with open events"
    )
    assert f"      note: already open on the server for this customer: event {older}\n" in (
        text.stdout
    )
    markdown = cli("plan", MANIFEST, *options, "--format", "markdown", env=env)
    assert "| creates for customers with open events | 1 |" in markdown.stdout
    assert "### Already open on the server (1)" in markdown.stdout
    assert (
        f"| `{MANIFEST}:14` | AcdEventTypesID=3, Sender=491701234502, UserData=CB-2 | {older} |"
        in (markdown.stdout)
    )


def test_checks_off_notes_nothing(cli: Cli, server: tuple[RunningEmulator, int]) -> None:
    emulator, _ = server
    write("checks:\n  already-open: off\n")
    options, env = against(emulator)
    result, document = plan_json(cli, MANIFEST, *options, "--strict", env=env)
    assert result.exit_code == 0, result.output
    assert [a["already_open"] for a in document["actions"]] == [[], [], []]
    assert document["summary"]["already_open"] == 0 and "already-open" not in result.stderr


@pytest.mark.parametrize(
    ("checks", "strict"), [("checks:\n  already-open: error\n", False), ("", True)]
)
def test_as_an_error_plan_exits_1_and_apply_sends_nothing(
    cli: Cli, server: tuple[RunningEmulator, int], checks: str, strict: bool
) -> None:
    emulator, older = server
    write(checks)
    options, env = against(emulator)
    options += ["--strict"] if strict else []
    result, document = plan_json(cli, MANIFEST, *options, env=env)
    assert result.exit_code == 1, result.output
    assert document["actions"][2]["already_open"] == [older]  # the plan is still shown
    line = document["actions"][2]["line"]
    assert f"{MANIFEST}:{line}: error: " in result.stderr and "[already-open]" in result.stderr
    before = server_records(emulator)
    applied = cli("apply", MANIFEST, *options, "--yes", env=env)
    assert applied.exit_code == 1, applied.output
    assert "error: an already-open problem is an error here: nothing was sent" in applied.stderr
    assert server_records(emulator) == before


def test_apply_warns_then_creates_and_a_second_plan_notes_nothing(
    cli: Cli,
    server: tuple[RunningEmulator, int],
) -> None:
    emulator, older = server
    options, env = against(emulator)
    applied = cli("apply", MANIFEST, *options, "--yes", "--report", "report.json", env=env)
    assert applied.exit_code == 0, applied.output
    assert f"(event {older}); this create adds another" in applied.stderr
    assert "plan: 2 to create, 1 unchanged, 0 drifted, 1 create for a customer" in applied.stderr
    report = json.loads(Path("report.json").read_text(encoding="utf-8"))
    assert report["summary"]["created"] == 2
    # Now every event of the load exists: nothing is to be created, nothing noted.
    result, document = plan_json(cli, MANIFEST, *options, env=env)
    assert document["summary"]["already_open"] == 0 and "already-open" not in result.stderr
