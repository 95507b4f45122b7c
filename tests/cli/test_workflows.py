"""The ready-made CI workflows in ``examples/ci/`` run for real.

Every script block of a workflow that holds an ``acdload`` command is run in bash, in a
scratch manifests repository (the examples in ``manifests/``), with the variables the
workflow sets and those the CI system provides; ``acdload`` on PATH is this checkout
(``python -m acdload``). The server's credentials, which a workflow takes from the CI's
secrets, are those of an emulator process, so a broken command fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from acdload import __version__
from tests.cli.support import REPO
from tests.emulator_support import EmulatorProcess

CI = REPO / "examples" / "ci"
GITHUB = [CI / "github" / f"acdload-{name}.yml" for name in ("validate", "plan", "apply")]
GITLAB = CI / "gitlab" / ".gitlab-ci.yml"
EXAMPLE_EVENTS = 8
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def _has_command(script: str) -> bool:
    return any(line.strip().startswith("acdload ") for line in script.splitlines())


@dataclass
class Block:
    """One script block that runs acdload, and the variables it runs with."""

    where: str
    script: str
    env: dict[str, str]


def _expand(value: Any, context: Mapping[str, str]) -> str:
    """A GitHub expression such as ``${{ secrets.ACDLOAD_TOKEN }}``, from ``context``."""
    return _EXPRESSION.sub(lambda m: context.get(m.group(1), ""), str(value))


def github_blocks(path: Path, settings: Mapping[str, str]) -> Iterator[Block]:
    """``settings``: the repository's variables and secrets, by name."""
    workflow = _load(path)
    for job_name, job in workflow["jobs"].items():
        for number, step in enumerate(job["steps"]):
            if "run" not in step or not _has_command(step["run"]):
                continue
            # A step meant for a run without credentials gets none (a fork's pull request).
            without = "== ''" in str(step.get("if", ""))
            context = {"github.token": "github-token", "github.event.pull_request.number": "7"}
            for name, value in settings.items():
                if not without:
                    context[f"secrets.{name}"] = context[f"vars.{name}"] = value
            env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            yield Block(
                f"{path.name} {job_name} step {number + 1} ({step.get('name', '')})",
                step["run"],
                {name: _expand(value, context) for name, value in env.items()},
            )


def gitlab_blocks(path: Path, settings: Mapping[str, str]) -> Iterator[Block]:
    """``settings``: the project's CI/CD variables; plan's blocks also run without them."""
    pipeline = yaml.safe_load(path.read_text(encoding="utf-8"))
    for stage in pipeline["stages"]:
        for job_name, job in pipeline.items():
            if not isinstance(job, dict) or job.get("stage") != stage:
                continue
            env = {**pipeline.get("variables", {}), **job.get("variables", {})}
            for number, script in enumerate(job["script"]):
                if not _has_command(script):
                    continue
                where = f"{path.name} {job_name} script {number + 1}"
                yield Block(where, script, {**env, **settings})
                if job_name.endswith("plan"):
                    yield Block(where + " (no credentials)", script, dict(env))


@pytest.fixture
def manifests_repo(tmp_path: Path) -> Path:
    """A manifests repository laid out as the workflows expect, and ``acdload`` on PATH."""
    repo = tmp_path / "repo"
    (repo / "manifests").mkdir(parents=True)
    for example in sorted((REPO / "examples").iterdir()):
        if example.is_file() and example.suffix in (".yaml", ".csv"):
            shutil.copy2(example, repo / "manifests" / example.name)
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for workflow in GITHUB:
        shutil.copy2(workflow, workflows / workflow.name)
    shutil.copy2(GITLAB, repo / ".gitlab-ci.yml")
    shim = tmp_path / "bin" / "acdload"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m acdload "$@"\n', encoding="utf-8")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return repo


