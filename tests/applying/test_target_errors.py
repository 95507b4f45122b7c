"""A target that cannot be used stops apply before anything is sent: exit 3, and a message
that says what to fix."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.applying.support import run_apply, server_records, write_csv
from tests.emulator_support import EmulatorProcess

TOKEN = "right-token-4711"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("case", "message", "hint"),
    [
        ("wrong token", "the server refused the token (HTTP 401", "check ACDLOAD_TOKEN"),
        ("other client account", "the server refused the token (HTTP 401", "client ID"),
        ("wrong path", "answered 404 with an empty body", "must end in /rest/v1.0/CLIENTSID"),
        ("server down", "cannot reach http://127.0.0.1:", "that the server is running"),
    ],
)
def test_unusable_target_exits_3_with_nothing_created(
    tmp_path: Path,
    emulator_process: Callable[..., EmulatorProcess],
    case: str,
    message: str,
    hint: str,
) -> None:
    emulator = emulator_process(token=TOKEN, in_memory=True)
    write_csv(tmp_path / "load.csv", 3)
    base_url, token = emulator.base_url, TOKEN
    if case == "wrong token":
        token = "wrong-token-0815"
    elif case == "other client account":
        base_url = base_url.replace("/rest/v1.0/1000", "/rest/v1.0/1001")
    elif case == "wrong path":
        base_url = base_url.replace("/rest/v1.0/", "/jtel/rest/v1.0/")
    else:
        base_url = f"http://127.0.0.1:{closed_port()}/rest/v1.0/1000"

    done = run_apply(
        tmp_path, "load.csv", "--yes", "--base-url", base_url, "--report", "r.json", token=token
    )

    assert done.returncode == 3, done.stderr
    assert message in done.stderr
    assert hint in done.stderr.split("hint: ", 1)[1]
    assert "Traceback" not in done.stderr
    assert token not in done.stderr + done.stdout
    assert server_records(emulator) == []


def test_base_url_that_is_not_a_jtel_base_url_is_a_usage_error(tmp_path: Path) -> None:
    """``.../rest/v1.0/1000/extra`` is refused before any request: exit 2, its form shown."""
    write_csv(tmp_path / "load.csv", 1)
    done = run_apply(
        tmp_path, "load.csv", "--yes", "--base-url", "http://127.0.0.1:9/rest/v1.0/1000/extra",
        token=TOKEN,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "is not a jtel base URL" in done.stderr
    assert "https://HOST:PORT/rest/v1.0/CLIENTSID" in done.stderr


def test_a_netrc_entry_for_the_server_does_not_replace_the_token(
    tmp_path: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    """requests would send ~/.netrc's password as Basic auth instead of the bearer token."""
    emulator = emulator_process(token=TOKEN, in_memory=True)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text("machine 127.0.0.1 login bob password hunter2\n", "utf-8")
    (home / ".netrc").chmod(0o600)
    write_csv(tmp_path / "load.csv", 2)

    done = run_apply(tmp_path, "load.csv", "--yes", handle=emulator, HOME=str(home))

    assert done.returncode == 0, done.stderr
    assert len(server_records(emulator)) == 2
