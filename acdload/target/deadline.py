"""One deadline for a whole HTTP exchange: connecting, sending, and reading all the answer.

requests' timeout bounds each socket operation, not the exchange: a server that sends one
byte every half second keeps a request alive for as long as it likes. Here a watchdog
thread (one per client, started on first use) shuts down the socket of an exchange whose
deadline has passed. The read blocked on it fails at once, and urllib3 closes a connection
whose answer failed half-way, so the rest of an old answer is never read as the answer to
the next request.

The watchdog learns which socket an exchange uses from its connection: the pools of a
:class:`DeadlineAdapter` make connections whose ``connect`` and ``request`` report their
socket to the exchange running on their thread. It is the socket that is kept, not the
connection: http.client lets go of the connection's socket (``sock = None``) as soon as
the headers of an answer that ends with the connection have arrived, and the body is read
from the socket after that.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, cast

from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, PoolManager

_running = threading.local()
"""``exchange``: the :class:`Exchange` this thread is making, if any."""


class Exchange:
    """One request and its answer, and the time by which both must be done."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._socket: socket.socket | None = None
        self._done = False
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket) -> None:
        """The socket this exchange uses (a new one when its connection connects again)."""
        with self._lock:
            self._socket = sock
            if self.expired:
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            if not self._done:
                self.expired = True
                if self._socket is not None:
                    _shut(self._socket)

    def finish(self) -> None:
        """From now on the socket belongs to the next exchange: never shut it for this one."""
        with self._lock:
            self._done = True
            self._socket = None


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """Expires the exchanges of one client when their deadlines pass."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._exchanges: set[Exchange] = set()
        self._thread: threading.Thread | None = None
        self._wakes_at: float | None = None  # None: asleep until notified
        self._closed = False

    @contextlib.contextmanager
    def exchange(self, seconds: float) -> Iterator[Exchange]:
        """An exchange on this thread that must be over within ``seconds``."""
        exchange = Exchange(time.monotonic() + seconds)
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="acdload-deadlines", daemon=True
                )
                self._thread.start()
            self._exchanges.add(exchange)
            # Deadlines mostly grow (one timeout per client), so the watchdog is woken only
            # when this one comes before the time it will wake anyway.
            if self._wakes_at is None or exchange.deadline < self._wakes_at:
                self._cond.notify()
        _running.exchange = exchange
        try:
            yield exchange
        finally:
            _running.exchange = None
            exchange.finish()
            with self._cond:
                self._exchanges.discard(exchange)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                for exchange in [e for e in self._exchanges if e.deadline <= now]:
                    exchange.expire()
                    self._exchanges.discard(exchange)
                self._wakes_at = min((e.deadline for e in self._exchanges), default=None)
                self._cond.wait(None if self._wakes_at is None else self._wakes_at - now)


def _attach(connection: Any) -> None:
    exchange: Exchange | None = getattr(_running, "exchange", None)
    sock = getattr(connection, "sock", None)
    if exchange is not None and sock is not None:
        exchange.attach(sock)


@functools.cache
def _watched_pool(pool: type[HTTPConnectionPool]) -> type[HTTPConnectionPool]:
    """``pool`` making connections that report to the exchange of their thread."""
    base: Any = pool.ConnectionCls

    def connect(self: Any) -> None:
        base.connect(self)
        _attach(self)

    def request(self: Any, *args: Any, **kwargs: Any) -> None:
        _attach(self)
        base.request(self, *args, **kwargs)

    connection = type(f"Watched{base.__name__}", (base,), {"connect": connect, "request": request})
    watched = type(f"Watched{pool.__name__}", (pool,), {"ConnectionCls": connection})
    return cast(type[HTTPConnectionPool], watched)


def _watch(manager: PoolManager) -> None:
    manager.pool_classes_by_scheme = {
        scheme: _watched_pool(pool) for scheme, pool in manager.pool_classes_by_scheme.items()
    }


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, its connections (direct or through a proxy) watched."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watch(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        fresh = proxy not in self.proxy_manager
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if fresh:
            _watch(manager)
        return manager
