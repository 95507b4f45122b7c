"""``apply --canary N``: the first N creates go first; the rest only if all N succeeded.

Against the emulator, with a group that does not exist as the canary's fault. The
journal and the server's list make the continuation exact: a later run sends what was
held back, and never a canary event a second time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.applying.support import (
    environment,
    ids_by_key,
    load_report,
    server_records,
    write_csv,
)
from tests.cli.test_apply_prompt import on_a_terminal
from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator

MISSING_GROUP = 999


@pytest.fixture
def groups_emulator(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> RunningEmulator:
    """An emulator on which only group 235 exists."""
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups: [{id: 235}]\n", encoding="utf-8")
    return emulator_factory(groups=groups)


def load_with_bad_second_event(path: Path, count: int = 5, bad: bool = True) -> None:
    rows = [
        {
            "AcdEventTypesID": 3,
            "AcdGroupsID": MISSING_GROUP if bad and n == 1 else 235,
            "Sender": f"+49 170 {2000000 + n}",
            "Subject": f"Callback {n}",
            "UserData": f"C-{n}",
        }
        for n in range(count)
    ]
    write_csv(path, 0, rows=rows)


def apply(cli: Cli, emulator: RunningEmulator, *args: str) -> tuple[int, str]:
    done = cli(
        "apply", "load.csv", "--yes", "--base-url", emulator.base_url, "--journal", "j.jsonl",
        *args, env={"ACDLOAD_TOKEN": emulator.token},
    )  # fmt: skip
    return done.exit_code, done.output


def test_a_failing_canary_with_yes_stops_with_exit_1_and_the_rest_unsent(
    tmp_path: Path, groups_emulator: RunningEmulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    load_with_bad_second_event(tmp_path / "load.csv")
    code, output = apply(cli, groups_emulator, "--canary", "2", "--report", "r.json")
    assert code == 1, output
    assert "canary: the first 2 creates:\n" in output
    assert (
        "  created       load.csv:2  event 1  AcdEventTypesID=3 Sender=491702000000 UserData=C-0\n"
        in output
    )
    assert (
        "  failed        load.csv:3  no event  AcdEventTypesID=3 Sender=491702000001 UserData=C-1"
        in output
    )
    assert "canary: 1 of 2 failed; the other 3 creates were not sent\n" in output
    assert "error: the canary failed; the other 3 creates were not sent\n" in output
    assert "hint: fix the failed events" in output
    assert "interrupted" not in output and "Traceback" not in output
    assert len(server_records(groups_emulator)) == 1
    outcomes = [r["outcome"] for r in load_report(tmp_path / "r.json")["results"]]
    assert outcomes == ["created", "failed", "not_attempted", "not_attempted", "not_attempted"]

    # Fixed and run again: only what is left is sent, the canary's event never twice. (The
    # stopped run counts as unfinished, so its failed create is looked up before it is sent
    # again, after --timeout and the settle wait: a short timeout keeps this test fast.)
    load_with_bad_second_event(tmp_path / "load.csv", bad=False)
    code, output = apply(
        cli, groups_emulator, "--canary", "2", "--report", "r.json", "--timeout", "0.4"
    )
    assert code == 0, output
    outcomes = [r["outcome"] for r in load_report(tmp_path / "r.json")["results"]]
    assert outcomes == ["created"] * 5  # the first: created by this load in an earlier run
    assert "canary: all 2 succeeded; sending the other 2 creates\n" in output
    on_server = ids_by_key(server_records(groups_emulator))
    assert len(on_server) == 5 and all(len(ids) == 1 for ids in on_server.values())


def test_a_passing_canary_with_yes_sends_the_rest_at_once(
    tmp_path: Path, groups_emulator: RunningEmulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    load_with_bad_second_event(tmp_path / "load.csv", bad=False)
    code, output = apply(cli, groups_emulator, "--canary", "3")
    assert code == 0, output
    assert "canary: all 3 succeeded; sending the other 2 creates\n" in output
    assert "apply: 5 created" in output
    assert len(server_records(groups_emulator)) == 5


def test_a_canary_with_creates_in_parallel_is_refused_before_anything_is_sent(
    tmp_path: Path, groups_emulator: RunningEmulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With N creates in flight, those after the canary would start before its outcomes
    are known: the combination is a usage error, and nothing is sent."""
    monkeypatch.chdir(tmp_path)
    load_with_bad_second_event(tmp_path / "load.csv", bad=False)
    code, output = apply(cli, groups_emulator, "--canary", "2", "--parallel", "4")
    assert code == 2, output
    assert "error: canary=2 with parallel=4: the canary is sent one create at a time" in output
    assert "hint: run apply --canary N first, then apply --parallel N" in output
    assert server_records(groups_emulator) == []


def test_a_canary_as_large_as_the_load_asks_nothing_more(
    tmp_path: Path, groups_emulator: RunningEmulator, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    load_with_bad_second_event(tmp_path / "load.csv", count=2, bad=False)
    code, output = apply(cli, groups_emulator, "--canary", "5")
    assert code == 0, output
    assert "canary" not in output
    assert len(server_records(groups_emulator)) == 2


@pytest.mark.parametrize("answer", [b"y", b"n"])
def test_on_a_terminal_a_passing_canary_asks_again(
    tmp_path: Path, groups_emulator: RunningEmulator, answer: bytes
) -> None:
    load_with_bad_second_event(tmp_path / "load.csv", bad=False)
    args = ["apply", "load.csv", "--canary", "2", "--base-url", groups_emulator.base_url]
    code, output = on_a_terminal(tmp_path, args, environment(groups_emulator), [b"y", answer])
    assert f"Canary passed: send the other 3 creates to {groups_emulator.base_url}? [y/N]" in output
    assert "canary: the first 2 creates:\n  created " in output
    if answer == b"y":
        assert code == 0, output
        assert len(server_records(groups_emulator)) == 5
        return
    assert code == 1, output
    assert "error: apply cancelled after the canary; the other 3 creates were not sent" in output
    assert len(server_records(groups_emulator)) == 2
    # Run again with --yes: the three held back, and nothing twice.
    code, _ = on_a_terminal(tmp_path, [*args, "--yes"], environment(groups_emulator), [])
    assert code == 0
    on_server = ids_by_key(server_records(groups_emulator))
    assert len(on_server) == 5 and all(len(ids) == 1 for ids in on_server.values())


def test_on_a_terminal_a_failing_canary_stops_without_asking(
    tmp_path: Path, groups_emulator: RunningEmulator
) -> None:
    load_with_bad_second_event(tmp_path / "load.csv")
    args = ["apply", "load.csv", "--canary", "2", "--base-url", groups_emulator.base_url]
    code, output = on_a_terminal(tmp_path, args, environment(groups_emulator), [b"y"])
    assert code == 1, output
    assert "Canary passed" not in output
    assert "canary: 1 of 2 failed; the other 3 creates were not sent" in output
    assert len(server_records(groups_emulator)) == 1
