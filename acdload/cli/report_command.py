"""``acdload report``: the HTML page of an apply, rendered later from its JSON report."""

from __future__ import annotations

from pathlib import Path

import click

from acdload.cli.options import verbosity_options
from acdload.errors import UsageProblem
from acdload.outputs import check_output_paths, write_private
from acdload.reports.html import render_html_report
from acdload.reports.report_file import read_report
from acdload.safetext import escape


def _check_output(output: Path, report: Path) -> None:
    """Refuse an output path that cannot be written before anything is read: the checks
    every output gets, and two of this command's own: not the report itself (rendering
    would replace the only copy of the data), and nothing that is not a regular file."""
    check_output_paths({"-o": output}, kept={"REPORT.json": report})
    if output.exists() and not output.is_file():
        raise UsageProblem(
            f"-o {escape(str(output), None)}: exists and is not a regular file; "
            "give the name of the page to write"
        )


@click.command("report")
@click.argument("report", type=click.Path(exists=True, dir_okay=False), metavar="REPORT.json")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE.html",
    help="Write the page to FILE.html (mode 0600).",
)
@click.option("--redact", is_flag=True, help="Mask phone numbers and e-mail addresses.")
@verbosity_options(
    quiet="Print errors only.",
    verbose="Also print the target and the time of the apply.",
)
def report_command(report: str, output: str, redact: bool, quiet: bool, verbose: bool) -> None:
    """Render the JSON report of an apply (`apply --report FILE`) as one self-contained
    HTML page: summary counts, the failures first, a sortable and filterable table of
    every event, and the appointments per day and hour.

    The page loads nothing from the network and opens from a file, an artifact or a
    mail. `apply --report-html FILE` writes the same page at the end of a run.

    Exit 0 page written, 1 the file is not a report of acdload apply (or the page could
    not be written), 2 usage (no such file, not a regular file, a bad -o path).

    \b
    Example:
      acdload apply examples/ --emulator --yes --report report.json
      acdload report report.json -o report.html --redact
    """
    _check_output(Path(output), Path(report))
    document = read_report(report)
    page = render_html_report(document, redacted=redact)
    write_private(output, page, "-o")
    if quiet:
        return
    counts = ", ".join(f"{n} {name}" for name, n in document["summary"].items() if n)
    events = len(document["results"])
    click.echo(
        f"wrote {escape(output, None)}: {events} event{'' if events == 1 else 's'}"
        f"{f' ({counts})' if counts else ''}",
        err=True,
    )
    if verbose:
        target = escape(str(document.get("target")), None)
        click.echo(
            f"target {target}, started {document.get('started')}, "
            f"finished {document.get('finished')}",
            err=True,
        )
