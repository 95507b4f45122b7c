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
