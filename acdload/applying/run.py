"""``acdload.apply``: the whole apply sequence, as ``acdload apply`` runs it.

The order is what makes it exactly once: the target's lock is taken before the server is
read (a plan made while another apply is still creating would send its events a second
time); the plan is made (or a given plan proven still true) from that one read; only
then is the caller asked to confirm, the event types checked, and the creates sent, each
recorded in the journal. The reports are written at the end, whatever stopped the run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path

from acdload.applying.applier import SUCCESS, Applier, ApplyOptions, ApplyRun, Result, preflight
from acdload.applying.journal import Journal, key_text
from acdload.callbacks import Warn, log_warning
from acdload.check.load import Load, PathArg, require_valid
from acdload.errors import Cancelled, ExitCode, UsageProblem
from acdload.outputs import OutputError, check_output_paths
from acdload.planning.expiry import ExpiryAtSend, expiry_of
from acdload.planning.make import Plan, check_timeout, public_plan, saved_form
from acdload.planning.matching import build_plan
from acdload.planning.open_events import AlreadyOpenError, already_open_problems, forget_own
from acdload.planning.records import read_server
from acdload.planning.verify import fresh_plan
from acdload.reports.csv_dialects import CSV_DIALECTS, DEFAULT_CSV_DIALECT
from acdload.reports.outcomes import summary, write_reports
from acdload.target.event_list import ListProgress
from acdload.target.open import open_client, tls_verify
from acdload.target.resolve import STATE_DIR, Target

Confirm = Callable[[Plan], bool]
OnResult = Callable[[Result], None]
OnCanary = Callable[[Sequence[Result]], bool]


@dataclass(frozen=True, slots=True)
class ReportPaths:
    """The files an apply writes at its end (``None``: not written), by option name."""

    report: PathArg | None = None
    report_csv: PathArg | None = None
    failed_csv: PathArg | None = None
    junit: PathArg | None = None
    report_html: PathArg | None = None

    def by_option(self) -> dict[str, str | None]:
        return {f"--{f.name.replace('_', '-')}": _text(getattr(self, f.name)) for f in fields(self)}

    def check(self, journal: Path) -> None:
        """A usage error (exit 2) for a path that cannot be written, before anything is
        read or sent; none may be the journal."""
        check_output_paths(self.by_option(), kept={"--journal": journal})


def journal_path(journal: PathArg | None, state_dir: PathArg = STATE_DIR) -> Path:
    """The journal file: ``journal``, else ``journal.jsonl`` in the state directory."""
    return Path(journal) if journal else Path(state_dir) / "journal.jsonl"


@dataclass(slots=True)
class Run(ApplyRun):
    """What an apply did: a :class:`Result` per event of ``plan``, in submission order.

    ``target_error`` is what stopped the run before its end (the server, exit 3; the
    journal, exit 1); ``interrupted`` is True when ``should_stop`` stopped it;
    ``canary`` is how the canary ended when the load had creates beyond it (``passed``,
    ``failed``: one of its creates did not succeed, ``declined``: ``on_canary`` said no),
    else None;
    ``unwritten`` is a report that could not be written (the journal still holds every
    outcome). ``exit_code`` is the command line's exit status for this run.
    """

    plan: Plan = field(kw_only=True, repr=False)
    journal: Path = field(kw_only=True)
    fail_on_drift: bool = field(default=False, kw_only=True)
    unwritten: OutputError | None = field(default=None, kw_only=True)
    canary: str | None = field(default=None, kw_only=True)

    @property
    def summary(self) -> dict[str, int]:
        """How many events ended in each outcome (every outcome named, zeros included)."""
        return summary(self)

    @property
    def exit_code(self) -> ExitCode:
        if self.target_error is not None:
            return self.target_error.exit_code
        if self.interrupted:
            return ExitCode.INTERRUPTED
        ok = SUCCESS - ({"drift"} if self.fail_on_drift else set())
        if any(result.outcome not in ok for result in self.results):
            return ExitCode.FAILURE
        return ExitCode.FAILURE if self.unwritten is not None else ExitCode.OK


def apply(
    source: Load | Plan,
    target: Target,
    *,
    parallel: int = 1,
    journal: PathArg | None = None,
    state_dir: PathArg = STATE_DIR,
    timeout: float = 30.0,
    ca_bundle: PathArg | None = None,
    rate: float | None = None,
    max_failures: int | None = None,
    fail_on_drift: bool = False,
    redact: bool = False,
    report: PathArg | None = None,
    report_csv: PathArg | None = None,
    failed_csv: PathArg | None = None,
    junit: PathArg | None = None,
    report_html: PathArg | None = None,
    csv_dialect: str = DEFAULT_CSV_DIALECT,
    confirm: Confirm | None = None,
    canary: int | None = None,
    on_canary: OnCanary | None = None,
    on_result: OnResult | None = None,
    should_stop: Callable[[], bool] | None = None,
    warn: Warn | None = None,
    list_progress: ListProgress | None = None,
    allow_past: bool = False,
    now: datetime | None = None,
) -> Run:
    """Create the planned events of ``source`` on ``target``, in order, each exactly once.

    ``source`` is a valid :class:`Load` (planned here, as ``acdload apply PATH...``) or a
    :class:`Plan` (from :func:`plan` or :func:`read_plan`: made again here and refused
    with :class:`StalePlanError` unless identical). ``confirm(plan)`` is asked once the
    plan is made, before anything is sent (False: nothing is sent, :class:`Cancelled`);
    ``list_progress(bytes_read, records_read)`` hears how the read of the server's list
    goes; ``on_result(result)`` hears each event's outcome as it is settled; ``should_stop()``
    True stops the run after the request in flight (``run.interrupted``). ``canary=N``
    sends the first N creates, then hands their results to ``on_canary`` (when there are
    more creates) and sends the rest only if all N succeeded and ``on_canary`` returned
    True (``run.canary``). The other options are the command line's, with its defaults;
    ``parallel`` (1 to 64) keeps up to that many creates in flight (docs/apply.md says
    what order it keeps); a canary is sent one create at a time, so ``canary`` needs
    ``parallel=1``.

    A create whose appointment has passed (as of ``now``, else the clock, asked again
    just before each send) is not sent: its outcome is ``expired``; ``allow_past`` sends
    it anyway. The plan's ``already-open`` problems are in ``run.plan.problems``; when
    the load makes the rule an error, :class:`AlreadyOpenError` is raised before
    ``confirm`` and nothing is sent.

    The reports are written at the end, also when the server stopped the run (then
    ``run.target_error`` says why). Raised before anything is sent: :class:`UsageProblem`,
    :class:`InvalidLoad`, :class:`StalePlanError`, :class:`TargetError`, ``LockHeld``,
    :class:`Cancelled`, :class:`AlreadyOpenError`.
    """
    _check_options(parallel, rate, max_failures, csv_dialect, canary)
    check_timeout(timeout)
    if target is None or target.kind == "offline":
        raise UsageProblem(
            "apply needs a target: it has no offline mode",
            hint="give Target(base_url, token), Target.from_env() or Target.emulator()",
        )
    kept = journal_path(journal, state_dir)
    reports = ReportPaths(report, report_csv, failed_csv, junit, report_html)
    reports.check(kept)
    loaded = source.load if isinstance(source, Plan) else source
    require_valid(loaded, "sent")
    given = saved_form(source) if isinstance(source, Plan) else None
    warn = warn or log_warning
    label = target.label
    with (
        open_client(
            target, timeout=timeout, verify=tls_verify(ca_bundle), on_warning=warn
        ) as client,
        Journal(kept, label, state_dir=Path(state_dir), warn=warn) as log,
    ):
        assert client is not None  # apply has no offline mode
        prepared = loaded._prepared
        planned = given.actions if given is not None else ()
        records = read_server(client, prepared, list_progress, planned)
        expiry = expiry_of(now, allow_past)
        if given is None:
            made = build_plan(prepared, records, label, expiry=expiry)
        else:
            made = fresh_plan(given, prepared, records, label, redacted=redact, expiry=expiry)
        if any(action.already_open for action in made.actions):
            merged = log.carried().merged
            forget_own(made.actions, lambda action: merged.get(key_text(action.key)))
        applied = public_plan(made, loaded)
        applied.problems = already_open_problems(
            applied.actions, prepared.load.events, loaded.strict
        )
        if any(problem.is_error for problem in applied.problems):
            raise AlreadyOpenError(applied.problems)
        if confirm is not None and not confirm(applied):
            raise Cancelled("apply cancelled: nothing was sent")
        preflight(client, applied.of("create"))
        options = ApplyOptions(
            timeout=timeout, rate=rate, max_failures=max_failures, parallel=parallel
        )
        gate = _Canary(canary, on_canary, on_result, should_stop or _never)
        applier = Applier(
            client,
            log,
            options,
            applied.key_fields,
            gate.observe,
            gate.stop,
            server_highest=records.highest_id,
            client_factory=client.twin,
            expired=ExpiryAtSend(prepared.load.events, expiry),
        )
        outcome = applier.run(applied.actions)
    if gate.held_back:
        outcome.interrupted = False  # the canary stopped it, not the user: exit 1, not 130
    values = {f.name: getattr(outcome, f.name) for f in fields(ApplyRun)}
    run = Run(**values, plan=applied, journal=kept, fail_on_drift=fail_on_drift)
    run.canary = gate.verdict
    try:
        write_reports(
            run,
            prepared.payloads,
            label,
            report=_text(report),
            report_csv=_text(report_csv),
            failed=_text(failed_csv),
            junit=_text(junit),
            html=_text(report_html),
            fail_on_drift=fail_on_drift,
            redacted=redact,
            csv_dialect=csv_dialect,
        )
    except OutputError as exc:
        exc.hint = (
            f"the journal {kept} still holds the outcome of every event of this run; fix the "
            "path (or free space) and run apply again: it sends nothing twice"
        )
        run.unwritten = exc
    return run


def _never() -> bool:
    return False


class _Canary:
    """The gate after the first ``size`` creates, built on the applier's two hooks: it
    counts the creates settled (``observe``, passed on to ``on_result``) and, when the
    next create is about to be sent (``stop``), decides once whether the run goes on.

    Stopping there is stopping before a send, as Ctrl-C does, so the journal and the
    server's list make a later run send exactly the creates that were held back.
    """

    def __init__(
        self,
        size: int | None,
        decide: OnCanary | None,
        on_result: OnResult | None,
        should_stop: Callable[[], bool],
    ) -> None:
        self.size = size
        self.decide = decide
        self.on_result = on_result
        self.should_stop = should_stop
        self.results: list[Result] = []
        self.verdict: str | None = None

    @property
    def held_back(self) -> bool:
        return self.verdict in ("failed", "declined")

    def observe(self, result: Result) -> None:
        if self.size is not None and result.action == "create" and len(self.results) < self.size:
            self.results.append(result)
        if self.on_result is not None:
            self.on_result(result)

    def stop(self) -> bool:
        if self.size is not None and self.verdict is None and len(self.results) >= self.size:
            passed = all(result.outcome in SUCCESS for result in self.results)
            go_on = self.decide(tuple(self.results)) if self.decide is not None else True
            self.verdict = "failed" if not passed else "passed" if go_on else "declined"
        return self.held_back or self.should_stop()


def _text(path: PathArg | None) -> str | None:
    return None if path is None else os.fspath(path)


def _check_options(
    parallel: int,
    rate: float | None,
    max_failures: int | None,
    csv_dialect: str,
    canary: int | None,
) -> None:
    """The limits the command line's option types enforce, for callers of the library."""
    if isinstance(parallel, bool) or not isinstance(parallel, int) or not 1 <= parallel <= 64:
        raise UsageProblem(f"parallel={parallel!r}: give the creates in flight at most, 1 to 64")
    if canary is not None and parallel != 1:
        # With N creates in flight, the ones after the canary would start before the
        # canary's outcomes are known: "only if all succeeded" could not hold.
        raise UsageProblem(
            f"canary={canary!r} with parallel={parallel!r}: the canary is sent one create at "
            "a time, before anything else",
            hint="run apply --canary N first, then apply --parallel N for the rest (nothing "
            "is sent twice)",
        )
    if rate is not None and not rate >= 0.01:
        raise UsageProblem(f"rate={rate!r}: give creates per second, 0.01 or more")
    if max_failures is not None and (isinstance(max_failures, bool) or max_failures < 1):
        raise UsageProblem(f"max_failures={max_failures!r}: give 1 or more")
    if canary is not None and (isinstance(canary, bool) or canary < 1):
        raise UsageProblem(
            f"canary={canary!r}: give the number of creates to send first, 1 or more"
        )
    if csv_dialect not in CSV_DIALECTS:
        raise UsageProblem(
            f"csv_dialect={csv_dialect!r}: give one of {', '.join(sorted(CSV_DIALECTS))}"
        )
