"""``acdload apply``: plan, confirm, send the creates in order, exactly once, and report.

The sequence itself is :func:`acdload.apply`; this command parses the options, loads the
manifests (or the saved plan), and supplies the terminal's side: the ``--yes`` rule, the
confirmation, the progress bar, Ctrl-C, and the closing report on stderr.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

import acdload
from acdload.applying.applier import SUCCESS, ApplyRun, Result
from acdload.applying.run import ReportPaths, journal_path
from acdload.cli.app import say
from acdload.cli.apply_progress import Progress
from acdload.cli.apply_prompt import canary_verdict, preview, question, result_line
from acdload.cli.list_progress import ListProgress
from acdload.cli.loading import load_manifests, show_already_open, show_problems, verdict_of
from acdload.cli.options import (
    allow_past_option,
    check_options,
    csv_dialect_option,
    given_phone_region,
    given_root,
    verbosity_options,
)
from acdload.cli.target_options import target_from_options, target_options, warn
from acdload.errors import ExitCode, UsageProblem
from acdload.planning.open_events import AlreadyOpenError
from acdload.reports.outcomes import summary
from acdload.reports.plan import notes_text

REPORT_OPTIONS = ("report", "report_csv", "failed_csv", "junit", "report_html")


def _is_plan_file(paths: tuple[str, ...]) -> bool:
    return len(paths) == 1 and paths[0].endswith(".json") and Path(paths[0]).is_file()


@contextmanager
def _stop_on_interrupt() -> Iterator[list[bool]]:
    """Ctrl-C asks the run to stop after the request in flight; a second one stops at once."""
    flag = [False]

    def handler(signum: int, frame: FrameType | None) -> None:
        if flag[0]:
            raise KeyboardInterrupt
        flag[0] = True
        say("\ninterrupted: finishing the request in flight, then writing reports")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


RESULT_LINES = 20
"""Loads up to this size get a line per event in the report on stderr; larger ones counts."""


def _echo_results(run: ApplyRun, redacted: bool, every: bool = False) -> None:
    if len(run.results) > RESULT_LINES and not every:
        return
    for result in run.results:
        say(result_line(result, redacted))


def _summary_line(run: ApplyRun) -> str:
    counts = {k: v for k, v in summary(run).items() if v}
    elapsed = (run.finished or time.time()) - run.started
    sent = sum(r.attempts for r in run.results)
    rate = sent / elapsed if elapsed > 0 else 0.0
    parts = ", ".join(f"{count} {outcome}" for outcome, count in counts.items()) or "nothing to do"
    return f"apply: {parts} in {elapsed:.1f}s ({sent} requests, {rate:.1f}/s)"


@click.command("apply")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...|PLANFILE")
@target_options
@check_options
@allow_past_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required off a terminal).")
@click.option("--report", metavar="FILE", help="Write the JSON result report to FILE.")
@click.option("--report-csv", metavar="FILE", help="Write one CSV row per event to FILE.")
@click.option(
    "--failed-csv",
    metavar="FILE",
    help="Write the failed and not attempted events to FILE as a CSV manifest to fix and load again.",
)
@csv_dialect_option
@click.option("--junit", metavar="FILE", help="Write a JUnit XML report (one test case per event).")
@click.option(
    "--report-html",
    metavar="FILE",
    help="Write the report as one self-contained HTML page to FILE (masked with --redact).",
)
@click.option("--rate", type=click.FloatRange(min=0.01), help="At most N creates per second.")
@click.option(
    "--parallel",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Keep up to N creates in flight (started in manifest order; see docs/apply.md).",
)
@click.option("--max-failures", type=click.IntRange(min=1), help="Stop after N failed events.")
@click.option("--fail-fast", is_flag=True, help="Stop after the first failed event.")
@click.option(
    "--canary",
    type=click.IntRange(min=1),
    metavar="N",
    help="Send the first N creates, show their outcomes, and send the rest only if all "
    "succeeded (on a terminal, after asking again; with --yes, at once).",
)
@click.option("--fail-on-drift", is_flag=True, help="Exit 1 when an event has drifted.")
@click.option(
    "--journal",
    metavar="FILE",
    help="The journal of this target's runs (default .acdload/journal.jsonl); keep it between "
    "CI runs so an interrupted apply resumes with exact outcomes.",
)
@click.option("--redact", is_flag=True, help="Mask phone numbers and e-mail addresses in output.")
@verbosity_options(
    quiet="Print failures and errors only: no plan line, progress, per-event lines or summary.",
    verbose=f"A line per event in the closing report, even for loads over {RESULT_LINES} events.",
)
@click.pass_context
def apply_command(ctx: click.Context, /, paths: tuple[str, ...], **options: Any) -> None:
    """Create the planned events on the server, in manifest order, each exactly once.

    Given manifests it plans first (as `acdload plan`); given a saved PLANFILE it refuses a
    stale one. Only creates are sent; events that exist or drifted are reported. A run that
    is interrupted or killed resumes when the same command runs again.

    \b
    Example:
      acdload apply examples/ --emulator --yes
      ACDLOAD_TOKEN=... acdload apply plan.json --base-url https://jtel:8443/rest/v1.0/1000 --report out.json
    """
    if not options["yes"] and not sys.stdin.isatty():
        raise UsageProblem(
            "apply needs --yes when it is not run from a terminal (nothing was sent)",
            hint="review the plan (acdload plan), then run apply again with --yes",
        )
    reports = {name: options[name] for name in REPORT_OPTIONS}
    ReportPaths(**reports).check(journal_path(options["journal"]))
    target = target_from_options(
        base_url=options["base_url"],
        emulator=options["emulator"],
        token_file=options["token_file"],
        target=options["target"],
    )
    source: acdload.Load | acdload.Plan
    if _is_plan_file(paths):
        # A saved plan is made again from the manifests it names, loaded exactly as these.
        source = acdload.read_plan(
            paths[0],
            strict=options["strict"],
            now=options["now"],
            phone_region=given_phone_region(),
            root=given_root(),
        )
        load = source.load
    else:
        source = load = load_manifests(paths, options["strict"], options["now"])
    verdict = verdict_of(load)
    if verdict.problems:
        show_problems(
            verdict, options["max_errors"], quiet=options["quiet"], redact=options["redact"]
        )
    if not verdict.valid:
        ctx.exit(int(ExitCode.FAILURE))
    with _Console(options, target, load) as console, _showing_already_open(console):
        run = acdload.apply(
            source,
            target,
            journal=options["journal"],
            timeout=options["timeout"],
            ca_bundle=options["ca_bundle"],
            rate=options["rate"],
            parallel=options["parallel"],
            max_failures=1 if options["fail_fast"] else options["max_failures"],
            fail_on_drift=options["fail_on_drift"],
            redact=options["redact"],
            csv_dialect=options["csv_dialect"],
            confirm=console.confirm,
            canary=options["canary"],
            on_canary=console.canary,
            on_result=console.progress,
            list_progress=console.list_progress,
            should_stop=console.should_stop,
            warn=console.warn,
            allow_past=options["allow_past"],
            now=options["now"],
            **reports,
        )
    if not options["quiet"]:
        _echo_results(run, options["redact"], every=options["verbose"])
        say(_summary_line(run))
    if run.canary in ("failed", "declined"):
        _explain_canary(run.canary, len(run.plan.of("create")) - options["canary"])
    for error in (run.target_error, run.unwritten):
        if error is not None:
            say(f"error: {error.message}")
            if error.hint:
                say(f"hint: {error.hint}")
    ctx.exit(int(run.exit_code))


@contextmanager
def _showing_already_open(console: _Console) -> Iterator[None]:
    """An ``already-open`` error stops apply before ``confirm``: its problems are shown
    (file:line, what to check) before the error's message."""
    try:
        yield
    except AlreadyOpenError as exc:
        console.show(exc.problems)
        raise


