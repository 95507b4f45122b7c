"""Options shared by several commands, declared once (as pip-tools does)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

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


def paths_argument(func: F) -> F:
    return click.argument("paths", nargs=-1, required=True, metavar="PATH...")(func)


def check_options(func: F) -> F:
    """The options that decide a validation verdict, shared by validate, render and plan."""
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


def now_or_clock(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)
