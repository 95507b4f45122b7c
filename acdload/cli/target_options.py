"""The target options of ``plan`` and ``apply``, declared once, and the target they name.

``--base-url`` (or ``ACDLOAD_BASE_URL``) names a jtel server, with the token from
``ACDLOAD_TOKEN`` or ``--token-file`` (never a plain flag value: it would show in process
lists and shell history); ``--target NAME`` (or ``ACDLOAD_TARGET``) picks a server named
in the config file (``acdload.target.config``). ``--emulator`` runs the bundled emulator in this
process with its state in ``.acdload/`` of the current directory, so that a newcomer's
repeated runs see what earlier runs created. ``--offline`` is separate because only
``plan`` has it. ``--timeout`` and ``--ca-bundle`` say how to talk to the server.
Opening the target is the library's (``acdload.target.open``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from acdload.errors import AcdloadError
from acdload.target.config import load_config
from acdload.target.resolve import Target, resolve_target

F = TypeVar("F", bound=Callable[..., Any])


def _complete_target(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of ``--target``: the names in this directory's config."""
    try:
        targets = load_config(Path.cwd()).targets
    except AcdloadError:
        return []
    return [
        CompletionItem(name, help=target.base_url)
        for name, target in sorted(targets.items())
        if name.startswith(incomplete)
    ]


def target_options(func: F) -> F:
    """``--base-url``, ``--target``, ``--emulator``, ``--token-file``, ``--timeout`` and
    ``--ca-bundle`` (parameters of the same names)."""
    func = click.option(
        "--ca-bundle",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        metavar="FILE",
        help="Verify the server's TLS certificate with this CA bundle (a private CA).",
    )(func)
    func = click.option(
        "--timeout",
        type=click.FloatRange(min=0.05),
        default=30.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds to wait for each answer of the server.",
    )(func)
    func = click.option(
        "--token-file",
        type=click.Path(dir_okay=False),
        default=None,
        metavar="FILE",
        help="Read the bearer token from FILE (default: the ACDLOAD_TOKEN variable).",
    )(func)
    func = click.option(
        "--emulator",
        is_flag=True,
        help="Use the bundled emulator, its events kept in .acdload/ of this directory.",
    )(func)
    func = click.option(
        "--target",
        default=None,
        metavar="NAME",
        shell_complete=_complete_target,
        help="Use the target NAME of acdload.toml or [tool.acdload] in pyproject.toml "
        "(default: the ACDLOAD_TARGET variable, then the config's default_target).",
    )(func)
    func = click.option(
        "--base-url",
        default=None,
        metavar="URL",
        help="The jtel base URL, https://HOST:PORT/rest/v1.0/CLIENTSID "
        "(default: the ACDLOAD_BASE_URL variable).",
    )(func)
    return func


def offline_option(func: F) -> F:
    """``--offline``: no server at all (parameter ``offline``)."""
    return click.option(
        "--offline",
        is_flag=True,
        help="Do not read any server: every event is planned as a create "
        "(for CI jobs without credentials).",
    )(func)


def target_from_options(
    *,
    base_url: str | None,
    emulator: bool,
    token_file: str | None,
    offline: bool = False,
    target: str | None = None,
) -> Target:
    """The target the options name; a usage error (exit 2) when they name none or two."""
    return resolve_target(
        base_url=base_url, emulator=emulator, offline=offline, token_file=token_file, target=target
    )


def warn(message: str) -> None:
    """The ``warn`` callback of the library calls: a warning line on stderr."""
    click.echo(f"warning: {message}", err=True)
