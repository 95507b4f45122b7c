"""The stage calls as a Python job uses them, against the emulator (a real server in a
thread) or a scripted server that counts every request: what comes back, what is raised,
and that nothing is sent before the caller can stop it."""

from __future__ import annotations

import json
import logging
import socket
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import acdload
from tests.applying.support import server_records, write_csv
from tests.emulator_support import RunningEmulator
from tests.hostile.server import EVENT_TYPES, HostileServer, Request, list_answer, send_json

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TOKEN = "tok-public-api"


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def target_of(emulator: RunningEmulator) -> acdload.Target:
    return acdload.Target(emulator.base_url, emulator.token)


def keys_on(emulator: RunningEmulator) -> Counter[str]:
    return Counter(str(record["UserData"]) for record in server_records(emulator))


def counting_server(request: Request, conn: socket.socket) -> None:
    """A working server with nothing on it; the test reads ``requests`` afterwards."""
    if request.path == "/acd/events/types":
        send_json(conn, 200, EVENT_TYPES)
    elif request.path == "/acd/events/create":
        send_json(conn, 200, {"records": [{**request.json(), "ID": 7}], "count": 1})
    else:
        send_json(conn, 200, list_answer([]))


# load ------------------------------------------------------------------------------------


def test_load_gives_located_events_and_problems(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 2)
    load = acdload.load("load.csv", now=NOW)
    assert load.valid and load.problems == [] and load.paths == ("load.csv",)
    assert load.files == [("load.csv", 2)]
    assert [(e.index, e.file, e.line, e.key["UserData"]) for e in load.events] == [
        (0, "load.csv", 2, "U-0"),
        (1, "load.csv", 3, "U-1"),
    ]
    assert load.events[-1].payload["Sender"] == "491701000001"
    assert [e.index for e in load.events[0:2]] == [0, 1]
    assert set(load.timings) == {"read", "render_check", "locate"}


def test_a_path_given_as_one_string_or_a_path_object_is_one_path(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 1)
    assert acdload.load(tmp_path / "load.csv", now=NOW).paths == (str(tmp_path / "load.csv"),)
    assert len(acdload.load([".", "load.csv"], now=NOW).files) == 2


def test_now_and_strict_decide_the_verdict_as_on_the_command_line(tmp_path: Path) -> None:
    """An appointment before ``now`` is a warning; ``strict`` makes it an error."""
    Path("past.yaml").write_text(
        "version: 1\n"
        "timezone: Europe/Berlin\n"
        "defaults: {AcdEventTypesID: 3, AcdGroupsID: 235, Subject: Callback}\n"
        "events:\n"
        "  - {Sender: '+49 170 1234567', UserData: A, dtAppointmentDate: '2026-11-28'}\n",
        encoding="utf-8",
    )
    before = acdload.load("past.yaml", now=datetime(2026, 11, 1, tzinfo=UTC))
    lenient = acdload.load("past.yaml", now=NOW)
    strict = acdload.load("past.yaml", now=NOW, strict=True)
    assert before.problems == []
    assert (lenient.valid, lenient.warnings, lenient.errors) == (True, 1, 0)
    assert (strict.valid, strict.warnings, strict.errors) == (False, 0, 1)
    assert str(strict.problems[0].location) == "past.yaml:5:65"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: acdload.load([]), "no paths given"),
        (lambda: acdload.load("missing.yaml"), "missing.yaml: no such file or directory"),
        (lambda: acdload.load(".", phone_region="Germany"), "unknown phone region"),
        (lambda: acdload.load(".", root="load.csv"), "root load.csv is not a directory"),
        (lambda: acdload.load(".", jobs=0), "jobs=0"),
    ],
)
def test_a_wrong_call_is_a_usage_problem(tmp_path: Path, call: Any, message: str) -> None:
    write_csv(tmp_path / "load.csv", 1)
    with pytest.raises(acdload.UsageProblem, match=message) as raised:
        call()
    assert raised.value.exit_code == acdload.ExitCode.USAGE


# plan ------------------------------------------------------------------------------------


