"""What users of any mature command-line tool expect: --version, completion, -q/-v on
every command, NO_COLOR, data on stdout and chatter on stderr, --traceback."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from acdload import __version__
from acdload.cli import main
from acdload.cli.app import COMMANDS
from tests.cli.support import REPO, run_acdload
from tests.cli_runner import Cli
from tests.emulator_support import RunningEmulator

NOW = "2026-11-28T12:00:00"
GOOD = """\
version: 1
defaults: {AcdEventTypesID: 6, AcdGroupsID: 235, Subject: "Ticket {{ UserData }}"}
events:
  - {Sender: info@example.com, UserData: "T-1"}
  - {Sender: info@example.com, UserData: "T-2"}
"""
PAST = """\
version: 1
timezone: Europe/Berlin
defaults: {AcdEventTypesID: 3, AcdGroupsID: 235, Subject: "Call back"}
events:
  - {Sender: "+49 170 1234567", UserData: "CB-1", dtAppointmentDate: "2026-01-05", dtAppointmentTime: "09:00"}
"""


@pytest.fixture(autouse=True)
def _manifests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tickets.yaml").write_text(GOOD, encoding="utf-8")
    Path("past.yaml").write_text(PAST, encoding="utf-8")


def test_version(cli: Cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"acdload, version {__version__}\n"


# Shell completion ----------------------------------------------------------------------


def completion(shell_mode: str, **env: str) -> subprocess.CompletedProcess[str]:
    """What ``_ACDLOAD_COMPLETE=MODE acdload`` prints (the installed script is ``acdload``)."""
    environment = {**os.environ, "_ACDLOAD_COMPLETE": shell_mode, **env}
    environment["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-c", "from acdload.cli import main; main(prog_name='acdload')"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _acdload_completion acdload"),
        ("zsh", "compdef _acdload_completion acdload"),
        ("fish", "complete --no-files --command acdload"),
    ],
)
def test_completion_script_for_each_shell(shell: str, marker: str) -> None:
    result = completion(f"{shell}_source")
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout
    assert "_ACDLOAD_COMPLETE" in result.stdout


def test_bash_completion_script_is_valid_bash_and_registers_acdload() -> None:
    script = completion("bash_source").stdout
    shown = subprocess.run(
        ["bash", "-c", script + "\ncomplete -p acdload"], capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert "_acdload_completion" in shown.stdout


def test_completion_offers_commands_options_and_configured_targets(tmp_path: Path) -> None:
    commands = completion("bash_complete", COMP_WORDS="acdload pl", COMP_CWORD="1")
    assert commands.stdout.split() == ["plain,plan"]
    (tmp_path / "acdload.toml").write_text(
        '[targets.staging]\nbase_url = "https://s.example.com/rest/v1.0/1"\n', encoding="utf-8"
    )
    targets = subprocess.run(
        [sys.executable, "-c", "from acdload.cli import main; main(prog_name='acdload')"],
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "_ACDLOAD_COMPLETE": "bash_complete",
            "COMP_WORDS": "acdload plan --target st",
            "COMP_CWORD": "3",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert targets.stdout.split() == ["plain,staging"]


# -q and -v -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_quiet_and_verbose(cli: Cli, name: str) -> None:
    command = main.get_command(click.Context(main), name)
    assert command is not None
    flags = {opt for param in command.params for opt in param.opts}
    assert {"-q", "--quiet", "-v", "--verbose"} <= flags
    shown = cli(name, "--help").stdout
    assert "-q, --quiet" in shown and "-v, --verbose" in shown


@pytest.mark.parametrize("name", ["validate", "render", "plan", "apply", "schema"])
def test_quiet_and_verbose_together_are_a_usage_error(cli: Cli, name: str) -> None:
    result = cli(name, "-q", "-v", "tickets.yaml")
    assert result.exit_code == 2
    assert "--verbose and --quiet cannot be used together" in result.stderr


def test_validate_quiet_prints_problems_only(cli: Cli) -> None:
    assert cli("validate", "tickets.yaml", "-q").stdout == ""
    past = cli("validate", "past.yaml", "--now", NOW, "--quiet")
    assert past.exit_code == 0
    assert past.stdout.splitlines() == [
        line
        for line in cli("validate", "past.yaml", "--now", NOW).stdout.splitlines()
        if not line.startswith("valid:")
    ]
    assert len(past.stdout.splitlines()) == 1


def test_validate_and_render_verbose_list_the_files_read_on_stderr(cli: Cli) -> None:
    result = cli("validate", "tickets.yaml", "past.yaml", "--now", NOW, "-v")
    assert result.stderr.splitlines() == ["read tickets.yaml: 2 events", "read past.yaml: 1 event"]
    rendered = cli("render", "tickets.yaml", "--verbose")
    assert rendered.stderr == "read tickets.yaml: 2 events\n"
    assert len(rendered.stdout.splitlines()) == 2


def test_render_quiet_keeps_the_problems_but_not_the_summary(cli: Cli) -> None:
    result = cli("render", "past.yaml", "--now", NOW, "-q")
    assert result.exit_code == 0
    assert result.stderr.count("\n") == 1 and "[appointment-past]" in result.stderr


def test_plan_quiet_drops_the_summary_of_the_problems_not_the_plan(cli: Cli) -> None:
    loud = cli("plan", "past.yaml", "--offline", "--now", NOW)
    quiet = cli("plan", "past.yaml", "--offline", "--now", NOW, "-q")
    assert quiet.stdout == loud.stdout != ""
    assert "valid: 0 errors, 1 warning" in loud.stderr
    assert "[appointment-past]" in quiet.stderr and "valid:" not in quiet.stderr


def test_apply_quiet_and_verbose(cli: Cli, emulator: RunningEmulator) -> None:
    env = {"ACDLOAD_BASE_URL": emulator.base_url, "ACDLOAD_TOKEN": emulator.token}
    quiet = cli("apply", "tickets.yaml", "--yes", "-q", env=env)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    verbose = cli("apply", "tickets.yaml", "--yes", "-v", env=env)
    assert verbose.exit_code == 0
    assert verbose.stderr.startswith("plan: 0 to create, 2 unchanged")
    assert "apply: 2 exists" in verbose.stderr


def test_emulator_quiet_prints_no_note(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for flags, noted in (([], True), (["-q"], False)):
        process = subprocess.Popen(
            [sys.executable, "-m", "acdload", "emulator", "--token", "t", *flags],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert process.stdout is not None
        assert process.stdout.readline().startswith("http://127.0.0.1:")
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0
        assert ("acdload emulator: serving" in stderr) is noted


# stdout, stderr and colour -------------------------------------------------------------


def test_data_on_stdout_problems_and_chatter_on_stderr() -> None:
    rendered = run_acdload("render", "past.yaml", "--now", NOW, cwd=Path.cwd())
    assert rendered.returncode == 0
    assert rendered.stdout.startswith('{"AcdEventTypesID":3')
    assert "[appointment-past]" in rendered.stderr and "[appointment-past]" not in rendered.stdout
    planned = run_acdload(
        "plan", "past.yaml", "--offline", "--now", NOW, "--format", "json", cwd=Path.cwd()
    )
    assert planned.returncode == 0
    assert planned.stdout.startswith("{") and planned.stderr.startswith("past.yaml:5:")


def _on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """Run acdload with stdout on a pseudo-terminal; return what it wrote there."""
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    environment.update(env, PYTHONPATH=str(REPO), TERM="xterm")
    process = subprocess.Popen(
        [sys.executable, "-m", "acdload", *args],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=environment,
    )
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
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_no_color_is_honoured_on_a_terminal() -> None:
    args = ("plan", "tickets.yaml", "--offline")
    colored = _on_a_terminal(*args, env={})
    plain = _on_a_terminal(*args, env={"NO_COLOR": "1"})
    assert "\x1b[" in colored
    assert "\x1b[" not in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


# --traceback ---------------------------------------------------------------------------


def test_a_user_error_shows_no_traceback_unless_asked() -> None:
    plain = run_acdload("validate", "missing.yaml", cwd=Path.cwd())
    assert plain.returncode == 2
    assert plain.stderr.startswith("error: missing.yaml: no such file or directory\nhint: ")
    assert "Traceback" not in plain.stderr
    shown = run_acdload("--traceback", "validate", "missing.yaml", cwd=Path.cwd())
    assert shown.returncode != 0
    assert "Traceback (most recent call last)" in shown.stderr
    assert "acdload.errors.UsageProblem: missing.yaml: no such file or directory" in shown.stderr
