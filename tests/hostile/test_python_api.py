"""The Python API is a way in of its own (issue #12): what the command line refuses, the
library refuses too, with the same guarantees.

- ``Target(base_url, token)`` checks what ``--base-url`` and ``ACDLOAD_TOKEN`` are checked
  for, and the token never shows: not in the target's repr, not in a message, result,
  report or warning, whatever the server echoes;
- ``read_plan`` reads a plan file as untrusted input: a tampered plan sends nothing, and a
  plan naming files outside the working directory reads nothing;
- ``load`` without ``root`` confines each manifest to its own directory, whatever an
  ``acdload.toml`` in the working directory says (the library reads no config file
  unasked);
- a caller's callback that raises costs nothing of exactly-once.
"""

from __future__ import annotations

import json
import logging
import socket
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

import acdload
from tests.applying.support import server_records, write_csv
from tests.emulator_support import RunningEmulator
from tests.hostile.jtel_script import CREATE, LIST, JtelScript
from tests.hostile.server import Request, send, send_json
from tests.planning.helpers import MANIFEST, write_manifest

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TOKEN = "tok-python-api-7f3a91"
URL = "https://jtel.example.com/rest/v1.0/1000"


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def files_text(directory: Path) -> str:
    return "".join(
        path.read_text("utf-8", errors="replace") for path in directory.rglob("*") if path.is_file()
    )


# Target ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://admin:pa55word@jtel.example.com/rest/v1.0/1000",
        "https://pa55word@jtel.example.com/rest/v1.0/1000",
        "HTTPS://admin:pa55word@jtel.example.com:8443/rest/v1.0/1000",
    ],
)
def test_a_base_url_with_credentials_is_refused_and_never_echoed(url: str) -> None:
    with pytest.raises(acdload.UsageProblem) as raised:
        acdload.Target(url, TOKEN)
    assert raised.value.exit_code == acdload.ExitCode.USAGE
    assert "user name or password" in raised.value.message
    assert "pa55word" not in f"{raised.value.message} {raised.value.hint}"


def test_from_env_checks_the_url_as_the_command_line_does() -> None:
    environ = {"ACDLOAD_BASE_URL": "https://u:pa55word@jtel.example.com/rest/v1.0/1000"}
    with pytest.raises(acdload.UsageProblem) as raised:
        acdload.Target.from_env(environ={**environ, "ACDLOAD_TOKEN": TOKEN})
    assert "ACDLOAD_BASE_URL contains a user name or password" in raised.value.message
    assert "pa55word" not in raised.value.message


@pytest.mark.parametrize("token", [f"{TOKEN}\n", f"{TOKEN}\x1b[2J", "", f"a\tb{TOKEN}"])
def test_a_token_that_is_empty_or_holds_control_characters_is_refused(token: str) -> None:
    with pytest.raises(acdload.UsageProblem) as raised:
        acdload.Target(URL, token)
    assert TOKEN not in f"{raised.value.message} {raised.value.hint}"


def test_the_token_is_not_in_the_targets_repr() -> None:
    target = acdload.Target(URL, TOKEN)
    assert TOKEN not in repr(target) and TOKEN not in str(target)
    assert target.token == TOKEN  # the caller can still read what it gave


def echo_authorization(request: Request, conn: socket.socket) -> None:
    """A proxy's 400 page that shows the request it refused, headers and all."""
    text = f"400 Bad Request\r\nAuthorization: {request.headers['authorization']}\r\n"
    send(conn, 400, text, content_type="text/plain")


def test_a_server_that_echoes_the_token_gets_it_into_no_result_report_or_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_csv(tmp_path / "load.csv", 1)
    load = acdload.load("load.csv", now=NOW)
    warnings: list[str] = []
    with JtelScript(stores=False).then(CREATE, echo_authorization) as server:
        target = acdload.Target(server.base_url, TOKEN)
        run = acdload.apply(
            load, target, report="r.json", report_csv="r.csv", junit="j.xml", warn=warnings.append
        )
    [result] = run.results
    assert result.outcome == "failed" and result.error is not None
    assert "Authorization: ***" in result.error and TOKEN not in result.error
    assert run.exit_code == acdload.ExitCode.FAILURE
    assert TOKEN not in files_text(tmp_path)
    assert TOKEN not in " ".join(warnings) + caplog.text


def test_a_list_error_that_echoes_the_token_raises_a_scrubbed_target_error() -> None:
    def refuse(request: Request, conn: socket.socket) -> None:
        send_json(conn, 400, {"error": f"not accepted: {request.headers['authorization']}"})

    write_csv(Path("load.csv"), 1)
    load = acdload.load("load.csv", now=NOW)
    with JtelScript().then(LIST, refuse) as server, pytest.raises(acdload.TargetError) as raised:
        acdload.plan(load, acdload.Target(server.base_url, TOKEN))
    assert raised.value.exit_code == acdload.ExitCode.TARGET
    assert "Bearer ***" in raised.value.message and TOKEN not in raised.value.message


# read_plan -------------------------------------------------------------------------------


