"""A jtel server that answers as the API documents, except where a test scripts otherwise.

It stores what is created and lists it, like the real server, so that apply's look-up
after an unreadable or unfinished create finds what the server really did. A test queues
hostile answers per endpoint (``script.then("GET /acd/events", answer)``); each request
takes the first answer queued for its endpoint, and the documented one once none is left.
A scripted create is stored all the same (the server did its work, only the answer went
wrong) unless the script says ``stores=False``.

The CLI runs as a child process (``run_acdload``): what a user sees is its real exit code,
stdout and stderr, a hang is ended by the subprocess timeout instead of the suite's, and
no token registered for scrubbing by an earlier test helps a later one. Where none of
that matters, ``invoke_acdload`` runs it in this process, ten times faster.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.applying.support import environment
from tests.cli_runner import Cli
from tests.hostile.server import (
    EVENT_TYPES,
    HostileServer,
    Request,
    list_answer,
    send_json,
)

Answer = Callable[[Request, socket.socket], None]

LIST = "GET /acd/events"
TYPES = "GET /acd/events/types"
CREATE = "POST /acd/events/create"


class JtelScript:
    """A scripted jtel server; use as a context manager, like :class:`HostileServer`."""

    def __init__(self, *, stores: bool = True) -> None:
        self.events: list[dict[str, Any]] = []
        self.stores = stores
        self._queued: dict[str, list[Answer]] = defaultdict(list)
        self._lock = threading.Lock()
        self.server = HostileServer(self._respond)

    def then(self, endpoint: str, *answers: Answer) -> JtelScript:
        """Queue ``answers`` for the next requests to ``endpoint`` ("POST /acd/events/create")."""
        self._queued[endpoint].extend(answers)
        return self

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def sent(self, endpoint: str) -> list[Request]:
        """The requests the server read for ``endpoint``, in order."""
        return [r for r in self.server.requests if f"{r.method} {r.path}" == endpoint]

    def __enter__(self) -> JtelScript:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)

    def _respond(self, request: Request, conn: socket.socket) -> None:
        endpoint = f"{request.method} {request.path}"
        with self._lock:
            queue = self._queued.get(endpoint)
            scripted = queue.pop(0) if queue else None
            record = None
            if endpoint == CREATE and (scripted is None or self.stores):
                record = {**request.json(), "ID": 100 + len(self.events)}
                self.events.append(record)
            events = list(self.events)
        if scripted is not None:
            scripted(request, conn)
        elif endpoint == LIST:
            send_json(conn, 200, list_answer(events))
        elif endpoint == TYPES:
            send_json(conn, 200, EVENT_TYPES)
        elif endpoint == CREATE:
            send_json(conn, 200, {"records": [record], "count": 1, "status": 200})
        else:
            send_json(conn, 404, {"error": f"no such event: {request.path}"})


@dataclass
class Run:
    """What one ``acdload`` command left for its user to see."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_acdload(
    cwd: Path, *args: str, token: str | None = "tok-3c1f9e", timeout: float = 60, **env: str
) -> Run:
    """``python -m acdload ARGS`` in ``cwd`` with ACDLOAD_TOKEN set, to completion."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "acdload", *args],
        cwd=cwd,
        env=environment(token=token, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def invoke_acdload(cli: Cli, cwd: Path, *args: str, token: str = "tok-3c1f9e", **env: str) -> Run:
    """``acdload ARGS`` in this process (the ``cli`` fixture's runner) in ``cwd``."""
    started = time.monotonic()
    with contextlib.chdir(cwd):
        result = cli(*args, env={"ACDLOAD_TOKEN": token, **env})
    return Run(result.exit_code, result.stdout, result.stderr, time.monotonic() - started)
