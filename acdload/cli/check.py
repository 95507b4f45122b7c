"""``validate``, ``render`` and ``schema``: the commands that need no server."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from acdload.cli.options import check_options, now_or_clock, paths_argument
from acdload.exitcodes import ExitCode
from acdload.pipeline import CheckOptions, Prepared, prepare
from acdload.reports.problems import PROBLEM_REPORTERS, TextReporter, Verdict
from acdload.schema import SCHEMA_NAMES, schema_text


def run_checks(paths: tuple[str, ...], strict: bool, now: datetime | None) -> Prepared:
    return prepare(list(paths), CheckOptions(now=now_or_clock(now), strict=strict))


def verdict_of(prepared: Prepared) -> Verdict:
    return Verdict(prepared.problems, len(prepared.load.events), len(prepared.load.manifests))


@click.command("validate")
@paths_argument
@check_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(sorted(PROBLEM_REPORTERS)),
    default="text",
    show_default=True,
    help="text: FILE:LINE:COLUMN lines; json: one document; github: Actions annotations.",
)
@click.pass_context
def validate_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    strict: bool,
    now: datetime | None,
    max_errors: int | None,
    output_format: str,
) -> None:
    """Check manifests (files or directories) and report every problem with its location.

    Exit 0 when there is no error (warnings allowed), 1 when there is one, 2 for usage
    errors.

    \b
    Example:
      acdload validate examples/ --now 2026-12-01T08:00:00
      acdload validate campaign.yaml --format json --strict
    """
    verdict = verdict_of(run_checks(paths, strict, now))
    PROBLEM_REPORTERS[output_format](sys.stdout, max_errors).report(verdict)
    ctx.exit(int(ExitCode.OK if verdict.valid else ExitCode.FAILURE))


@click.command("render")
@paths_argument
@check_options
@click.pass_context
def render_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    strict: bool,
    now: datetime | None,
    max_errors: int | None,
) -> None:
    """Print the exact create payloads, one JSON object per line, in submission order.

    Defaults applied, templates expanded, phone numbers normalised: exactly the bodies
    apply will POST. On invalid input the problems go to stderr and no payload is printed.

    \b
    Example:
      acdload render examples/callbacks.yaml | head -1
    """
    prepared = run_checks(paths, strict, now)
    verdict = verdict_of(prepared)
    if verdict.problems:
        TextReporter(sys.stderr, max_errors).report(verdict)
    if not verdict.valid:
        ctx.exit(int(ExitCode.FAILURE))
    out = sys.stdout
    for payload in prepared.payloads:
        out.write(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n")


@click.command("schema")
@click.argument("name", type=click.Choice(SCHEMA_NAMES), default="event")
def schema_command(name: str) -> None:
    """Print a JSON Schema: ``event`` (one create payload) or ``manifest`` (for editors).

    \b
    Example:
      acdload schema manifest > manifest.schema.json
    """
    click.echo(schema_text(name), nl=False)