def test_a_tampered_plan_file_sends_nothing(tmp_path: Path, emulator: RunningEmulator) -> None:
    write_manifest(tmp_path)
    target = acdload.Target(emulator.base_url, emulator.token)
    acdload.apply(acdload.load(MANIFEST, now=NOW), target)
    acdload.plan(acdload.load(MANIFEST, now=NOW), target, out="plan.json")
    document = json.loads(Path("plan.json").read_text())
    document["actions"][0].update(action="create", event_id=None)
    Path("plan.json").write_text(json.dumps(document))

    tampered = acdload.read_plan("plan.json", now=NOW)
    assert tampered.summary["create"] == 1  # what the file claims
    with pytest.raises(acdload.StalePlanError) as raised:
        acdload.apply(tampered, target)
    assert "action is create in the plan, exists now" in raised.value.message
    assert Counter(r["UserData"] for r in server_records(emulator)) == Counter(
        {"CB-1": 1, "CB-2": 1, "CB-3": 1}
    )


@pytest.mark.parametrize("named", ["/proc/self/environ", "../outside.yaml"])
def test_a_plan_file_naming_a_file_outside_reads_nothing(tmp_path: Path, named: str) -> None:
    secret = "s3cr3t-in-a-file-outside"
    (tmp_path.parent / "outside.yaml").write_text(f"version: 1\n{secret}: 1\n", encoding="utf-8")
    write_manifest(tmp_path)
    acdload.plan(acdload.load(MANIFEST, now=NOW), None, out="plan.json")
    document = json.loads(Path("plan.json").read_text())
    document["manifests"]["paths"] = [named]
    Path("plan.json").write_text(json.dumps(document))
    with pytest.raises(acdload.StalePlanError) as raised:
        acdload.read_plan("plan.json")
    assert "which is not inside the directory apply runs in" in raised.value.message
    assert secret not in f"{raised.value.message} {raised.value.hint}"


@pytest.mark.parametrize(
    "content", [b"not json", b'{"format": "acdload-plan", "version": 99}', b"\xff\xfe{}"]
)
def test_a_file_that_is_not_a_plan_is_a_usage_problem(content: bytes) -> None:
    Path("plan.json").write_bytes(content)
    with pytest.raises(acdload.UsageProblem, match="is not an acdload plan file"):
        acdload.read_plan("plan.json")


# load ------------------------------------------------------------------------------------


def test_without_root_a_manifest_reads_only_in_its_own_directory(tmp_path: Path) -> None:
    """The command line takes ``root`` from acdload.toml; the library only from its caller,
    so a config file a pull request adds cannot widen what a Python job reads."""
    (tmp_path / "secret.csv").write_text("Sender,UserData\n+49 170 1234567,TOP-SECRET\n")
    (tmp_path / "acdload.toml").write_text('root = "."\n', encoding="utf-8")
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "m.yaml").write_text(
        "version: 1\n"
        "defaults: {AcdEventTypesID: 3, AcdGroupsID: 235, Subject: Callback}\n"
        "source:\n"
        "  path: ../secret.csv\n"
        "  columns: {Sender: Sender, UserData: UserData}\n",
        encoding="utf-8",
    )
    load = acdload.load("manifests/m.yaml", now=NOW)
    assert [p.rule for p in load.problems] == ["source-outside-root"]
    assert str(load.problems[0].location) == "manifests/m.yaml:4:9"
    assert "TOP-SECRET" not in repr(load.problems) and len(load.events) == 0
    assert acdload.load("manifests/m.yaml", now=NOW, root=tmp_path).valid  # asked for


# callbacks -------------------------------------------------------------------------------


class CallerBug(Exception):
    pass


def test_a_callback_that_raises_costs_nothing_of_exactly_once(
    tmp_path: Path, emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    write_csv(tmp_path / "load.csv", 3)
    load = acdload.load("load.csv", now=NOW)
    target = acdload.Target(emulator.base_url, emulator.token)

    def breaks_on_the_second(result: acdload.Result) -> None:
        if result.index == 1:
            raise CallerBug("the caller's own bug")

    with pytest.raises(CallerBug):
        acdload.apply(load, target, on_result=breaks_on_the_second)
    with caplog.at_level(logging.WARNING, logger="acdload"):
        run = acdload.apply(load, target)  # the lock was released, the journal kept
    assert caplog.records == []
    # The first two were created by the run the callback broke: found, not sent again.
    assert [(r.outcome, r.attempts) for r in run.results] == [
        ("created", 0),
        ("created", 0),
        ("created", 1),
    ]
    assert Counter(r["UserData"] for r in server_records(emulator)) == Counter(
        {"U-0": 1, "U-1": 1, "U-2": 1}
    )


# outputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("out", "why"),
    [
        ("no/such/dir/plan.json", "the directory no/such/dir does not exist"),
        ("a-directory", "it is a directory"),
        ("load.csv/plan.json", "load.csv is not a directory"),
    ],
)
def test_a_plan_file_that_cannot_be_written_is_refused_before_the_server_is_read(
    tmp_path: Path, out: str, why: str
) -> None:
    write_csv(tmp_path / "load.csv", 1)
    (tmp_path / "a-directory").mkdir()
    load = acdload.load("load.csv", now=NOW)
    with (
        JtelScript() as server,
        pytest.raises(acdload.UsageProblem, match=f"cannot write --out {out}: {why}"),
    ):
        acdload.plan(load, acdload.Target(server.base_url, TOKEN), out=out)
    assert server.server.requests == []
