"""Options shared by several commands, declared once (as pip-tools does)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from acdload.reports.csv_dialects import CSV_DIALECTS, DEFAULT_CSV_DIALECT

F = TypeVar("F", bound=Callable[..., Any])


class Timestamp(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """An ISO 8601 moment; without an offset it is read in each manifest's time zone."""

    name = "timestamp"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO 8601 timestamp such as 2026-12-01T09:00:00+01:00",
                param,
                ctx,
            )


class PhoneRegion(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """An ISO 3166 alpha-2 country code that libphonenumber has a numbering plan for."""

    name = "region"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from acdload.check.rules import phones  # only when given: the emulator command needs none

        text = str(value)
        why = phones.region_problem(text)
        if why is not None:
            self.fail(why, param, ctx)
        return text


PHONE_REGION = "acdload.phone_region"
"""``ctx.meta`` key of ``--phone-region``: kept there rather than handed to each command as a
parameter, so that every command with the check options reads it (see ``given_phone_region``)."""


def _keep_phone_region(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[PHONE_REGION] = value


def given_phone_region() -> str | None:
    """``--phone-region`` of the command running, if it was given."""
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.meta.get(PHONE_REGION)


ROOT = "acdload.root"
"""``ctx.meta`` key of ``--root``, kept there as ``--phone-region`` is (see ``given_root``)."""


def _keep_root(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        ctx.meta[ROOT] = value


def given_root() -> Path | None:
    """The manifest root: ``--root`` of the command running, else ``root`` of the config
    file (whose mistakes are then usage errors: a root that cannot be read is not
    silently dropped), else None (each manifest reads in its own directory)."""
    from acdload.target.config import load_config  # only commands that read manifests need it

    ctx = click.get_current_context(silent=True)
    given = None if ctx is None else ctx.meta.get(ROOT)
    return given if given is not None else load_config(Path.cwd()).root


def paths_argument(func: F) -> F:
    return click.argument("paths", nargs=-1, required=True, metavar="PATH...")(func)


def check_options(func: F) -> F:
    """The options that decide a validation verdict, shared by validate, render, plan and
    apply."""
    func = click.option(
        "--root",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        expose_value=False,
        callback=_keep_root,
        metavar="DIR",
        help="Manifests may read only files inside DIR (e.g. the repository), and the "
        "paths named must be in it; default: root in acdload.toml, else each manifest's "
        "own directory.",
    )(func)
    func = click.option(
        "--phone-region",
        type=PhoneRegion(),
        default=None,
        expose_value=False,
        callback=_keep_phone_region,
        metavar="CC",
        help="Read national phone numbers (0170 1234567) as dialled in this country "
        "(ISO 3166 code, e.g. DE); a manifest's own phone_region wins.",
    )(func)
    func = click.option(
        "--max-errors",
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help="Show at most N problems (the verdict still counts them all).",
    )(func)
    func = click.option(
        "--now",
        type=Timestamp(),
        default=None,
        help="Judge appointments as of this moment instead of the clock (ISO 8601), "
        "so CI gives the same verdict on any day.",
    )(func)
    func = click.option("--strict", is_flag=True, help="Treat warnings as errors.")(func)
    return func


def allow_past_option(func: F) -> F:
    """``--allow-past`` (parameter ``allow_past``) on plan and apply: see ``planning.expiry``."""
    return click.option(
        "--allow-past",
        is_flag=True,
        help="Send events whose appointment has passed (by --now, or the clock) too; "
        "without it they are expired and not sent.",
    )(func)


def now_or_clock(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


VERBOSITY = "acdload.verbosity"
"""``ctx.meta`` key: -1 with ``--quiet``, 1 with ``--verbose``, else 0 (or absent)."""


def _exclusive(other: str, level: int) -> Callable[[click.Context, click.Parameter, bool], bool]:
    def record(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        if value and ctx.meta.get(VERBOSITY, 0) == -level:
            raise click.UsageError(f"--{param.name} and --{other} cannot be used together", ctx)
        if value:
            ctx.meta[VERBOSITY] = level
        return value

    return record


def verbosity_params(quiet: str, verbose: str) -> list[click.Option]:
    """``-q/--quiet`` and ``-v/--verbose``; each command says what they mean for it.

    Quiet drops chatter on stderr (progress, summaries), never problems or data; verbose
    adds detail. (The emulator, which must not import this module, declares its own.)
    """
    return [
        click.Option(
            ["-q", "--quiet"], is_flag=True, callback=_exclusive("verbose", -1), help=quiet
        ),
        click.Option(
            ["-v", "--verbose"], is_flag=True, callback=_exclusive("quiet", 1), help=verbose
        ),
    ]


def verbosity_options(*, quiet: str, verbose: str) -> Callable[[F], F]:
    """The decorator form of :func:`verbosity_params` (parameters ``quiet`` and ``verbose``)."""

    def decorate(func: F) -> F:
        params = getattr(func, "__click_params__", None)
        if params is None:
            params = []
            func.__click_params__ = params  # type: ignore[attr-defined]
        # click lists decorator parameters in reverse; these two show in the order given.
        params.extend(reversed(verbosity_params(quiet, verbose)))
        return func

    return decorate


def problem_file_options(func: F) -> F:
    """``--junit FILE`` and ``--sarif FILE``: the validation problems for CI dashboards."""
    func = click.option(
        "--sarif",
        type=click.Path(dir_okay=False, writable=True),
        default=None,
        metavar="FILE",
        help="Also write the validation problems to FILE as SARIF 2.1.0 (code scanning).",
    )(func)
    func = click.option(
        "--junit",
        type=click.Path(dir_okay=False, writable=True),
        default=None,
        metavar="FILE",
        help="Also write the validation problems to FILE as JUnit XML (one test case per file).",
    )(func)
    return func


def format_option(choices: list[str], help_text: str) -> Callable[[F], F]:
    """``--format`` (parameter ``output_format``), text by default, over a reporter registry."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default="text",
        show_default=True,
        help=help_text,
    )


def csv_dialect_option(func: F) -> F:
    """``--csv-dialect`` (parameter ``csv_dialect``) for the CSV files a command writes."""
    return click.option(
        "--csv-dialect",
        type=click.Choice(list(CSV_DIALECTS)),
        default=DEFAULT_CSV_DIALECT,
        show_default=True,
        help="How --report-csv and --failed-csv are written: plain (',', no byte order mark: "
        "for tools), excel (UTF-8 with a byte order mark, ','), excel-semicolon (the same "
        "with ';': what German, French and Dutch Excel open correctly).",
    )(func)


COLOR_CHOICES = ("auto", "always", "never")


def color_option(func: F) -> F:
    """``--color`` (parameter ``color``) on the commands that colour their output; decided by
    :func:`acdload.reports.plan.wants_color`."""
    return click.option(
        "--color",
        type=click.Choice(COLOR_CHOICES),
        default="auto",
        show_default=True,
        help="Colour the output: auto (on a terminal, unless NO_COLOR is set), always "
        "(also in a pipe, whatever NO_COLOR says), never.",
    )(func)
