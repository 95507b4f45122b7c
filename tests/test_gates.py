"""The gates cannot drift apart: .ci/run, the pre-commit hooks, the README's test command,
and the one way the tests run the CLI.

.ci/run is CI: it installs as the README's second command does, runs the repository's
checks (ruff, ruff format, mypy --strict), then that command's tests, last. The hooks
of .pre-commit-config.yaml are the same checks, so a commit that passes them passes CI's.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CI_RUN = REPO / ".ci" / "run"
HOOKS = REPO / ".pre-commit-config.yaml"


def ci_commands() -> list[str]:
    """The commands .ci/run runs in the project's environment, in order."""
    lines = CI_RUN.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if re.match(r"(python3 -m venv|\.venv/bin/)", line)]


def readme_test_command() -> str:
    """The README's second command: the one that runs the tests from a clean clone."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", text, flags=re.DOTALL)
    return str(blocks[1])


def test_ci_runs_the_readme_command_with_the_checks_between_install_and_tests() -> None:
    install, *checks, tests = ci_commands()
    assert f"{install} && {tests}" == readme_test_command()
    assert tests == ".venv/bin/python -m pytest"
    assert checks == [
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy --strict",
    ]
    assert "set -euo pipefail" in CI_RUN.read_text(encoding="utf-8").splitlines()


def test_the_pre_commit_hooks_are_the_checks_ci_runs() -> None:
    config = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    [repo] = config["repos"]
    assert repo["repo"] == "local"
    for hook in repo["hooks"]:
        assert hook["language"] == "system", hook  # the project's environment, not pre-commit's
        assert hook.get("pass_filenames") is False, hook  # the whole tree, as CI checks it
    hooked = [" ".join([hook["entry"], *hook.get("args", [])]) for hook in repo["hooks"]]
    _, *checks, _ = ci_commands()
    assert hooked == checks


def test_pre_commit_accepts_the_config() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(HOOKS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_only_the_cli_fixture_runs_the_cli_in_process() -> None:
    """Its runner never catches a crash and always goes through the ``acdload`` group; a
    file with its own ``CliRunner`` would lose either (see tests/cli_runner.py)."""
    own = [
        str(path.relative_to(REPO))
        for path in sorted((REPO / "tests").rglob("*.py"))
        if path.name != "cli_runner.py"
        and path != Path(__file__).resolve()
        and "CliRunner" in path.read_text(encoding="utf-8")
    ]
    assert not own, f"use the cli fixture (tests/conftest.py) instead of CliRunner in {own}"
