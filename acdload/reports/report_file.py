"""Reading a JSON report back (``acdload report``): a file anyone may have written.

A report travels (a CI artifact, a mail) before it is rendered, so it is read as untrusted
input: only a regular file of bounded size, strict JSON (no NaN, no 5,000-digit numbers,
no nesting deep enough to exhaust the stack), and the shape ``--report`` writes, checked
field by field. Whatever is wrong is one :class:`ReportFileError` naming the file and the
place in it, never a traceback. Reports written before ``subject`` and ``appointment``
existed are read too (the page then has no Subjects and no chart).
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from acdload.applying.applier import OUTCOMES
from acdload.errors import AcdloadError, UsageProblem
from acdload.reports.appointment_chart import parse_appointment
from acdload.safetext import escape, quote

MAX_BYTES = 256 * 1024 * 1024
"""The largest report read: a 100,000-event report is about 45 MB."""

HINT = "give the JSON file that `acdload apply --report FILE` wrote, unedited"

_TEXT = (str,)
_OPTIONAL_TEXT = (str, type(None))
_SCALARS = (str, int, float, bool, type(None))


class ReportFileError(AcdloadError):
    """The file is not a JSON report of ``acdload apply`` (exit 1)."""


def read_report(path: str | Path) -> dict[str, Any]:
    """The report in ``path``, checked; raises :class:`ReportFileError` (or
    :class:`UsageProblem` for a path that is no regular file)."""
    shown = escape(str(path), None)
    return check_report(_parse(_read(path, shown), shown), shown)


def _read(path: str | Path, shown: str) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UsageProblem(f"{shown}: cannot read the report: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UsageProblem(f"{shown}: not a regular file; a report is a JSON file")
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ReportFileError(
            f"{shown}: larger than {MAX_BYTES // (1024 * 1024)} MB; not a report", hint=HINT
        )
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse(data: bytes, shown: str) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportFileError(
            f"{shown}: not UTF-8 (byte {exc.start}); not a report", hint=HINT
        ) from exc
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ReportFileError(
            f"{shown}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}", hint=HINT
        ) from exc
    except (ValueError, RecursionError) as exc:  # a huge integer, NaN, nesting too deep
        why = "nested too deeply" if isinstance(exc, RecursionError) else escape(str(exc))
        raise ReportFileError(f"{shown}: not a report: {why}", hint=HINT) from exc


def _fail(shown: str, where: str, what: str, value: object) -> ReportFileError:
    got = (
        quote(json.dumps(value, ensure_ascii=False)) if _printable(value) else type(value).__name__
    )
    return ReportFileError(f"{shown}: {where}: {what}, got {got}", hint=HINT)


def _printable(value: object) -> bool:
    return isinstance(value, _SCALARS)


def _whole(value: object, *, nullable: bool = False) -> bool:
    if value is None:
        return nullable
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _moment(value: object) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_report(document: Any, shown: str) -> dict[str, Any]:
    """``document`` if it has the shape of a JSON report (see docs/apply.md); else a
    :class:`ReportFileError` at the first place it differs, or where its summary disagrees
    with its results (a page must not show counts its table contradicts)."""
    if not isinstance(document, dict):
        raise _fail(shown, "the document", "must be a JSON object", document)
    for name in ("summary", "results"):
        if name not in document:
            raise ReportFileError(f"{shown}: no {name!r}; not a report of acdload apply", hint=HINT)
    if not isinstance(document.get("target"), _OPTIONAL_TEXT):
        raise _fail(shown, "target", "must be text or null", document["target"])
    for name in ("started", "finished"):
        if not _moment(document.get(name)):
            raise _fail(shown, name, "must be an ISO 8601 time or null", document[name])
    results = document["results"]
    if not isinstance(results, list):
        raise _fail(shown, "results", "must be a list", results)
    for number, result in enumerate(results):
        _check_result(result, f"results[{number}]", shown)
    _check_summary(document["summary"], results, shown)
    return document


def _check_result(result: Any, where: str, shown: str) -> None:
    if not isinstance(result, dict):
        raise _fail(shown, where, "must be an object", result)
    if not isinstance(result.get("file"), _TEXT):
        raise _fail(shown, f"{where}.file", "must be text", result.get("file"))
    for name in ("line", "index", "attempts"):
        if (name == "line" or name in result) and not _whole(result.get(name)):
            raise _fail(shown, f"{where}.{name}", "must be a whole number", result.get(name))
    for name in ("event_id", "http_status"):
        if not _whole(result.get(name), nullable=True):
            raise _fail(shown, f"{where}.{name}", "must be a whole number or null", result[name])
    if result.get("outcome") not in OUTCOMES:
        raise _fail(
            shown,
            f"{where}.outcome",
            f"must be one of {', '.join(OUTCOMES)}",
            result.get("outcome"),
        )
    key = result.get("key")
    if not isinstance(key, dict):
        raise _fail(shown, f"{where}.key", "must be an object", key)
    for name, value in key.items():
        if not isinstance(value, _SCALARS):
            raise _fail(shown, f"{where}.key.{escape(name)}", "must be a single value", value)
    for name in ("action", "result", "error", "subject", "appointment"):
        if not isinstance(result.get(name), _OPTIONAL_TEXT):
            raise _fail(shown, f"{where}.{name}", "must be text or null", result[name])
    appointment = result.get("appointment")
    if appointment is not None and parse_appointment(appointment) is None:
        raise _fail(
            shown, f"{where}.appointment", "must be YYYY-MM-DDTHH:MM or YYYY-MM-DD", appointment
        )


def _check_summary(summary: Any, results: list[dict[str, Any]], shown: str) -> None:
    if not isinstance(summary, dict):
        raise _fail(shown, "summary", "must be an object", summary)
    counted = Counter(result["outcome"] for result in results)
    for name, count in summary.items():
        if name not in OUTCOMES:
            raise ReportFileError(f"{shown}: summary: unknown outcome {quote(name)}", hint=HINT)
        if not _whole(count):
            raise _fail(shown, f"summary.{name}", "must be a whole number", count)
    for name in OUTCOMES:
        if summary.get(name, 0) != counted[name]:
            raise ReportFileError(
                f"{shown}: summary says {summary.get(name, 0)} {name} but the results hold "
                f"{counted[name]}; the report was edited or cut",
                hint=HINT,
            )
