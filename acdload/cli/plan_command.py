"""``acdload plan``: the dry-run diff between the manifests and the server."""

from __future__ import annotations

import sys
from datetime import datetime

import click

import acdload
from acdload.cli.list_progress import ListProgress
from acdload.cli.loading import (
    files_read,
    load_manifests,
    show_already_open,
    show_problems,
    verdict_of,
)
from acdload.cli.options import (
    allow_past_option,
    check_options,
    color_option,
    format_option,
    paths_argument,
    problem_file_options,
    verbosity_options,
)
from acdload.cli.target_options import offline_option, target_from_options, target_options, warn
from acdload.errors import ExitCode
from acdload.outputs import check_output_paths, scrubbed
from acdload.reports.plan import PLAN_REPORTERS, wants_color
from acdload.reports.problem_files import write_problem_files


@click.command("plan")
@paths_argument
@target_options
@offline_option
@check_options
@allow_past_option
@format_option(
    sorted(PLAN_REPORTERS),
    "text: for a terminal or CI log; json: for tools; markdown: for a PR comment; "
    "html: a self-contained page for a browser.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="PLANFILE",
    help="Also save the plan (with its payloads) for `acdload apply PLANFILE`; mode 0600.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there is nothing to create, 4 when creates are pending.",
)
@click.option(
    "--redact",
    is_flag=True,
    help="Mask phone numbers and e-mail addresses in text, Markdown and HTML output and in "
    "messages.",
)
@problem_file_options
@color_option
@verbosity_options(
    quiet="Print validation problems without their summary line (the plan itself is data).",
    verbose="List unchanged events too.",
)
@click.pass_context
def plan_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    base_url: str | None,
    target: str | None,
    emulator: bool,
    token_file: str | None,
    timeout: float,
    ca_bundle: str | None,
    offline: bool,
    strict: bool,
    now: datetime | None,
    max_errors: int | None,
    allow_past: bool,
    output_format: str,
    out_path: str | None,
    detailed_exitcode: bool,
    redact: bool,
    junit: str | None,
    sarif: str | None,
    color: str,
    quiet: bool,
    verbose: bool,
) -> None:
    """Show what apply would do: which events it would create, which already exist
    on the server, and which exist but differ from the manifest (drift).

    Events are matched to the server's by the manifest's key. The API cannot update
    an event, so a drift is shown with its differences and left alone. The token comes
    from --token-file, a --target's token_env or ACDLOAD_TOKEN, never from a flag value.

    Exit 0 ok, 1 invalid manifests (nothing is fetched) or an already-open error,
    2 usage error or no target, 3 target unusable; with --detailed-exitcode, 4 when
    creates are pending.

    \b
    Example:
      ACDLOAD_TOKEN=... acdload plan examples/ --base-url https://jtel.example/rest/v1.0/1000
      acdload plan examples/ --emulator --out plan.json
      acdload plan manifests/ --target staging --sarif problems.sarif
      acdload plan campaign.yaml --offline --format markdown --redact
    """
    chosen = target_from_options(
        base_url=base_url, emulator=emulator, token_file=token_file, offline=offline, target=target
    )
    check_output_paths({"--out": out_path, "--junit": junit, "--sarif": sarif})
    load = load_manifests(paths, strict, now)
    verdict = verdict_of(load)
    write_problem_files(verdict, files_read(load), command="plan", junit=junit, sarif=sarif)
    if verdict.problems:
        show_problems(verdict, max_errors, quiet=quiet, redact=redact)
    if not verdict.valid:
        ctx.exit(int(ExitCode.FAILURE))
    with ListProgress(hide=quiet) as list_progress:
        plan = acdload.plan(
            load,
            chosen,
            timeout=timeout,
            ca_bundle=ca_bundle,
            out=out_path,
            warn=warn,
            list_progress=list_progress,
            allow_past=allow_past,
            now=now,
        )
    show_already_open(plan.problems, load, max_errors, redact=redact)
    reporter = PLAN_REPORTERS[output_format](
        scrubbed(sys.stdout),
        verbose=verbose,
        redact=redact,
        color=wants_color(sys.stdout, choice=color),
    )
    reporter.report(plan)
    if any(problem.is_error for problem in plan.problems):
        ctx.exit(int(ExitCode.FAILURE))
    if detailed_exitcode and plan.pending:
        ctx.exit(int(ExitCode.PENDING))
