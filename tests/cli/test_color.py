"""``--color auto|always|never`` next to ``NO_COLOR``: ``always`` and ``never`` win, ``auto``
colours a terminal without ``NO_COLOR`` only. Run as a user runs it: on a pseudo-terminal,
or into a pipe."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.support import REPO

TICKETS = """\
version: 1
defaults: {AcdEventTypesID: 6, AcdGroupsID: 235, Subject: "Ticket {{ UserData }}"}
events:
  - {Sender: info@example.com, UserData: "T-1"}
"""
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def plan(cwd: Path, *flags: str, terminal: bool, no_color: bool) -> tuple[int, str]:
    """``acdload plan tickets.yaml --offline FLAGS``: exit code and what stdout received."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR" and not k.startswith("ACDLOAD_")}
    env.update(PYTHONPATH=str(REPO), TERM="xterm", **({"NO_COLOR": "1"} if no_color else {}))
    command = [sys.executable, "-m", "acdload", "plan", "tickets.yaml", "--offline", *flags]
    if not terminal:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout + done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", errors="replace")


@pytest.fixture
def here(tmp_path: Path) -> Path:
    (tmp_path / "tickets.yaml").write_text(TICKETS, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("flags", "terminal", "no_color", "coloured"),
    [
        ((), True, False, True),
        ((), True, True, False),
        ((), False, False, False),
        (("--color", "auto"), True, False, True),
        (("--color", "auto"), True, True, False),
        (("--color", "auto"), False, False, False),
        (("--color", "always"), False, False, True),
        (("--color", "always"), False, True, True),  # asked for outright: wins over NO_COLOR
        (("--color", "always"), True, True, True),
        (("--color", "never"), True, False, False),
        (("--color", "never"), False, False, False),
    ],
)
def test_color_choice(
    here: Path, flags: tuple[str, ...], terminal: bool, no_color: bool, coloured: bool
) -> None:
    code, shown = plan(here, *flags, terminal=terminal, no_color=no_color)
    assert code == 0, shown
    assert ("\x1b[" in shown) is coloured, repr(shown)
    plain = ESCAPE.sub("", shown).replace("\r\n", "\n")
    assert "+ create tickets.yaml:4" in plain  # the same plan, coloured or not


def test_an_unknown_choice_is_a_usage_error(here: Path) -> None:
    code, shown = plan(here, "--color", "yes", terminal=False, no_color=False)
    assert code == 2
    assert "'yes' is not one of 'auto', 'always', 'never'" in shown
