"""The target options of ``plan`` and ``apply``, declared once, and opening the target.

``--base-url`` (or ``ACDLOAD_BASE_URL``) names a jtel server, with the token from
``ACDLOAD_TOKEN`` or ``--token-file`` (never a plain flag value: it would show in process
lists and shell history); ``--target NAME`` (or ``ACDLOAD_TARGET``) picks a server named
in the config file (``acdload.target.config``). ``--emulator`` runs the bundled emulator in this
process with its state in ``.acdload/`` of the current directory, so that a newcomer's
repeated runs see what earlier runs created. ``--offline`` is separate because only
``plan`` has it. ``--timeout`` and ``--ca-bundle`` say how to talk to the server.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from acdload.errors import AcdloadError, TargetError
from acdload.target.client import JtelClient, is_plain_http_to_remote
from acdload.target.config import load_config
from acdload.target.resolve import Target, resolve_target

F = TypeVar("F", bound=Callable[..., Any])

EMULATOR_DB = "emulator.db"
EMULATOR_TOKEN = "emulator.token"


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


def tls_verify(ca_bundle: str | None) -> bool | str:
    """What the client verifies TLS with: the system's CAs, or ``--ca-bundle``."""
    return ca_bundle or True


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def emulator_token(state_dir: Path) -> str:
    """The emulator's token: generated on the first run, then read from the state dir.

    Created with ``O_EXCL`` and mode 0600, so two first runs agree on one token and no
    other user can read it.
    """
    path = state_dir / EMULATOR_TOKEN
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
        raise TargetError(
            f"{path} is empty", hint="delete it and run again; a new token is made"
        ) from None
    token = secrets.token_urlsafe(24)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return token


def _private_file(path: Path) -> None:
    """Create ``path`` 0600 if it does not exist: SQLite gives its WAL files the same mode."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


@contextlib.contextmanager
def _embedded_emulator(state_dir: Path, timeout: float) -> Iterator[JtelClient]:
    from acdload.emulator import Emulator, EmulatorConfig, EmulatorConfigError

    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        token = emulator_token(state_dir)
        _private_file(state_dir / EMULATOR_DB)
        emulator = Emulator(
            EmulatorConfig(host="127.0.0.1", port=0, db=state_dir / EMULATOR_DB, token=token)
        ).start()
    except EmulatorConfigError as exc:
        raise TargetError(
            f"cannot start the embedded emulator: {exc.message}",
            hint=f"check {state_dir}/ (delete it to start from an empty emulator)",
        ) from None
    except OSError as exc:
        raise TargetError(
            f"cannot keep the emulator's state in {state_dir}: {exc.strerror}",
            hint="run from a directory you can write to",
        ) from None
    try:
        with JtelClient(emulator.base_url, token, timeout=timeout) as client:
            yield client
    finally:
        emulator.stop()


@contextlib.contextmanager
def open_client(
    target: Target,
    *,
    timeout: float = 30.0,
    verify: bool | str = True,
    on_warning: Callable[[str], None] = warn,
) -> Iterator[JtelClient | None]:
    """A client for ``target`` (None when offline), closed on exit.

    For ``--emulator`` the emulator runs for the duration of the block. A token about to
    cross a network unencrypted (``http://`` to a host other than this one) is warned
    about. ``timeout`` and ``verify`` (True, or a CA bundle path) go to the client.
    """
    if target.kind == "offline":
        yield None
    elif target.kind == "emulator":
        assert target.state_dir is not None  # resolve_target sets it for the emulator
        with _embedded_emulator(target.state_dir, timeout) as client:
            yield client
    else:
        assert target.base_url is not None and target.token is not None
        if is_plain_http_to_remote(target.base_url):
            on_warning(
                f"the token will be sent unencrypted over plain http:// to {target.base_url}; "
                "use https:// for a server that is not on this machine"
            )
        with JtelClient(target.base_url, target.token, timeout=timeout, verify=verify) as client:
            yield client
