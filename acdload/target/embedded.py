"""The bundled emulator as a target: started in this process for the length of a run.

Its state (events and token) lives in a directory (``.acdload/`` of the working directory
for ``--emulator``), so that a newcomer's repeated runs see what earlier runs created.
This is the only module outside the emulator package and the CLI that imports it, and it
does so only when an emulator target is opened.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from acdload.errors import TargetError
from acdload.target.client import JtelClient

EMULATOR_DB = "emulator.db"
EMULATOR_TOKEN = "emulator.token"


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
def embedded_emulator(state_dir: Path, timeout: float) -> Iterator[JtelClient]:
    """A client of an emulator serving ``state_dir`` on 127.0.0.1; stopped on exit."""
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
