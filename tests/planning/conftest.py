"""The planning tests run ``acdload`` with the clock fixed."""

from __future__ import annotations

import pytest

from tests.cli_runner import Cli
from tests.planning.helpers import NOW


@pytest.fixture
def run(cli: Cli) -> Cli:
    """``run("plan", ...)``: ``acdload plan ... --now NOW`` in this process."""
    return cli.adding("--now", NOW)
