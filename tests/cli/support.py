"""Helpers shared by the CI-integration tests: the repository root, git and subprocess runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def git_env(base: Path) -> dict[str, str]:
    """Variables that make git independent of the developer's configuration."""
    empty = base / "gitconfig"
    empty.touch()
    return {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(empty),
        "GIT_AUTHOR_NAME": "acdload tests",
        "GIT_AUTHOR_EMAIL": "tests@example.com",
        "GIT_COMMITTER_NAME": "acdload tests",
        "GIT_COMMITTER_EMAIL": "tests@example.com",
    }


def run_acdload(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``acdload ARGS`` as a real process (``python -m acdload``) of this checkout."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ACDLOAD_")}
    environment.update(env or {})
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
    )
    return subprocess.run(
        [sys.executable, "-m", "acdload", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
