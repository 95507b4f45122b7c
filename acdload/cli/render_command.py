"""``acdload render``: the exact create payloads apply would send."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from acdload.cli.loading import load_manifests, show_files_read, show_problems, verdict_of
from acdload.cli.options import check_options, paths_argument, verbosity_options
from acdload.errors import ExitCode
from acdload.outputs import scrubbed
from acdload.safetext import escape_json


@click.command("render")
@paths_argument
@check_options
@verbosity_options(
    quiet="Print the problems on stderr without the summary line.",
    verbose="Also list each manifest read and its number of events (on stderr).",
)
@click.pass_context
def render_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    strict: bool,
    now: datetime | None,
    max_errors: int | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Print the exact create payloads, one JSON object per line, in submission order.

    Defaults applied, templates expanded, phone numbers normalised: exactly the bodies
    apply will POST. On invalid input the problems go to stderr and no payload is printed.

    \b
    Example:
      acdload render examples/callbacks.yaml | head -1
    """
    load = load_manifests(paths, strict, now)
    verdict = verdict_of(load)
    if verbose:
        show_files_read(load)
    if verdict.problems:
        show_problems(verdict, max_errors, quiet=quiet)
    if not verdict.valid:
        ctx.exit(int(ExitCode.FAILURE))
    out = scrubbed(sys.stdout)
    for event in load.events:
        line = json.dumps(event.payload, ensure_ascii=False, separators=(",", ":"))
        out.write(escape_json(line) + "\n")
