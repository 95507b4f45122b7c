"""A test hook set in the environment cannot kill a real apply.

``ACDLOAD_FAILPOINT=PHASE:N`` used to be read by acdload itself: anyone who could set a
variable in a CI job's environment could make apply SIGKILL itself mid-load, after the
journal's ``sent`` line, every time. It now lives in the tests' harness only
(``tests/applying/failpoint.py``): without that harness on ``PYTHONPATH``, as every real
run is, the variable does nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.applying.support import write_csv
from tests.emulator_support import REPO_ROOT
from tests.hostile.jtel_script import CREATE, JtelScript, run_acdload


@pytest.mark.parametrize("point", ["before-send:1", "in-flight:1", "after-answer:2"])
def test_a_failpoint_in_the_environment_does_nothing_outside_the_tests(
    tmp_path: Path, point: str
) -> None:
    write_csv(tmp_path / "load.csv", 2)
    with JtelScript() as server:
        run = run_acdload(
            tmp_path, "apply", "load.csv", "--yes", "--report", "r.json",
            "--base-url", server.base_url,
            PYTHONPATH=str(REPO_ROOT), ACDLOAD_FAILPOINT=point,
        )  # fmt: skip

    assert run.returncode == 0, run.output
    summary = json.loads((tmp_path / "r.json").read_text("utf-8"))["summary"]
    assert summary["created"] == 2
    assert len(server.sent(CREATE)) == 2
