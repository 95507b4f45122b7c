"""``acdload apply``: plan, confirm, send the creates in order, exactly once, and report."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from acdload.applying.applier import SUCCESS, Applier, ApplyOptions, ApplyRun, Result, preflight
from acdload.applying.journal import Journal, key_text
from acdload.cli.app import say
from acdload.cli.check import (
    expiry_of,
    run_checks,
    show_already_open,
    show_problems,
    verdict_of,
)
from acdload.cli.options import (
    allow_past_option,
    check_options,
    csv_dialect_option,
    verbosity_options,
)
from acdload.cli.target_options import (
    open_client,
    target_from_options,
    target_options,
    tls_verify,
)
from acdload.errors import AcdloadError, ExitCode, UsageProblem
from acdload.outputs import OutputError, check_output_paths
from acdload.planning.expiry import ExpiryAtSend
from acdload.planning.matching import Action, build_plan, summary_of
from acdload.planning.open_events import forget_own
from acdload.planning.saved import load_plan
from acdload.planning.verify import fresh_plan, planned_paths
from acdload.reports.outcomes import summary, write_reports
from acdload.reports.plan import notes_text
from acdload.reports.redact import redact
from acdload.target.resolve import STATE_DIR

PROGRESS_EVERY = 5.0  # seconds between plain progress lines off a terminal


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


class Progress:
    """A bar on a terminal, plain periodic lines elsewhere (CI logs stay readable).

    Used as a context manager around the run: a bar a stopped run left unfinished (Ctrl-C,
    ``--fail-fast``) has no line end of its own, so leaving ends its line and what follows
    (the report, the summary) starts on a line of its own.
    """

    def __init__(self, total: int, hide: bool, show_redacted: bool) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.last_line = self.started
        self.tty = sys.stderr.isatty()
        self.hide = hide
        self.redacted = show_redacted
        self.bar_open = False  # a bar is drawn and its line not ended

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar_open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.bar_open = False

    def __call__(self, result: Result) -> None:
        self.done += 1
        if result.outcome == "failed":
            where = f"{result.file}:{result.line}"
            text = f"failed: {where} {result.key}: HTTP {result.http_status}: {result.error}"
            self._line(redact(text) if self.redacted else text)
        if self.hide:
            return
        now = time.monotonic()
        rate = self.done / max(now - self.started, 1e-9)
        eta = (self.total - self.done) / rate if rate else 0.0
        if self.tty:
            filled = int(30 * self.done / max(self.total, 1))
            bar = "#" * filled + "-" * (30 - filled)
            sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} {rate:.1f}/s ETA {eta:.0f}s")
            self.bar_open = self.done < self.total
            if not self.bar_open:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif now - self.last_line >= PROGRESS_EVERY:
            self.last_line = now
            self._line(f"progress: {self.done}/{self.total} events, {rate:.1f}/s, ETA {eta:.0f}s")

    def _line(self, text: str) -> None:
        if self.tty and not self.hide:
            sys.stderr.write("\r\033[K")
        say(text)


def _exit_code(run: ApplyRun, fail_on_drift: bool) -> ExitCode:
    if run.target_error is not None:
        return run.target_error.exit_code
    if run.interrupted:
        return ExitCode.INTERRUPTED
    ok = SUCCESS - ({"drift"} if fail_on_drift else set())
    return ExitCode.OK if all(r.outcome in ok for r in run.results) else ExitCode.FAILURE


RESULT_LINES = 20
"""Loads up to this size get a line per event in the report on stderr; larger ones counts."""


def _echo_results(run: ApplyRun, redacted: bool, every: bool = False) -> None:
    if len(run.results) > RESULT_LINES and not every:
        return
    for result in run.results:
        event = f"event {result.event_id}" if result.event_id is not None else "no event"
        key = " ".join(f"{name}={value}" for name, value in result.key.items())
        line = f"  {result.outcome:<13} {result.file}:{result.line}  {event}  {key}"
        if result.error:
            line += f"  ({result.error})"
        say(redact(line) if redacted else line)


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
@click.option("--max-failures", type=click.IntRange(min=1), help="Stop after N failed events.")
@click.option("--fail-fast", is_flag=True, help="Stop after the first failed event.")
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
    journal_path = Path(options["journal"]) if options["journal"] else STATE_DIR / "journal.jsonl"
    check_output_paths(
        {
            "--report": options["report"],
            "--report-csv": options["report_csv"],
            "--failed-csv": options["failed_csv"],
            "--junit": options["junit"],
            "--report-html": options["report_html"],
        },
        kept={"--journal": journal_path},
    )
    target = target_from_options(
        base_url=options["base_url"],
        emulator=options["emulator"],
        token_file=options["token_file"],
        target=options["target"],
    )
    saved = load_plan(paths[0]) if _is_plan_file(paths) else None
    # A saved plan is made again from the manifests it names, loaded exactly as these.
    manifests = paths if saved is None else planned_paths(saved)
    prepared = run_checks(manifests, options["strict"], options["now"])
    verdict = verdict_of(prepared)
    if verdict.problems:
        show_problems(
            verdict, options["max_errors"], quiet=options["quiet"], redact=options["redact"]
        )
    if not verdict.valid:
        ctx.exit(int(ExitCode.FAILURE))
    payloads = prepared.payloads
    with (
        open_client(
            target, timeout=options["timeout"], verify=tls_verify(options["ca_bundle"])
        ) as client,
        # The lock is taken before the server is read: a plan made while another apply is
        # still creating would send its events a second time.
        Journal(
            journal_path,
            target.label,
            state_dir=STATE_DIR,
            warn=lambda message: click.echo(f"warning: {message}", err=True),
        ) as journal,
    ):
        assert client is not None  # apply has no offline mode
        records = client.list_events()
        expiry = expiry_of(options["now"], options["allow_past"])
        if saved is None:
            plan_actions = build_plan(prepared, records, target.label, expiry=expiry).actions
        else:
            plan = fresh_plan(
                saved, prepared, records, target.label, redacted=options["redact"], expiry=expiry
            )
            plan_actions = plan.actions
        if any(action.already_open for action in plan_actions):
            merged = journal.carried().merged
            forget_own(plan_actions, lambda action: merged.get(key_text(action.key)))
        if show_already_open(
            plan_actions,
            prepared,
            options["strict"],
            options["max_errors"],
            redact=options["redact"],
        ):
            raise AcdloadError(
                "an already-open problem is an error here: nothing was sent",
                hint="check the customers' open events on the server first, or make the rule "
                "a warning (checks: {already-open: warning}, without --strict)",
            )
        expired = ExpiryAtSend(prepared.load.events, expiry)
        run = _run(client, journal, plan_actions, target.label, options, expired)
    unwritten: OutputError | None = None
    try:
        write_reports(
            run,
            payloads,
            target.label,
            report=options["report"],
            report_csv=options["report_csv"],
            failed=options["failed_csv"],
            junit=options["junit"],
            html=options["report_html"],
            fail_on_drift=options["fail_on_drift"],
            redacted=options["redact"],
            csv_dialect=options["csv_dialect"],
        )
    except OutputError as exc:
        unwritten = exc
    if not options["quiet"]:
        _echo_results(run, options["redact"], every=options["verbose"])
        say(_summary_line(run))
    if run.target_error is not None:
        say(f"error: {run.target_error.message}")
        if run.target_error.hint:
            say(f"hint: {run.target_error.hint}")
    code = _exit_code(run, options["fail_on_drift"])
    if unwritten is not None:
        say(f"error: {unwritten.message}")
        say(
            f"hint: the journal {journal_path} still holds the outcome of every event of this "
            "run; fix the path (or free space) and run apply again: it sends nothing twice"
        )
        code = code or ExitCode.FAILURE
    ctx.exit(int(code))


def _run(
    client: Any,
    journal: Journal,
    actions: list[Action],
    label: str | None,
    options: dict[str, Any],
    expired: ExpiryAtSend,
) -> ApplyRun:
    creates = [a for a in actions if a.action == "create"]
    counts = summary_of(actions)
    if not options["quiet"]:
        say(
            f"plan: {counts['create']} to create, {counts['exists']} unchanged, "
            f"{counts['drift']} drifted{notes_text(counts)} (target {label})"
        )
    if (
        creates
        and not options["yes"]
        and not click.confirm(f"Create {len(creates)} events?", err=True)
    ):
        raise UsageProblem("apply cancelled: nothing was sent")
    preflight(client, creates)
    max_failures = 1 if options["fail_fast"] else options["max_failures"]
    apply_options = ApplyOptions(
        timeout=options["timeout"], rate=options["rate"], max_failures=max_failures
    )
    key_fields = tuple(actions[0].key) if actions else ()
    progress = Progress(len(actions), options["quiet"], options["redact"])
    with _stop_on_interrupt() as stop, progress:
        applier = Applier(
            client,
            journal,
            apply_options,
            key_fields,
            progress,
            lambda: stop[0],
            expired=expired,
        )
        return applier.run(actions)
