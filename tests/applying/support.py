"""Running the real ``acdload apply`` as a child process, and reading what it left behind.

Every test here drives the command a user runs (``python -m acdload apply ...``) against
emulators that are real processes, so kills, signals and faults are real too.
"""

from __future__ import annotations

import collections
import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import requests

from tests.applying import failpoint
from tests.emulator_support import REPO_ROOT, EmulatorHandle

CSV_FIELDS = ("AcdEventTypesID", "AcdGroupsID", "Sender", "Subject", "UserData")
RESULT_KEYS = [
    "index",
    "file",
    "line",
    "key",
    "action",
    "outcome",
    "event_id",
    "http_status",
    "result",
    "error",
    "attempts",
]


def sender(number: int) -> str:
    """A German mobile number as a manifest writes it; acdload sends ``49170...``."""
    return f"+49 170 {1000000 + number}"


def normalised(number: int) -> str:
    return f"49170{1000000 + number}"


def write_csv(
    path: Path, count: int, *, group: int = 235, rows: Iterable[dict[str, Any]] = ()
) -> Path:
    """A standalone CSV manifest of ``count`` callbacks (keys U-0, U-1, ...), plus ``rows``."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for number in range(count):
            writer.writerow(
                {
                    "AcdEventTypesID": 3,
                    "AcdGroupsID": group,
                    "Sender": sender(number),
                    "Subject": f"Callback {number}",
                    "UserData": f"U-{number}",
                }
            )
        writer.writerows(rows)
    return path


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "acdload", "apply", *args]


def environment(
    handle: EmulatorHandle | None = None, token: str | None = None, **extra: str
) -> dict[str, str]:
    """The child's environment: the repository importable, the token (if any) set, and
    ``ACDLOAD_FAILPOINT`` obeyed (``tests/applying/failpoint.py``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), str(failpoint.SITE), env.get("PYTHONPATH")])
    )
    if token is not None or handle is not None:
        env["ACDLOAD_TOKEN"] = token if token is not None else handle.token  # type: ignore[union-attr]
    env.update(extra)
    return env


def run_apply(
    cwd: Path,
    *args: str,
    handle: EmulatorHandle | None = None,
    token: str | None = None,
    timeout: float = 180,
    **extra_env: str,
) -> subprocess.CompletedProcess[str]:
    """``acdload apply ARGS`` (with ``--base-url`` of ``handle`` when given), to completion."""
    if handle is not None:
        args = (*args, "--base-url", handle.base_url)
    return subprocess.run(
        command(*args),
        cwd=cwd,
        env=environment(handle, token, **extra_env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_apply(
    cwd: Path, *args: str, handle: EmulatorHandle, stderr: Path, **extra_env: str
) -> subprocess.Popen[bytes]:
    """``acdload apply`` in the background, its stderr to a file (read with ``wait_for``)."""
    with stderr.open("wb") as err:
        return subprocess.Popen(
            command(*args, "--base-url", handle.base_url),
            cwd=cwd,
            env=environment(handle, **extra_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def wait_for(
    condition: Any, process: subprocess.Popen[bytes] | None = None, timeout: float = 30
) -> bool:
    """Poll ``condition()`` until it is true (True), or the process ends or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if process is not None and process.poll() is not None:
            return bool(condition())
        time.sleep(0.005)
    return False


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def journal_sends(path: Path) -> int:
    """How many creates the journal says were about to be sent (all runs)."""
    return sum(1 for line in text_of(path).splitlines() if '"kind":"sent","index":' in line)


def server_records(handle: EmulatorHandle) -> list[dict[str, Any]]:
    answer = requests.get(handle.url("/acd/events"), headers=handle.headers, timeout=30)
    assert answer.status_code == 200, answer.text
    records: list[dict[str, Any]] = answer.json()["records"]
    return records


def create_on_server(handle: EmulatorHandle, payload: dict[str, Any]) -> dict[str, Any]:
    """One event created through the HTTP API directly (not through acdload)."""
    answer = requests.post(
        handle.url("/acd/events/create"),
        data=json.dumps(payload).encode(),
        headers={**handle.headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    record: dict[str, Any] = answer.json()["records"][0]
    return record


def ids_by_key(records: Sequence[dict[str, Any]]) -> dict[tuple[Any, ...], list[int]]:
    """Server event IDs per default key (AcdEventTypesID, Sender, UserData)."""
    found: dict[tuple[Any, ...], list[int]] = collections.defaultdict(list)
    for record in records:
        key = (record["AcdEventTypesID"], record["Sender"], record["UserData"])
        found[key].append(record["ID"])
    return found


def report_key(result: dict[str, Any]) -> tuple[Any, ...]:
    key = result["key"]
    return (key["AcdEventTypesID"], key["Sender"], key["UserData"])


def load_report(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def assert_created_exactly_once(handle: EmulatorHandle, report: dict[str, Any], count: int) -> None:
    """One server event per key, ``count`` in all, each reported ``created`` with its ID."""
    on_server = ids_by_key(server_records(handle))
    duplicated = {key: ids for key, ids in on_server.items() if len(ids) > 1}
    assert not duplicated, f"duplicates on the server: {duplicated}"
    assert len(on_server) == count
    results = report["results"]
    assert len(results) == count
    assert report["summary"]["created"] == count, report["summary"]
    for result in results:
        assert result["outcome"] == "created", result
        assert on_server[report_key(result)] == [result["event_id"]], result
