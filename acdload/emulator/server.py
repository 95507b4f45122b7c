"""The emulator's HTTP server: one thread per connection, and a shutdown no client can hold.

Built on ``http.server`` with HTTP/1.1 keep-alive; what happens on each connection is in
:mod:`acdload.emulator.handler`.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Iterable
from http.server import ThreadingHTTPServer
from typing import Any

from acdload.emulator.faults import FaultPlan
from acdload.emulator.handler import Handler
from acdload.emulator.service import EventService

__all__ = ["EmulatorHTTPServer"]


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that can stop without losing an accepted create.

    It counts requests in progress and tracks open connections, so that :meth:`close`
    can let every request finish (cutting injected waits short), then hang up idle
    keep-alive connections and join their threads.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        service: EventService,
        faults: FaultPlan,
        token: str,
        client_id: int,
        latency_s: float,
        late_commit_s: float,
        read_timeout_s: float,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.service = service
        self.faults = faults
        self.token = token.encode()
        self.client_id = str(client_id)
        self.latency_s = latency_s
        self.late_commit_s = late_commit_s
        self.read_timeout_s = read_timeout_s
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_progress = 0
        self._connections: dict[Any, threading.Thread] = {}
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, which can wait on DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="acdload-emulator-connection",
            daemon=True,
        )
        with self._lock:
            self._connections[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)

    def begin_request(self) -> bool:
        """Count a request in; ``False`` once stopping (the connection is then closed)."""
        with self._lock:
            if self.stopping.is_set():
                return False
            self._in_progress += 1
            return True

    def end_request(self) -> None:
        with self._lock:
            self._in_progress -= 1
            self._idle.notify_all()

    def close(self, *, serving: bool, grace: float = 1.0) -> None:
        """Stop accepting, finish requests in progress, hang up the rest, close.

        Reading ends first on every connection: an idle keep-alive client, or one that
        stalled mid-request, sees the end of its stream, so no client can hold the
        shutdown. Requests already read go on (injected waits are cut short, accepted
        creates are committed) and are answered. After ``grace`` seconds every connection
        is hung up, even one whose client does not read its answer; so the whole stop
        takes at most about twice ``grace``.
        """
        with self._lock:
            self.stopping.set()  # wakes late commits and latency waits at once
        if serving:
            self.shutdown()
        with self._lock:
            connections = list(self._connections)
        _hang_up(connections, socket.SHUT_RD)
        with self._lock:
            self._idle.wait_for(lambda: self._in_progress == 0, grace)
            threads = list(self._connections.items())
        _hang_up((connection for connection, _ in threads), socket.SHUT_RDWR)
        deadline = time.monotonic() + grace
        for _, thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.server_close()


def _hang_up(connections: Iterable[socket.socket], how: int) -> None:
    for connection in connections:
        with contextlib.suppress(OSError):  # already closed by the client
            connection.shutdown(how)