def _explain_canary(verdict: str, rest: int) -> None:
    """Why a run with ``--canary`` ended early, and that running it again is safe."""
    if verdict == "failed":
        say(f"error: the canary failed; the other {rest} creates were not sent")
        say(
            "hint: fix the failed events (see above), then run the same command again: it "
            "sends only what is left, never a canary event twice"
        )
    else:
        say(f"error: apply cancelled after the canary; the other {rest} creates were not sent")
        say("hint: run the same command again to send them: it never sends a canary event twice")


class _Console:
    """What apply shows and asks on the terminal, handed to :func:`acdload.apply` as its
    callbacks: the plan line and the confirmation, then (from the moment the user said
    yes) the progress and Ctrl-C, which asks the run to stop after the request in flight.
    """

    def __init__(self, options: dict[str, Any], target: acdload.Target, load: acdload.Load) -> None:
        self.options = options
        self.target = target
        self._load = load
        self.list_progress = ListProgress(hide=options["quiet"])
        self._progress: Progress | None = None
        self._stack = ExitStack()
        self._stop: list[bool] = [False]
        self._creates = 0

    def __enter__(self) -> _Console:
        return self

    def __exit__(self, *exc: object) -> None:
        self.list_progress.finish(failed=True)  # a read the run never got past
        self._stack.close()

    def show(self, problems: list[acdload.Problem]) -> None:
        show_already_open(
            problems, self._load, self.options["max_errors"], redact=self.options["redact"]
        )

    def warn(self, message: str) -> None:
        """A warning in the middle of the run starts on a line of its own, not the bar's."""
        if self._progress is not None:
            self._progress.end_line()
        warn(message)

    def should_stop(self) -> bool:
        return self._stop[0]

    def progress(self, result: Result) -> None:
        if self._progress is not None:
            self._progress(result)

    def canary(self, results: Sequence[Result]) -> bool:
        """Show the canary's outcomes; go on only if all succeeded (and, on a terminal,
        the user says yes again)."""
        if self._progress is not None:
            self._progress.end_line()
        rest = self._creates - len(results)
        failed = sum(1 for result in results if result.outcome not in SUCCESS)
        say(f"canary: the first {len(results)} creates:")
        for result in results:
            say(result_line(result, self.options["redact"]))
        if failed or self.options["yes"]:
            say(canary_verdict(failed, len(results), rest))
            return not failed
        return click.confirm(question(rest, self.target, canary_passed=True), err=True)

    def confirm(self, plan: acdload.Plan) -> bool:
        self.list_progress.finish()  # the list has been read
        self.show(plan.problems)
        counts = plan.summary
        if not self.options["quiet"]:
            say(
                f"plan: {counts['create']} to create, {counts['exists']} unchanged, "
                f"{counts['drift']} drifted{notes_text(counts)} (target {plan.target})"
            )
        creates = self._creates = counts["create"]
        if creates and not self.options["yes"]:
            for line in preview(plan, self.options["redact"]):
                say(line)
            if not click.confirm(question(creates, self.target), err=True):
                return False
        self._progress = Progress(
            len(plan.actions), creates, self.options["quiet"], self.options["redact"]
        )
        self._stop = self._stack.enter_context(_stop_on_interrupt())
        self._stack.enter_context(self._progress)
        return True
