"""The emulator as a program: output lines, signals, exit codes, options, usage errors."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.cli_runner import Cli
from tests.emulator.helpers import CALLBACK, create, get, records
from tests.emulator_support import REPO_ROOT, EmulatorProcess

Start = Callable[..., EmulatorProcess]
BASE_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/rest/v1\.0/(\d+)")


def test_prints_base_url_then_generated_token(emulator_process: Start) -> None:
    handle = emulator_process()
    match = BASE_URL.fullmatch(handle.base_url)
    assert match is not None and int(match[1]) > 0 and match[2] == "1000"
    assert len(handle.token) >= 20
    assert get(handle, "/acd/events").status_code == 200
    assert handle.stop() == 0
    assert handle.stdout_lines == [handle.base_url, handle.token]
    assert "Traceback" not in handle.stderr()


def test_given_token_is_not_printed(emulator_process: Start) -> None:
    handle = emulator_process(token="s3cret", client_id=77)
    assert handle.base_url.endswith("/rest/v1.0/77")
    assert get(handle, "/acd/events").status_code == 200
    assert handle.stop() == 0
    assert handle.stdout_lines == [handle.base_url]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_0_with_events_stored(
    emulator_process: Start, tmp_path: Path, signum: int
) -> None:
    db = tmp_path / "events.sqlite3"
    first = emulator_process(db=db, token="t")
    created = [create(first, {**CALLBACK, "Subject": f"event {i}"}).json() for i in range(5)]
    assert first.stop(signum) == 0
    assert "Traceback" not in first.stderr()
    second = emulator_process(db=db, token="t")
    assert records(second) == [answer["records"][0] for answer in created]


def test_sigterm_stores_a_held_late_commit(emulator_process: Start, tmp_path: Path) -> None:
    db = tmp_path / "events.sqlite3"
    first = emulator_process("--late-commit-rate", "1", "--late-commit-ms", "60000", db=db)
    with pytest.raises(requests.Timeout):
        create(first, CALLBACK, timeout=0.3)
    started = time.monotonic()
    assert first.stop() == 0
    assert time.monotonic() - started < 10  # not the 60 s the request was held for
    assert len(records(emulator_process(db=db))) == 1


def test_options_reach_the_server(emulator_process: Start, tmp_path: Path) -> None:
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups: [{id: 235, no_duplicates: true}]\n", encoding="utf-8")
    handle = emulator_process(
        "--groups",
        str(groups),
        "--latency-ms",
        "100",
        "--fail-rate",
        "0.5",
        "--seed",
        "3",
        in_memory=True,
    )
    assert handle.db is None
    started = time.monotonic()
    assert create(handle, {**CALLBACK, "AcdGroupsID": 300}).status_code == 400  # unknown group
    assert time.monotonic() - started >= 0.1
    outcomes = [create(handle, CALLBACK).status_code for _ in range(12)]
    assert set(outcomes) == {200, 500}
    again = emulator_process("--fail-rate", "0.5", "--seed", "3", in_memory=True)
    assert [create(again, CALLBACK).status_code for _ in range(12)] == outcomes


def test_python_dash_m_usage_error_exits_2(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "acdload.emulator", "--drop-rate", "2"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "Invalid value for '--drop-rate'" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def _bad_groups(tmp_path: Path) -> str:
    path = tmp_path / "groups.yaml"
    path.write_text("groups: [{id: zero}]\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda tmp: ["--fail-rate", "1.5"], "Invalid value for '--fail-rate'"),
        (lambda tmp: ["--late-commit-rate", "nan"], "Invalid value for '--late-commit-rate'"),
        (lambda tmp: ["--fail-rate", "0.7", "--drop-rate", "0.7"], "sum must be at most 1"),
        (lambda tmp: ["--latency-ms", "-5"], "Invalid value for '--latency-ms'"),
        (lambda tmp: ["--port", "70000"], "Invalid value for '--port'"),
        (lambda tmp: ["--groups", str(tmp / "missing.yaml")], "Invalid value for '--groups'"),
        (lambda tmp: ["--groups", _bad_groups(tmp)], "groups[0].id must be a positive integer"),
        (lambda tmp: ["--db", str(tmp / "no" / "dir.sqlite3")], "Invalid value for '--db'"),
        (lambda tmp: ["--token", "has space"], "Invalid value for '--token'"),
        (lambda tmp: ["--host", "no.such.host.invalid"], "Invalid value for '--host'"),
        (lambda tmp: ["--bogus"], "No such option"),
    ],
)
def test_bad_options_are_usage_errors(
    cli: Cli, tmp_path: Path, make_args: Callable[[Path], list[str]], message: str
) -> None:
    result = cli("emulator", *make_args(tmp_path))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_port_in_use_is_a_usage_error(cli: Cli, emulator_process: Start) -> None:
    busy = emulator_process(in_memory=True)
    port = busy.base_url.split(":")[2].split("/")[0]
    result = cli("emulator", "--port", port)
    assert result.exit_code == 2
    assert "Invalid value for '--port'" in result.output


def test_help_has_every_option_and_an_example(cli: Cli) -> None:
    result = cli("emulator", "--help")
    assert result.exit_code == 0
    for option in (
        "--host",
        "--port",
        "--db",
        "--client-id",
        "--token",
        "--groups",
        "--fail-rate",
        "--drop-rate",
        "--late-commit-rate",
        "--late-commit-ms",
        "--latency-ms",
        "--seed",
    ):
        assert option in result.output
    assert "Example:" in result.output
    assert "acdload emulator --port 8080" in result.output


def test_the_emulator_imports_nothing_of_the_client(tmp_path: Path) -> None:
    """It models the server: loading it must not load any other part of acdload."""
    probe = (
        "import sys, acdload.emulator, acdload.emulator.__main__;"
        "print('\\n'.join(m for m in sys.modules if m.startswith('acdload')))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=30,
        check=True,
    )
    loaded = set(done.stdout.split())
    assert "acdload.emulator.command" in loaded
    assert {m for m in loaded if m != "acdload" and not m.startswith("acdload.emulator")} == set()
