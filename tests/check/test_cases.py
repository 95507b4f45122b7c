"""Runs every regression case under tests/cases (see its README for the format)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from acdload.check.pipeline import CheckOptions, Prepared, prepare

CASES = Path(__file__).parent.parent / "cases"
NOW = datetime.fromisoformat("2026-11-28T12:00:00")


def _cases(kind: str) -> list[Path]:
    root = CASES / kind
    return sorted(p for p in root.iterdir() if p.is_dir() or p.suffix in (".yaml", ".yml", ".csv"))


def _run(case: Path, monkeypatch: pytest.MonkeyPatch) -> Prepared:
    monkeypatch.chdir(case.parent)
    return prepare([case.name], CheckOptions(now=NOW))


def _reported(prepared: Prepared, case: Path) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for p in prepared.problems:
        file = p.location.file
        if case.is_dir():
            file = str(Path(file).relative_to(case.name))
        where = f"{file}:{p.location.line}" + (f":{p.location.column}" if p.location.column else "")
        rows.append((where, p.severity.value, p.rule, p.field or "-", p.message))
    return rows


def _expected(case: Path) -> list[tuple[str, str, str, str, str]]:
    path = case.with_suffix(".expected") if case.is_file() else case / "expected"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        head, _, contains = line.partition(" ~ ")
        parts = head.split()
        field = parts[3] if len(parts) > 3 else "-"
        rows.append((parts[0], parts[1], parts[2], field, contains.strip()))
    return rows


def _matches(expected: list[tuple[str, ...]], reported: list[tuple[str, ...]]) -> None:
    remaining = list(reported)
    for want in expected:
        hit = next((got for got in remaining if got[:4] == want[:4] and want[4] in got[4]), None)
        assert hit is not None, f"expected problem not reported: {want}\nreported: {reported}"
        remaining.remove(hit)
    assert not remaining, f"unexpected problems: {remaining}"


@pytest.mark.parametrize("case", _cases("valid"), ids=lambda p: p.name)
def test_valid_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = _run(case, monkeypatch)
    _matches(_expected(case), _reported(prepared, case))
    assert not prepared.has_errors
    payloads = case.with_suffix(".jsonl") if case.is_file() else case / "payloads.jsonl"
    if payloads.exists():
        want = [json.loads(line) for line in payloads.read_text(encoding="utf-8").splitlines()]
        assert prepared.payloads == want
        assert [list(p) for p in prepared.payloads] == [list(w) for w in want], "field order"


@pytest.mark.parametrize("case", _cases("invalid"), ids=lambda p: p.name)
def test_invalid_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = _run(case, monkeypatch)
    expected = _expected(case)
    assert expected, f"{case.name}: an invalid case needs its .expected file"
    _matches(expected, _reported(prepared, case))
    assert prepared.has_errors or all(e[1] == "warning" for e in expected)