def test_plan_offline_and_against_the_server(tmp_path: Path, emulator: RunningEmulator) -> None:
    write_csv(tmp_path / "load.csv", 2)
    load = acdload.load("load.csv", now=NOW)
    assert acdload.plan(load, None).summary == {
        "create": 2,
        "exists": 0,
        "drift": 0,
        "expired": 0,
        "already_open": 0,
    }
    acdload.apply(load, target_of(emulator))
    plan = acdload.plan(load, target_of(emulator), out="plan.json")
    assert plan.summary == {"create": 0, "exists": 2, "drift": 0, "expired": 0, "already_open": 0}
    assert plan.target == emulator.base_url and not plan.pending
    assert json.loads(Path("plan.json").read_text())["summary"] == plan.summary
    assert Path("plan.json").stat().st_mode & 0o777 == 0o600


def test_a_load_with_errors_is_never_planned_nor_applied(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 1, rows=[{"UserData": "U-x", "AcdGroupsID": "many"}])
    load = acdload.load("load.csv", now=NOW)
    assert not load.valid
    with HostileServer(counting_server) as server:
        target = acdload.Target(server.base_url, TOKEN)
        with pytest.raises(acdload.InvalidLoad, match="nothing was read from the server"):
            acdload.plan(load, target)
        with pytest.raises(acdload.InvalidLoad, match="nothing was sent") as raised:
            acdload.apply(load, target)
    assert raised.value.exit_code == acdload.ExitCode.FAILURE
    assert "load.csv:3" in raised.value.message
    assert server.requests == []


# apply -----------------------------------------------------------------------------------


