"""Output paths (issue #10): checked before anything is read or sent, written without
changing what is not a regular file, and a report that cannot be written after the run
says so and where the outcomes still are."""

from __future__ import annotations

import itertools
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

from tests.applying.support import load_report, run_apply, write_csv
from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator
from tests.hostile.server import EVENT_TYPES, HostileServer, Request, list_answer, send_json

TOKEN = "tok-report-paths"
OUTPUT_OPTIONS = [
    ("apply", "--report"),
    ("apply", "--report-csv"),
    ("apply", "--failed-csv"),
    ("apply", "--junit"),
    ("plan", "--out"),
    ("plan", "--junit"),
    ("plan", "--sarif"),
    ("validate", "--junit"),
    ("validate", "--sarif"),
]
BAD_PATHS = {
    "missing directory": ("no/such/dir/out.txt", "the directory no/such/dir does not exist"),
    "a directory": ("a-directory", "is a directory"),
    "a file as directory": ("a-file/out.txt", "a-file is not a directory"),
}


def working_server(request: Request, conn: socket.socket) -> None:
    """A server that works: were a command to reach it, it would run to the end."""
    if request.path.startswith("/acd/events/types"):
        send_json(conn, 200, EVENT_TYPES)
    elif request.path == "/acd/events/create":
        record = {**request.json(), "ID": 100 + len(request.body)}
        send_json(conn, 200, {"records": [record], "count": 1, "status": 200})
    else:
        send_json(conn, 200, list_answer([]))


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    """The working directory holds a manifest; the server counts every request."""
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "load.csv", 1)
    (tmp_path / "a-directory").mkdir()
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    with HostileServer(working_server) as running:
        yield running


def run(cli: Cli, command: str, *args: str, server: HostileServer) -> Result:
    target = {
        "apply": ["--yes", "--base-url", server.base_url],
        "plan": ["--base-url", server.base_url],
        "validate": [],
    }[command]
    return cli(command, "load.csv", *target, *args, env={"ACDLOAD_TOKEN": TOKEN})


@pytest.mark.parametrize(
    ("command", "option", "bad"),
    [(c, o, b) for (c, o), b in itertools.product(OUTPUT_OPTIONS, BAD_PATHS)],
)
def test_a_bad_output_path_is_a_usage_error_before_anything_is_sent(
    cli: Cli, server: HostileServer, command: str, option: str, bad: str
) -> None:
    path, why = BAD_PATHS[bad]
    result = run(cli, command, option, path, server=server)
    assert result.exit_code == 2, result.output
    assert option in result.stderr and path in result.stderr and why in result.stderr
    assert server.requests == []
    assert not Path(".acdload/journal.jsonl").exists()


@pytest.mark.parametrize("other", ["--report-csv", "--journal"])
def test_a_report_may_not_overwrite_another_output_or_the_journal(
    cli: Cli, server: HostileServer, other: str
) -> None:
    result = run(cli, "apply", "--report", "same.json", other, "same.json", server=server)
    assert result.exit_code == 2, result.output
    assert "name the same file same.json" in result.stderr
    assert "--report" in result.stderr and other in result.stderr
    assert server.requests == []


def fifo(path: Path, mode: int) -> int:
    """A named pipe of ``mode`` with a reader already open (a writer never blocks on it)."""
    os.mkfifo(path, mode)
    os.chmod(path, mode)  # whatever the umask
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK)


@pytest.mark.parametrize(("command", "option"), [("apply", "--report"), ("plan", "--out")])
def test_a_path_that_is_not_a_regular_file_is_written_as_it_is(
    cli: Cli, server: HostileServer, tmp_path: Path, command: str, option: str
) -> None:
    """``--report /dev/null`` as root must not chmod the system's /dev/null, nor may
    ``--out`` replace it with a file: a FIFO stands in for it."""
    pipe = tmp_path / "pipe"
    reader = fifo(pipe, 0o644)
    try:
        result = run(cli, command, option, str(pipe), server=server)
        written = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert stat.S_IMODE(pipe.stat().st_mode) == 0o644
    assert written.startswith(b"{") and b'"load.csv"' in written


def test_a_report_that_cannot_be_written_is_an_error_naming_the_journal(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    """A full disk after the run: the events were created; the other reports are written,
    the summary shown, and the message says the journal still holds the outcomes."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    write_csv(tmp_path / "load.csv", 2)
    done = run_apply(
        tmp_path, "load.csv", "--yes", "--report", "/dev/full", "--junit", "j.xml",
        "--report-csv", "r.csv", handle=emulator,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert "error: cannot write --report /dev/full: No space left on device" in done.stderr
    assert "the journal .acdload/journal.jsonl still holds the outcome" in done.stderr
    assert "apply: 2 created" in done.stderr
    assert (tmp_path / "j.xml").exists() and (tmp_path / "r.csv").exists()
    again = run_apply(tmp_path, "load.csv", "--yes", "--report", "r.json", handle=emulator)
    assert again.returncode == 0, again.stderr
    assert load_report(tmp_path / "r.json")["summary"]["exists"] == 2  # nothing sent twice


def test_a_problem_file_that_cannot_be_written_is_an_error(cli: Cli, server: HostileServer) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    result = run(cli, "validate", "--junit", "/dev/full", "--sarif", "s.sarif", server=server)
    assert result.exit_code == 1, result.output
    assert "error: cannot write --junit /dev/full: No space left on device" in result.stderr
    assert Path("s.sarif").exists()
