"""Running the emulator: in a background thread for tests, or in the foreground for the CLI."""

from __future__ import annotations

import errno
import secrets
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any, Self, TextIO

from acdload.emulator.config import EmulatorConfig, EmulatorConfigError, load_groups
from acdload.emulator.faults import FaultPlan
from acdload.emulator.server import EmulatorHTTPServer
from acdload.emulator.service import EventService
from acdload.emulator.store import EventStore, StoreError

__all__ = ["Emulator", "serve_forever"]

# How often the accept loop looks for a stop request; bounds how long stop() waits.
_POLL_INTERVAL_S = 0.05


class Emulator:
    """A jtel-compatible server on a real socket with real storage.

    ``start()`` binds and serves in background threads; ``stop()`` lets every request in
    progress finish (injected waits are cut short, accepted creates are committed) and
    closes everything. Use it as a context manager in tests.
    """

    def __init__(self, config: EmulatorConfig) -> None:
        """Check the configuration and read the groups file; nothing is opened yet."""
        self.config = config
        self.client_id = config.client_id
        self.token = config.token if config.token is not None else secrets.token_urlsafe(24)
        self._groups = load_groups(config.groups) if config.groups is not None else None
        self._server: EmulatorHTTPServer | None = None
        self._store: EventStore | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator has not been started")
        return self._server.server_port

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/rest/v1.0/CLIENTID``, the jtel base URL of this account."""
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/rest/v1.0/{self.client_id}"

    def start(self) -> Self:
        """Open the database, bind, and serve in the background; returns at once.

        Raises :class:`EmulatorConfigError` naming ``--db``, ``--host`` or ``--port`` when
        the database cannot be used or the address cannot be bound.
        """
        if self._server is not None or self._stopped:
            raise RuntimeError("an Emulator can be started once")
        config = self.config
        try:
            store = EventStore(config.db)
        except StoreError as err:
            raise EmulatorConfigError(str(err), "--db") from err
        try:
            server = EmulatorHTTPServer(
                (config.host, config.port),
                service=EventService(store, config.client_id, self._groups),
                faults=FaultPlan(
                    fail_rate=config.fail_rate,
                    drop_rate=config.drop_rate,
                    late_commit_rate=config.late_commit_rate,
                    seed=config.seed,
                ),
                token=self.token,
                client_id=config.client_id,
                latency_s=config.latency_ms / 1000,
                late_commit_s=config.late_commit_ms / 1000,
                read_timeout_s=config.read_timeout,
            )
        except OSError as err:
            store.close()
            option = (
                "--host"
                if isinstance(err, socket.gaierror) or err.errno == errno.EADDRNOTAVAIL
                else "--port"
            )
            raise EmulatorConfigError(
                f"cannot listen on {config.host} port {config.port}: {err.strerror or err}",
                option,
            ) from err
        self._store, self._server = store, server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL_S},
            name="acdload-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish requests in progress, store what they accepted, close; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None:
            self._server.close(serving=True)
        if self._thread is not None:
            self._thread.join()
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    config: EmulatorConfig,
    out: TextIO,
    *,
    err: TextIO | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM (or ``stop`` is set), then shut down cleanly.

    The base URL is the first line on ``out``, flushed, so scripts can read it; a
    generated token is the second. Signal handlers are installed only when called from
    the main thread (tests call it elsewhere and use ``stop``).
    """
    emulator = Emulator(config)
    stop_event = stop if stop is not None else threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_event.set()

    previous: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, request_stop)
    try:
        with emulator:
            print(emulator.base_url, file=out, flush=True)
            if config.token is None:
                print(emulator.token, file=out, flush=True)
            if err is not None:
                storage = config.db if config.db is not None else "memory (lost at exit)"
                print(
                    f"acdload emulator: serving {emulator.base_url}, events stored in "
                    f"{storage}; stop with Ctrl+C",
                    file=err,
                    flush=True,
                )
            while not stop_event.wait(1.0):
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