def test_apply_sends_each_event_once_and_reports_each_outcome(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    write_csv(tmp_path / "load.csv", 3)
    load = acdload.load("load.csv", now=NOW)
    heard: list[str] = []
    run = acdload.apply(
        load,
        target_of(emulator),
        on_result=lambda result: heard.append(result.outcome),
        report="report.json",
        failed_csv="failed.csv",
    )
    assert heard == ["created"] * 3
    assert run.summary["created"] == 3 and run.exit_code == acdload.ExitCode.OK
    assert run.journal == Path(".acdload/journal.jsonl") and run.journal.exists()
    assert json.loads(Path("report.json").read_text())["summary"] == run.summary
    again = acdload.apply(load, target_of(emulator))
    assert [r.outcome for r in again.results] == ["exists"] * 3
    assert keys_on(emulator) == Counter({"U-0": 1, "U-1": 1, "U-2": 1})


def test_a_plan_applied_later_is_made_again_and_refused_if_it_changed(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    write_csv(tmp_path / "load.csv", 2)
    load = acdload.load("load.csv", now=NOW)
    plan = acdload.plan(load, target_of(emulator))
    acdload.apply(load, target_of(emulator))  # the creates happen in between
    with pytest.raises(acdload.StalePlanError) as raised:
        acdload.apply(plan, target_of(emulator))
    assert raised.value.hint is not None and "now exists on the server" in raised.value.hint
    assert keys_on(emulator) == Counter({"U-0": 1, "U-1": 1})
    fresh = acdload.plan(load, target_of(emulator))
    assert acdload.apply(fresh, target_of(emulator)).summary["exists"] == 2


def test_an_offline_plan_is_not_applied(tmp_path: Path, emulator: RunningEmulator) -> None:
    write_csv(tmp_path / "load.csv", 1)
    offline = acdload.plan(acdload.load("load.csv", now=NOW), None)
    with pytest.raises(acdload.StalePlanError, match="stale plan"):
        acdload.apply(offline, target_of(emulator))
    assert keys_on(emulator) == Counter()


def test_read_plan_applies_a_saved_plan_as_apply_planfile_does(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    write_csv(tmp_path / "load.csv", 2)
    acdload.plan(acdload.load("load.csv", now=NOW), target_of(emulator), out="plan.json")
    saved = acdload.read_plan("plan.json", now=NOW)
    assert saved.load.paths == ("load.csv",) and saved.summary["create"] == 2
    assert acdload.apply(saved, target_of(emulator)).summary["created"] == 2


def test_confirm_sees_the_plan_and_no_sends_nothing(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 2)
    load = acdload.load("load.csv", now=NOW)
    seen: list[dict[str, int]] = []

    def no(plan: acdload.Plan) -> bool:
        seen.append(plan.summary)
        return False

    with (
        HostileServer(counting_server) as server,
        pytest.raises(acdload.Cancelled, match="apply cancelled: nothing was sent"),
    ):
        acdload.apply(load, acdload.Target(server.base_url, TOKEN), confirm=no)
    assert seen == [{"create": 2, "exists": 0, "drift": 0, "expired": 0, "already_open": 0}]
    assert [r.path for r in server.requests] == ["/acd/events"]


def test_should_stop_stops_after_the_request_in_flight(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    write_csv(tmp_path / "load.csv", 3)
    results: list[acdload.Result] = []
    run = acdload.apply(
        acdload.load("load.csv", now=NOW),
        target_of(emulator),
        on_result=results.append,
        should_stop=lambda: len(results) >= 1,
    )
    assert run.interrupted and run.exit_code == acdload.ExitCode.INTERRUPTED
    assert [r.outcome for r in run.results] == ["created", "not_attempted", "not_attempted"]
    assert keys_on(emulator) == Counter({"U-0": 1})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"parallel": 0}, "parallel=0: give the creates in flight at most, 1 to 64"),
        ({"rate": 0}, "rate=0"),
        ({"max_failures": 0}, "max_failures=0"),
        ({"timeout": 0}, "timeout=0"),
        ({"csv_dialect": "tsv"}, "csv_dialect='tsv'"),
        ({"report": "no/such/dir/r.json"}, "cannot write --report no/such/dir/r.json"),
        ({"report": "j.jsonl", "journal": "j.jsonl"}, "--journal and --report name the same"),
    ],
)
def test_a_wrong_option_is_refused_before_any_request(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    write_csv(tmp_path / "load.csv", 1)
    load = acdload.load("load.csv", now=NOW)
    with (
        HostileServer(counting_server) as server,
        pytest.raises(acdload.UsageProblem, match=message),
    ):
        acdload.apply(load, acdload.Target(server.base_url, TOKEN), **options)
    assert server.requests == []


def test_apply_needs_a_target(tmp_path: Path) -> None:
    write_csv(tmp_path / "load.csv", 1)
    with pytest.raises(acdload.UsageProblem, match="no offline mode"):
        acdload.apply(acdload.load("load.csv", now=NOW), None)  # type: ignore[arg-type]


def test_a_server_that_fails_mid_run_is_in_the_run_and_the_reports(tmp_path: Path) -> None:
    """The run returns (it does not raise) so that what was created is known."""

    def refuses_the_second(request: Request, conn: socket.socket) -> None:
        creates = sum(r.path == "/acd/events/create" for r in server.requests)
        if request.path == "/acd/events/create" and creates == 2:
            send_json(conn, 401, {"error": "token expired"})
        else:
            counting_server(request, conn)

    write_csv(tmp_path / "load.csv", 3)
    with HostileServer(refuses_the_second) as server:
        run = acdload.apply(
            acdload.load("load.csv", now=NOW),
            acdload.Target(server.base_url, TOKEN),
            report="report.json",
        )
    assert isinstance(run.target_error, acdload.TargetError)
    assert run.exit_code == acdload.ExitCode.TARGET
    assert [r.outcome for r in run.results] == ["created", "failed", "not_attempted"]
    assert json.loads(Path("report.json").read_text())["summary"]["failed"] == 1


def test_warnings_go_to_the_callback_else_to_the_acdload_logger(
    tmp_path: Path, emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    write_csv(tmp_path / "load.csv", 1)
    load = acdload.load("load.csv", now=NOW)
    Path(".acdload").mkdir()
    Path(".acdload/journal.jsonl").write_text("{not json\n", encoding="utf-8")
    heard: list[str] = []
    acdload.apply(load, target_of(emulator), warn=heard.append)
    assert len(heard) == 1 and "journal.jsonl:1" in heard[0]
    Path(".acdload/journal.jsonl").write_text("{not json\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="acdload"):
        acdload.apply(load, target_of(emulator))
    assert [record.name for record in caplog.records] == ["acdload"]
    assert "journal.jsonl:1" in caplog.records[0].getMessage()
