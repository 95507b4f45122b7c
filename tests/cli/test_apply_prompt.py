"""The confirmation of ``acdload apply`` on a real pseudo-terminal: it names the target
(never the token), lists the first creates, and "n" sends nothing and exits 1."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from acdload.applying.applier import Result
from acdload.cli.apply_progress import Progress
from tests.applying.support import environment, server_records, write_csv
from tests.emulator_support import RunningEmulator

PROMPT = b"[y/N]: "


def on_a_terminal(
    cwd: Path, args: list[str], env: dict[str, str], answers: list[bytes]
) -> tuple[int, str]:
    """``acdload ARGS`` with stdin, stdout and stderr on a pty; each time a ``[y/N]``
    question shows, the next of ``answers`` is typed. Returns the exit code and all output."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "acdload", *args],
        cwd=cwd,
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    output = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        output += chunk
        if pending and output.count(PROMPT) > len(answers) - len(pending):
            os.write(leader, pending.pop(0) + b"\n")
    code = process.wait(timeout=60)
    os.close(leader)
    return code, output.decode("utf-8", errors="replace").replace("\r\n", "\n")


def apply_on_a_terminal(
    tmp_path: Path, emulator: RunningEmulator, answers: list[bytes], *extra: str
) -> tuple[int, str]:
    (tmp_path / "acdload.toml").write_text(
        f'[targets.campaign]\nbase_url = "{emulator.base_url}"\n', encoding="utf-8"
    )
    args = ["apply", "load.csv", "--target", "campaign", *extra]
    return on_a_terminal(tmp_path, args, environment(emulator), answers)


def test_the_prompt_names_the_target_and_lists_the_first_ten_creates(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    emulator = emulator_factory()
    write_csv(tmp_path / "load.csv", 12)
    code, output = apply_on_a_terminal(tmp_path, emulator, [b"n"])
    assert code == 1, output
    assert f"Create 12 events on campaign ({emulator.base_url})? [y/N]" in output
    assert "first 10 of 12 creates:\n" in output
    assert (
        '  load.csv:2  AcdEventTypesID=3 Sender=491701000000 UserData=U-0  "Callback 0"\n' in output
    )
    assert "  load.csv:11  AcdEventTypesID=3 Sender=491701000009 UserData=U-9" in output
    assert "U-10" not in output
    assert "  ... and 2 more\n" in output
    assert "error: apply cancelled: nothing was sent" in output
    assert emulator.token not in output
    assert "Traceback" not in output
    assert server_records(emulator) == []


def test_yes_at_the_prompt_creates_the_events(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    emulator = emulator_factory()
    write_csv(tmp_path / "load.csv", 3)
    code, output = apply_on_a_terminal(tmp_path, emulator, [b"y"])
    assert code == 0, output
    assert "first 3 of 3 creates:\n" in output and "more" not in output
    assert "apply: 3 created" in output
    assert len(server_records(emulator)) == 3


# Progress ---------------------------------------------------------------------------


def test_progress_counts_and_times_creates_only() -> None:
    """A thousand events that exist pass in no time; the rate and the ETA are the
    creates' own (5 settled in 10 s: 0.5/s, so the 5 left take 10 s more)."""
    now = [0.0]
    progress = Progress(
        total=1010, creates=10, hide=True, show_redacted=False, clock=lambda: now[0]
    )
    for index in range(1000):
        progress(Result(index, "load.csv", index + 2, {"UserData": index}, "exists", "exists"))
    assert (
        progress.text() == "0 created, 0 failed, 10 remaining, 0:00 elapsed, ETA -- (0.0 creates/s)"
    )
    now[0] = 10.0
    for index in range(1000, 1005):
        outcome = "failed" if index == 1004 else "created"
        progress(Result(index, "load.csv", index + 2, {"UserData": index}, "create", outcome))
    assert (
        progress.text()
        == "4 created, 1 failed, 5 remaining, 0:10 elapsed, ETA 0:10 (0.5 creates/s)"
    )


def test_progress_bar_lines_and_summary_on_a_terminal(
    tmp_path: Path, emulator_factory: Callable[..., RunningEmulator]
) -> None:
    """Three events exist, three are created, one fails: the bar counts the creates, the
    failure line shows the key as Field=value on a line of its own, and the summary
    starts on its own line."""
    groups = tmp_path / "groups.yaml"
    groups.write_text("groups: [{id: 235}]\n", encoding="utf-8")
    emulator = emulator_factory(groups=groups)
    write_csv(tmp_path / "load.csv", 3)
    env = environment(emulator)
    args = ["apply", "load.csv", "--yes", "--base-url", emulator.base_url]
    assert on_a_terminal(tmp_path, args, env, [])[0] == 0
    bad = {"AcdEventTypesID": 3, "AcdGroupsID": 999, "Sender": "+49 170 3000000", "Subject": "x"}
    write_csv(tmp_path / "load.csv", 6, rows=[{**bad, "UserData": "BAD-1"}])
    code, output = on_a_terminal(tmp_path, args, env, [])
    assert code == 1, output
    lines = output.split("\n")
    failure = "failed: load.csv:8 AcdEventTypesID=3 Sender=491703000000 UserData=BAD-1: HTTP 400: "
    assert any(line.split("\r\x1b[K")[-1].startswith(failure) for line in lines), output
    assert "] 3 created, 1 failed, 0 remaining, " in output
    assert "] 0 created, 0 failed, 4 remaining, 0:00 elapsed, ETA -- (0.0 creates/s)" in output
    summary = [line for line in lines if "apply: " in line]
    assert summary == ["apply: 3 created, 3 exists, 1 failed" + summary[0].split("failed", 1)[1]]
