"""Shared fixtures. Tests are isolated from the developer's environment: no stray
ACDLOAD_* variables, no colour, and state kept in tmp_path. ``cli`` is the one way to run
``acdload`` in this process (see tests/cli_runner.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.cli_runner import Cli

pytest_plugins = ["tests.emulator_support"]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("ACDLOAD_") or name == "GITHUB_ACTIONS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TZ", "Europe/Berlin")
    yield


@pytest.fixture
def cli() -> Cli:
    """``cli("validate", "x.yaml")``: ``acdload validate x.yaml`` in this process, crashes
    not caught; ``cli.adding("--now", NOW)`` for a file's common arguments."""
    return Cli()
