"""``validate``, ``render`` and ``schema``: the commands that need no server."""

from __future__ import annotations

import io
import json
import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

import click

from acdload.check.pipeline import CheckOptions, Prepared, prepare
from acdload.check.schema import SCHEMA_NAMES, schema_text
from acdload.cli.app import say
from acdload.cli.options import (
    check_options,
    format_option,
    given_phone_region,
    given_root,
    now_or_clock,
    paths_argument,
    problem_file_options,
    verbosity_options,
)
from acdload.errors import ExitCode
from acdload.outputs import check_output_paths, scrubbed
from acdload.planning.expiry import Expiry
from acdload.planning.open_events import Noted, already_open_problems
from acdload.reports.problem_files import write_problem_files
from acdload.reports.problems import PROBLEM_REPORTERS, TextReporter, Verdict
from acdload.reports.redact import redact as redact_text
from acdload.safetext import escape_json


def run_checks(paths: tuple[str, ...], strict: bool, now: datetime | None) -> Prepared:
    options = CheckOptions(
        now=now_or_clock(now), strict=strict, phone_region=given_phone_region(), root=given_root()
    )
    return prepare(list(paths), options)


def verdict_of(prepared: Prepared) -> Verdict:
    return Verdict(prepared.problems, len(prepared.load.events), len(prepared.load.manifests))


def show_problems(
    verdict: Verdict, max_errors: int | None, *, quiet: bool, redact: bool = False
) -> None:
    """Validation problems on stderr; masked too with ``--redact`` (they quote values)."""
    buffer = io.StringIO()
    TextReporter(buffer, max_errors, summary=not quiet).report(verdict)
    text = buffer.getvalue()
    scrubbed(sys.stderr).write(redact_text(text) if redact else text)


def expiry_of(now: datetime | None, allow_past: bool) -> Expiry | None:
    """When plan and apply call an appointment past (``--now``, else the clock); None with
    ``--allow-past``."""
    return None if allow_past else Expiry(now)


def show_already_open(
    actions: Sequence[Noted],
    prepared: Prepared,
    strict: bool,
    max_errors: int | None,
    *,
    redact: bool = False,
) -> bool:
    """A plan's ``already-open`` problems on stderr, after validation's; whether one of them
    is an error (``checks:`` or ``--strict``)."""
    found = already_open_problems(actions, prepared.load.events, strict)
    if found:
        show_problems(
            Verdict(found, len(prepared.load.events), len(prepared.load.manifests)),
            max_errors,
            quiet=True,
            redact=redact,
        )
    return any(problem.is_error for problem in found)


def files_read(prepared: Prepared) -> list[str]:
    """The manifest files of a load, in the order they were read."""
    return [manifest.display for manifest in prepared.load.manifests]


def show_files_read(prepared: Prepared) -> None:
    """``--verbose``: each manifest read and how many events it gave, on stderr."""
    counts = Counter(id(event.manifest) for event in prepared.load.events)
    for manifest in prepared.load.manifests:
        events = counts[id(manifest)]
        say(f"read {manifest.display}: {events} event{'' if events == 1 else 's'}")


def format_for_environment(output_format: str, environ: Mapping[str, str] | None = None) -> str:
    """``auto``: GitHub annotations inside GitHub Actions, text elsewhere."""
    if output_format != "auto":
        return output_format
    env = os.environ if environ is None else environ
    return "github" if env.get("GITHUB_ACTIONS") == "true" else "text"


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
    prepared = run_checks(paths, strict, now)
    verdict = verdict_of(prepared)
    if verbose:
        show_files_read(prepared)
    write_problem_files(verdict, files_read(prepared), command="validate", junit=junit, sarif=sarif)
    reporter = PROBLEM_REPORTERS[format_for_environment(output_format)]
    reporter(scrubbed(sys.stdout), max_errors, summary=not quiet).report(verdict)
    ctx.exit(int(ExitCode.OK if verdict.valid else ExitCode.FAILURE))


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
    prepared = run_checks(paths, strict, now)
    verdict = verdict_of(prepared)
    if verbose:
        show_files_read(prepared)
    if verdict.problems:
        show_problems(verdict, max_errors, quiet=quiet)
    if not verdict.valid:
        ctx.exit(int(ExitCode.FAILURE))
    out = scrubbed(sys.stdout)
    for payload in prepared.payloads:
        line = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        out.write(escape_json(line) + "\n")


@click.command("schema")
@click.argument("name", type=click.Choice(SCHEMA_NAMES), default="event")
@verbosity_options(
    quiet="Accepted for uniformity: schema prints nothing but the schema.",
    verbose="Accepted for uniformity: schema has no more detail to show.",
)
def schema_command(name: str, quiet: bool, verbose: bool) -> None:
    """Print a JSON Schema: event (one create payload) or manifest (for editors).

    \b
    Example:
      acdload schema manifest > manifest.schema.json
    """
    click.echo(schema_text(name), nl=False)
