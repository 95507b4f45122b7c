"""``acdload emulator`` and ``python -m acdload.emulator`` are one program: the same
options from one definition, ``-q``/``-v`` and ``-h`` on both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.emulator_support import REPO_ROOT

ENTRY_POINTS = {
    "acdload emulator": [sys.executable, "-m", "acdload", "emulator"],
    "python -m acdload.emulator": [sys.executable, "-m", "acdload.emulator"],
}


def run(entry: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [*ENTRY_POINTS[entry], *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def options_of(help_text: str) -> str:
    """The options part of ``--help`` (the usage line names the program, which differs)."""
    return help_text[help_text.index("Options:") :]


def test_both_entry_points_show_the_same_options(tmp_path: Path) -> None:
    shown = {entry: run(entry, "-h", cwd=tmp_path) for entry in ENTRY_POINTS}
    for done in shown.values():
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Usage: python -m acdload")
    main, standalone = (options_of(done.stdout) for done in shown.values())
    assert main == standalone
    for flag in ("-q, --quiet", "-v, --verbose", "-h, --help", "--latency-ms", "--read-timeout"):
        assert flag in standalone


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("flags", [[], ["-q"], ["--quiet"], ["-v"]])
def test_quiet_drops_the_note_and_keeps_the_url(
    entry: str, flags: list[str], tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [*ENTRY_POINTS[entry], "--token", "t", *flags],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("http://127.0.0.1:")
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    quiet = bool({"-q", "--quiet"} & set(flags))
    assert ("acdload emulator: serving" in stderr) is not quiet
    assert "Error" not in stderr


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_quiet_and_verbose_together_are_a_usage_error(entry: str, tmp_path: Path) -> None:
    done = run(entry, "-q", "-v", cwd=tmp_path)
    assert done.returncode == 2
    assert "--verbose and --quiet cannot be used together" in done.stderr
    assert done.stdout == ""  # nothing was served
