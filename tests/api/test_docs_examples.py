"""docs/python-api.md runs as written: its examples are doctests, run in order against the
embedded emulator in a fresh directory, and every public name is documented there."""

from __future__ import annotations

import doctest
import re
import shutil
from pathlib import Path

import pytest

import acdload
from tests.emulator_support import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "python-api.md"


def test_the_examples_run_and_print_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "manifests").mkdir()
    shutil.copy(REPO_ROOT / "examples" / "callbacks.yaml", tmp_path / "manifests")
    text = PAGE.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, PAGE.name, str(PAGE), 0)
    assert len(test.examples) > 40  # the page is read as doctests, not skipped
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_every_public_name_is_documented_with_an_example() -> None:
    text = PAGE.read_text(encoding="utf-8")
    examples = "\n".join(example.source for example in doctest.DocTestParser().get_examples(text))
    missing = [
        name
        for name in acdload.__all__
        if not re.search(rf"\bacdload\.{re.escape(name)}\b", examples)
        and not re.search(rf"\b{re.escape(name)}\(", examples)
    ]
    assert not missing, f"public names without an example in {PAGE.name}: {missing}"


@pytest.mark.parametrize("page", ["README.md", "docs/README.md"])
def test_the_page_is_linked(page: str) -> None:
    assert "python-api.md" in (REPO_ROOT / page).read_text(encoding="utf-8")