def run_block(block: Block, repo: Path, provided: Mapping[str, str]) -> None:
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ACDLOAD_", "GITHUB_", "GITLAB_", "CI_"))
        and name not in ("CI", "NO_COLOR")
    }
    base["PATH"] = f"{repo.parent / 'bin'}{os.pathsep}{base['PATH']}"
    base["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.script],
        cwd=repo,
        env={**base, **provided, **block.env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (
        f"{block.where} failed with exit {result.returncode}\n{block.script}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )


def server_events(server: EmulatorProcess) -> list[dict[str, Any]]:
    answer = requests.get(server.url("/acd/events"), headers=server.headers, timeout=30)
    answer.raise_for_status()
    events: list[dict[str, Any]] = answer.json()["records"]
    return events


def test_github_workflows_run(
    manifests_repo: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    server = emulator_process()
    settings = {"ACDLOAD_BASE_URL": server.base_url, "ACDLOAD_TOKEN": server.token}
    summary = manifests_repo.parent / "step-summary.md"
    provided = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_REPOSITORY": "example/loads",
    }
    ran = []
    for path in GITHUB:
        for block in github_blocks(path, settings):
            run_block(block, manifests_repo, provided)
            ran.append(block.where)
            if "Plan against the server" in block.where:
                plan = (manifests_repo / "acdload-plan.md").read_text(encoding="utf-8")
                assert f"Target: `{server.base_url}`" in plan
                assert f"| to create | {EXAMPLE_EVENTS} |" in plan
    assert len(ran) == 4, ran  # validate, plan with and without a server, apply
    assert (manifests_repo / "acdload.sarif").is_file()
    report = json.loads((manifests_repo / "acdload-report.json").read_text(encoding="utf-8"))
    assert report["summary"]["created"] == EXAMPLE_EVENTS
    assert (manifests_repo / ".acdload" / "journal.jsonl").is_file()
    assert len(server_events(server)) == EXAMPLE_EVENTS


def test_gitlab_pipeline_runs(
    manifests_repo: Path, emulator_process: Callable[..., EmulatorProcess]
) -> None:
    server = emulator_process()
    settings = {"ACDLOAD_BASE_URL": server.base_url, "ACDLOAD_TOKEN": server.token}
    provided = {"GITLAB_CI": "true", "CI": "true"}
    ran = []
    for block in gitlab_blocks(GITLAB, settings):
        run_block(block, manifests_repo, provided)
        ran.append(block.where)
        plan = manifests_repo / "acdload-plan.md"
        if block.where.endswith("(no credentials)"):
            assert "`--offline`" in plan.read_text(encoding="utf-8")
        elif "plan" in block.where:
            assert f"Target: `{server.base_url}`" in plan.read_text(encoding="utf-8")
    assert len(ran) == 4, ran
    report = json.loads((manifests_repo / "acdload-report.json").read_text(encoding="utf-8"))
    assert report["summary"]["created"] == EXAMPLE_EVENTS
    assert len(server_events(server)) == EXAMPLE_EVENTS


def test_github_workflows_do_what_they_promise() -> None:
    validate, plan, apply = (_load(path) for path in GITHUB)
    assert "pull_request" in validate["on"] and "pull_request" in plan["on"]
    assert apply["on"]["push"]["branches"] == ["main"]
    assert apply["concurrency"] == {"group": "acdload-apply", "cancel-in-progress": False}
    plan_runs = [step.get("run", "") for step in plan["jobs"]["plan"]["steps"]]
    assert any("--format markdown" in run and "--offline" not in run for run in plan_runs)
    assert any("--offline" in run for run in plan_runs)
    assert any("gh pr comment" in run for run in plan_runs)
    steps = apply["jobs"]["apply"]["steps"]
    assert any("acdload apply manifests/ --yes" in step.get("run", "") for step in steps)
    artifact = next(
        s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")
    )
    assert artifact["if"] == "always()"
    assert "acdload-report.json" in artifact["with"]["path"]


def test_gitlab_pipeline_does_what_it_promises() -> None:
    pipeline = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert pipeline["stages"] == ["validate", "plan", "apply"]
    apply = pipeline["acdload-apply"]
    assert apply["resource_group"] == "acdload-apply"
    assert "acdload apply manifests/ --yes" in apply["script"][0]
    assert apply["artifacts"]["when"] == "always"


@pytest.mark.parametrize(
    ("schema", "paths"),
    [("vendor.github-workflows", GITHUB), ("vendor.gitlab-ci", [GITLAB])],
)
def test_workflows_are_valid_for_their_ci(schema: str, paths: list[Path]) -> None:
    """check-jsonschema's copies of the CI systems' own schemas (no network needed)."""
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pin_this_version() -> None:
    for path in [*GITHUB, GITLAB]:
        data = _load(path)
        pinned = data.get("env", data.get("variables", {}))["ACDLOAD_VERSION"]
        assert pinned == __version__, f"{path.name}: ACDLOAD_VERSION {pinned} != {__version__}"
