"""The ``acdload-validate`` pre-commit hook, run by the real ``pre-commit`` tool.

pre-commit installs a hook from a git repository at a commit. This working tree cannot be
committed by a test, so the package's files are copied into a scratch repository and
committed there; a second scratch repository, the "manifests repo", uses the hook from
it. pre-commit builds the hook's virtualenv with pip (from PyPI in CI), once per module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.cli.support import REPO, git_env

GOOD = (REPO / "examples" / "tickets.yaml").read_text(encoding="utf-8")
BAD = """\
version: 1
events:
  - AcdEventTypesID: 6
    AcdGroupsID: 235
    Sender: info@example.com
    nPriority: 300
"""
BAD_LINES = [
    "bad.yaml:3: error: Subject is required [required]",
    "bad.yaml:6:16: error: nPriority 300: use a whole number from 0 to 200",
]
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")
PACKAGE_DIRS = ("acdload", "schemas")


@dataclass
class Scratch:
    repo: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), cwd=self.repo, env=self.env, capture_output=True, text=True, check=check
        )

    def pre_commit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "pre_commit", *args)

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("git", *args)


def _hook_repository(root: Path, env: dict[str, str]) -> str:
    """A committed copy of the package and its hook definition; returns the commit."""
    root.mkdir()
    for name in PACKAGE_FILES:
        if (REPO / name).exists():
            shutil.copy2(REPO / name, root / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PACKAGE_DIRS:
        shutil.copytree(REPO / name, root / name, symlinks=True, ignore=ignore)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "hook"]):
        subprocess.run(["git", *command], cwd=root, env=env, check=True, capture_output=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, env=env, check=True, capture_output=True, text=True
    )
    return head.stdout.strip()


@pytest.fixture(scope="module")
def manifests_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scratch]:
    base = tmp_path_factory.mktemp("pre-commit")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACDLOAD_", "PRE_COMMIT"))}
    env.update(git_env(base))
    env["PRE_COMMIT_HOME"] = str(base / "cache")  # the hook's virtualenv, built once here
    rev = _hook_repository(base / "hook", env)
    repo = base / "manifests"
    repo.mkdir()
    config = {
        "repos": [{"repo": str(base / "hook"), "rev": rev, "hooks": [{"id": "acdload-validate"}]}]
    }
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (repo / "good.yaml").write_text(GOOD, encoding="utf-8")
    (repo / "bad.yaml").write_text(BAD, encoding="utf-8")
    (repo / "manifests").mkdir()
    for name in ("campaign.yaml", "campaign.csv"):
        shutil.copy2(REPO / "examples" / name, repo / "manifests" / name)
    scratch = Scratch(repo, env)
    scratch.git("init", "-q")
    scratch.git("add", "-A")
    yield scratch


def test_hook_definition_is_what_a_manifests_repo_wants() -> None:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "acdload-validate"
    assert hook["language"] == "python"
    assert hook["entry"] == "acdload validate"
    assert hook["pass_filenames"] is True
    assert hook["require_serial"] is True  # cross-file checks need every file in one run


def test_hook_definition_is_valid_for_pre_commit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_manifest_fails_with_its_lines(manifests_repo: Scratch) -> None:
    result = manifests_repo.pre_commit("run", "--files", "bad.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    for line in BAD_LINES:
        assert line in result.stdout
    assert "good.yaml" not in result.stdout


def test_good_manifest_passes(manifests_repo: Scratch) -> None:
    result = manifests_repo.pre_commit("run", "--files", "good.yaml", ".pre-commit-config.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_the_installed_hook_blocks_a_bad_commit_and_lets_good_ones_through(
    manifests_repo: Scratch,
) -> None:
    installed = manifests_repo.pre_commit("install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    manifests_repo.git("reset", "-q")
    manifests_repo.git("add", "good.yaml", ".pre-commit-config.yaml", "manifests")
    good = manifests_repo.git("commit", "-q", "-m", "good manifests")
    assert good.returncode == 0, good.stdout + good.stderr

    manifests_repo.git("add", "bad.yaml")
    bad = manifests_repo.git("commit", "-q", "-m", "bad manifest")
    assert bad.returncode != 0
    for line in BAD_LINES:
        assert line in bad.stdout + bad.stderr
    log = manifests_repo.git("log", "--format=%s")
    assert log.stdout.split("\n")[0] == "good manifests", "the bad commit was blocked"
    manifests_repo.git("reset", "-q")

    # Only the CSV changes: the hook gets campaign.csv alone and checks it through the
    # YAML manifest that reads it (a CSV source is not a manifest of its own).
    csv = manifests_repo.repo / "manifests" / "campaign.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("10:30", "11:30"), encoding="utf-8")
    manifests_repo.git("add", "manifests/campaign.csv")
    edited = manifests_repo.git("commit", "-q", "-m", "move an appointment")
    assert edited.returncode == 0, edited.stdout + edited.stderr

    csv.write_text(csv.read_text(encoding="utf-8").replace("11:30", "25:30"), encoding="utf-8")
    manifests_repo.git("add", "manifests/campaign.csv")
    broken = manifests_repo.git("commit", "-q", "-m", "an impossible time")
    assert broken.returncode != 0
    assert "manifests/campaign.csv:3:5: error: column 'Time'" in broken.stdout + broken.stderr
    assert "[time-format]" in broken.stdout + broken.stderr
