"""``acdload validate``: every problem of a load, with its location."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from acdload.cli.loading import (
    files_read,
    format_for_environment,
    load_manifests,
    show_files_read,
    verdict_of,
)
from acdload.cli.options import (
    check_options,
    format_option,
    paths_argument,
    problem_file_options,
    verbosity_options,
)
from acdload.errors import ExitCode
from acdload.outputs import check_output_paths, scrubbed
from acdload.reports.problem_files import write_problem_files
from acdload.reports.problems import PROBLEM_REPORTERS


@click.command("validate")
@paths_argument
@check_options
@format_option(
    [*sorted(PROBLEM_REPORTERS), "auto"],
    "text: FILE:LINE:COLUMN lines; json: one document; github: Actions annotations; "
    "auto: github inside GitHub Actions (GITHUB_ACTIONS=true), else text.",
)
@problem_file_options
@verbosity_options(
    quiet="Print the problems only, without the summary line.",
    verbose="Also list each manifest read and its number of events (on stderr).",
)
@click.pass_context
def validate_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    strict: bool,
    now: datetime | None,
    max_errors: int | None,
    output_format: str,
    junit: str | None,
    sarif: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Check manifests (files or directories) and report every problem with its location.

    Exit 0 when there is no error (warnings allowed), 1 when there is one, 2 for usage
    errors.

    \b
    Example:
      acdload validate examples/ --now 2026-12-01T08:00:00
      acdload validate campaign.yaml --format json --strict
    """
    check_output_paths({"--junit": junit, "--sarif": sarif})
    load = load_manifests(paths, strict, now)
    verdict = verdict_of(load)
    if verbose:
        show_files_read(load)
    write_problem_files(verdict, files_read(load), command="validate", junit=junit, sarif=sarif)
    reporter = PROBLEM_REPORTERS[format_for_environment(output_format)]
    reporter(scrubbed(sys.stdout), max_errors, summary=not quiet).report(verdict)
    ctx.exit(int(ExitCode.OK if verdict.valid else ExitCode.FAILURE))
