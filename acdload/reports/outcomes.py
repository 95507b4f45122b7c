"""Apply's reports: JSON, CSV, a CSV of what failed (loadable again as it is), JUnit, HTML.

CSV files are written in the spreadsheet dialect asked for, every cell a spreadsheet would
run as a formula guarded (``acdload.reports.csv_dialects``), and every file is created readable by its owner only, scrubbed of credentials
(``acdload.outputs``). What a server said (the ``error`` of a result) may hold anything: it
is escaped where a person reads it (CSV, JUnit), and JSON keeps it exactly but with every
unsafe character as a ``\\u`` escape, so no report breaks a terminal or an XML parser.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from xml.etree import ElementTree

from acdload.applying.applier import OUTCOMES, ApplyRun, Result
from acdload.check.schema import event_fields
from acdload.outputs import write_outputs
from acdload.reports.appointment_chart import appointment_of
from acdload.reports.csv_dialects import DEFAULT_CSV_DIALECT, csv_text
from acdload.reports.html import render_html_report
from acdload.safetext import escape, escape_json

RESULT_COLUMNS = (
    "index",
    "file",
    "line",
    "key",
    "action",
    "outcome",
    "event_id",
    "http_status",
    "result",
    "error",
    "attempts",
)


def summary(run: ApplyRun) -> dict[str, int]:
    counts = Counter(result.outcome for result in run.results)
    return {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}


def _iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment).astimezone().isoformat()


def result_row(result: Result) -> dict[str, Any]:
    return {name: getattr(result, name) for name in RESULT_COLUMNS}


def event_row(result: Result, payloads: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A result as the JSON report holds it: the result columns, then what a person knows
    the event by (its Subject) and its appointment, for the HTML report's chart."""
    payload = payloads[result.index]
    return result_row(result) | {
        "subject": payload.get("Subject"),
        "appointment": appointment_of(payload),
    }


def _head(run: ApplyRun, target: str | None) -> dict[str, Any]:
    return {
        "target": target,
        "started": _iso(run.started),
        "finished": _iso(run.finished),
        "summary": summary(run),
    }


def report_document(
    run: ApplyRun, target: str | None, payloads: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The JSON report as data (what ``--report`` writes, and the HTML report shows)."""
    return _head(run, target) | {"results": [event_row(r, payloads) for r in run.results]}


def json_report(run: ApplyRun, target: str | None, payloads: Sequence[Mapping[str, Any]]) -> str:
    return "".join(_json_report_parts(run, target, payloads))


def _json_report_parts(
    run: ApplyRun, target: str | None, payloads: Sequence[Mapping[str, Any]]
) -> Iterator[str]:
    """The JSON report (as ``json.dumps(document, indent=2)``) one result at a time.

    Encoding the whole document at once holds every small piece of its text in one list,
    about 3 KB per event at the peak; a result at a time holds one.
    """
    head = _head(run, target)
    text = escape_json(json.dumps(head, indent=2, ensure_ascii=False))[: -len("\n}")]
    if not run.results:
        yield text + ',\n  "results": []\n}\n'
        return
    yield text + ',\n  "results": [\n'
    last = len(run.results) - 1
    for number, result in enumerate(run.results):
        item = escape_json(json.dumps(event_row(result, payloads), indent=2, ensure_ascii=False))
        # JSON text has no raw line breaks inside strings: each one is indentation.
        yield "    " + item.replace("\n", "\n    ") + (",\n" if number < last else "\n")
    yield "  ]\n}\n"


def _payload_columns(payloads: list[dict[str, Any]]) -> list[str]:
    present = {name for payload in payloads for name in payload}
    return [name for name in event_fields().order if name in present]


def csv_report(
    run: ApplyRun, payloads: list[dict[str, Any]], dialect: str = DEFAULT_CSV_DIALECT
) -> str:
    """One row per event: the result columns, then the payload's fields."""
    chosen = [payloads[result.index] for result in run.results]
    fields = _payload_columns(chosen)
    rows = []
    for result, payload in zip(run.results, chosen, strict=True):
        row = result_row(result)
        row["key"] = json.dumps(result.key, ensure_ascii=False)
        row["error"] = None if result.error is None else escape(result.error, None)
        rows.append([row[name] for name in RESULT_COLUMNS] + [payload.get(f) for f in fields])
    return csv_text([*RESULT_COLUMNS, *fields], rows, dialect)


def failed_csv(
    run: ApplyRun, payloads: list[dict[str, Any]], dialect: str = DEFAULT_CSV_DIALECT
) -> str:
    """The failed and not attempted events as a standalone CSV manifest, ready to fix and load.

    It always has its header (the columns of the whole load when nothing failed), so a
    pipeline can feed it back whatever happened.
    """
    chosen = [payloads[r.index] for r in run.results if r.outcome in ("failed", "not_attempted")]
    fields = _payload_columns(chosen or payloads)
    return csv_text(fields, [[payload.get(f) for f in fields] for payload in chosen], dialect)


def junit_report(run: ApplyRun, fail_on_drift: bool = False) -> str:
    counts = summary(run)
    failing = {"failed", "not_attempted"} | ({"drift"} if fail_on_drift else set())
    suite = ElementTree.Element(
        "testsuite",
        name="acdload apply",
        tests=str(len(run.results)),
        failures=str(sum(counts[o] for o in failing)),
        errors="0",
        skipped=str(counts["expired"]),
        time=f"{(run.finished or run.started) - run.started:.3f}",
    )
    for result in run.results:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=escape(result.file, None),
            name=escape(
                f"{result.file}:{result.line} {json.dumps(result.key, ensure_ascii=False)}", None
            ),
        )
        if result.outcome in failing:
            error = escape(result.error or "", None)
            failure = ElementTree.SubElement(case, "failure", message=error or result.outcome)
            failure.text = f"outcome {result.outcome}; HTTP {result.http_status}; {error}"
        elif result.outcome == "expired":  # not sent on purpose: no failure, no success
            ElementTree.SubElement(case, "skipped", message=escape(result.error or "expired", None))
        else:
            output = ElementTree.SubElement(case, "system-out")
            output.text = f"{result.outcome} event {result.event_id}"
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_reports(
    run: ApplyRun,
    payloads: list[dict[str, Any]],
    target: str | None,
    *,
    report: str | None = None,
    report_csv: str | None = None,
    failed: str | None = None,
    junit: str | None = None,
    html: str | None = None,
    fail_on_drift: bool = False,
    redacted: bool = False,
    csv_dialect: str = DEFAULT_CSV_DIALECT,
) -> None:
    """Write each report asked for (a failed one does not stop the others; see
    :func:`acdload.outputs.write_outputs`)."""
    write_outputs(
        {
            "--report": (report, lambda: _json_report_parts(run, target, payloads)),
            "--report-csv": (report_csv, lambda: csv_report(run, payloads, csv_dialect)),
            "--failed-csv": (failed, lambda: failed_csv(run, payloads, csv_dialect)),
            "--junit": (junit, lambda: junit_report(run, fail_on_drift)),
            "--report-html": (
                html,
                lambda: render_html_report(
                    report_document(run, target, payloads), redacted=redacted
                ),
            ),
        }
    )
