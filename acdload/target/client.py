"""The jtel AcdEvents REST API as acdload uses it: list, get, types and create.

Reads retry transient failures with backoff and then give up with a TargetError (exit 3).
Creates are never retried here: whether a failed create may be sent again is a decision
only apply can make, after asking the server whether the event exists (see ``apply``).
Redirects are never followed: ``requests`` would turn a redirected POST into a GET, and
the list that answers it looks like a successful create.

The server is not trusted: ``--timeout`` bounds each whole exchange (``deadline``), an
answer that is not what the API documents is refused (``answers``), and every text taken
from an answer reaches messages and reports only through ``safetext.server_text``, after
the token was registered to be scrubbed from it.
"""

from __future__ import annotations

import contextlib
import email.utils
import ipaddress
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError

from acdload import __version__
from acdload.errors import TargetError
from acdload.safetext import QUOTE_LIMIT, register_secret, server_text
from acdload.target.answers import MalformedAnswer, Record, parse_records, snippet
from acdload.target.backoff import READ_FIRST_WAIT, retry_wait
from acdload.target.base_url import check_base_url
from acdload.target.deadline import DeadlineAdapter, Watchdog
from acdload.target.event_list import CHUNK, ListProgress, RecordSink, read_event_list

READ_ATTEMPTS = 4
LIST_TIMEOUTS = 4.0
"""The list is the one answer that grows with the account (the server has no paging), so
reading it may take this many timeouts: 120 s at the default ``--timeout`` of 30 s."""
_DELTA_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
T = TypeVar("T")
Sink = TypeVar("Sink", bound=RecordSink)


def is_plain_http_to_remote(url: str) -> bool:
    """True when a token would cross a network unencrypted (http:// to a non-loopback host)."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


@dataclass(frozen=True, slots=True)
class CreateAnswer:
    """What the server said to one create: a readable answer, success or not.

    ``record`` is set exactly when the status is 200 (its ID checked by
    ``answers.valid_id``); ``result`` and ``error`` are server text made safe to show;
    ``retry_after`` is what ``Retry-After`` asked for (see :func:`retry_after_seconds`).
    """

    status: int
    record: Record | None
    result: str | None  # the record's Result_ ("UPDATED" when merged into an existing event)
    error: str | None
    retry_after: float | None


class TransportFailure(Exception):
    """No usable answer to a request: timeout, dropped or refused connection, or a success
    status whose body cannot be read.

    For a create this is ambiguous: the server may have stored the event.
    """


class NotSent(TransportFailure):
    """The request never left: the connection was refused, the host name did not resolve,
    or connecting timed out. Unlike every other TransportFailure this is not ambiguous: a
    server that was never reached cannot have stored anything."""


class AnswerTimeout(TransportFailure):
    """The whole answer did not arrive within the exchange's deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out: no complete answer within {seconds:g} s")
        self.seconds = seconds


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """The wait a ``Retry-After`` header value asks for: seconds, finite and >= 0, or None.

    Both forms of RFC 9110 are read: delta-seconds (``120``) and an HTTP-date. None means
    "use normal backoff": no header, garbage, ``inf``, NaN, a negative number, or a date
    already past (the clocks of client and server differ; backoff is the safer wait). The
    value is not capped here: ``backoff.retry_wait`` caps it.
    """
    if value is None:
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return seconds if seconds >= 0 else None


def _error_text(response: requests.Response) -> str | None:
    """What the server said about a failed request, fit for any message or report."""
    if not response.content:
        return None
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        return server_text(response.content.decode("utf-8", "replace"))
    if isinstance(body, dict) and body.get("error") is not None:
        return server_text(str(body["error"]))
    return None


def _records(response: requests.Response) -> list[Record]:
    """The records of a small answer, read whole."""
    return parse_records(response.content)


def _result(record: Record) -> str | None:
    value = record.get("Result_")
    return server_text(value, QUOTE_LIMIT) if isinstance(value, str) else None


class JtelClient:
    """One keep-alive session against one jtel client account."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        verify: bool | str = True,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.timeout = timeout
        self._settings = (token, verify)
        register_secret(token)  # whatever a server echoes, the token is masked in all output
        self._watchdog = Watchdog()
        self._session = requests.Session()
        adapter = DeadlineAdapter()
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # The environment is read once here, not on every request as requests does: its
        # proxies and CA bundle are kept, ~/.netrc is not (its password would replace the
        # bearer token), and a create costs about 0.1 ms less.
        self._session.trust_env = False
        self._session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        if verify is True:
            verify = (
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            )
        self._session.verify = verify
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": f"acdload/{__version__}",
            }
        )

    def twin(self) -> JtelClient:
        """Another client of the same account and settings, with a session (keep-alive
        connection) of its own: one for each worker of ``apply --parallel``."""
        token, verify = self._settings
        return JtelClient(self.base_url, token, timeout=self.timeout, verify=verify)

    def close(self) -> None:
        self._session.close()
        self._watchdog.close()

    def __enter__(self) -> JtelClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _exchanging(
        self, method: str, path: str, seconds: float, **options: Any
    ) -> Iterator[requests.Response]:
        """One request whose whole answer is read in the block, within ``seconds``:
        TransportFailure (or AnswerTimeout) when no complete answer came. Whatever fails
        once the deadline passed is an AnswerTimeout (a body cut off looks truncated)."""
        with self._watchdog.exchange(seconds) as exchange:
            try:
                with self._session.request(
                    method,
                    self.base_url + path,
                    timeout=seconds,
                    allow_redirects=False,
                    stream=True,
                    **options,
                ) as response:
                    yield response
            except requests.RequestException as exc:
                if exchange.expired or isinstance(exc, requests.ReadTimeout):
                    raise AnswerTimeout(seconds) from None
                if _before_sending(exc):
                    raise NotSent(f"could not connect ({type(exc).__name__})") from None
                raise TransportFailure(type(exc).__name__) from None
            except Exception:
                if exchange.expired:
                    raise AnswerTimeout(seconds) from None
                raise

    def _exchange(
        self, method: str, path: str, seconds: float, **options: Any
    ) -> requests.Response:
        """One request and its whole answer within ``seconds``; TransportFailure (or
        AnswerTimeout) when no complete answer came."""
        with self._exchanging(method, path, seconds, **options) as response:
            _ = response.content  # the whole body, within the deadline
        return response

    # -- reads -----------------------------------------------------------------------------

    def list_events(self, start: Callable[[], Sink], progress: ListProgress | None = None) -> Sink:
        """Every event of the account (the server has no paging): one request, its body
        parsed as it arrives (:mod:`~acdload.target.event_list`), each record handed to a
        sink made by ``start``, a fresh one per attempt, that keeps what it needs of it."""

        def streamed(response: requests.Response) -> Sink:
            sink = start()
            read_event_list(response.iter_content(CHUNK), sink, progress)
            return sink

        return self._read("/acd/events", streamed, seconds=LIST_TIMEOUTS * self.timeout)

    def get_event(self, event_id: int) -> Record | None:
        records: list[Record] = self._read(f"/acd/events/event/{event_id}", _records, missing=[])
        return records[0] if records else None

    def event_types(self) -> list[Record]:
        return self._read("/acd/events/types", _records)

    def _read(
        self,
        path: str,
        answer: Callable[[requests.Response], T],
        *,
        missing: T | None = None,
        seconds: float | None = None,
    ) -> T:
        """What ``answer`` reads of a GET's 200 answer (within the deadline, as it arrives);
        ``missing`` for a 404 with a body, when given. No answer, 5xx and 429 are retried
        (waiting what ``Retry-After`` asks, capped: ``backoff.retry_wait``), anything else that is
        not the documented answer is a TargetError."""
        what = f"GET {path}"
        seconds = seconds or self.timeout
        for attempt in range(1, READ_ATTEMPTS + 1):
            last = attempt == READ_ATTEMPTS
            try:
                with self._exchanging("GET", path, seconds) as response:
                    if response.status_code == 200:
                        return answer(response)
                    _ = response.content  # an error answer is read whole, for its message
            except AnswerTimeout:
                if last:
                    raise TargetError(
                        f"{what} got no complete answer within {seconds:g} s "
                        f"({READ_ATTEMPTS} attempts)",
                        hint="the server (or the network to it) is too slow or stalls; "
                        "raise --timeout if it is only slow",
                    ) from None
                _backoff(attempt)
                continue
            except TransportFailure as exc:
                if last:
                    raise TargetError(
                        f"cannot reach {self.base_url}: {exc}",
                        hint="check the base URL, the network and that the server is running",
                    ) from None
                _backoff(attempt)
                continue
            except MalformedAnswer as exc:
                raise TargetError(
                    f"{what}: the answer is not what the jtel API documents: {exc}",
                    hint=f"check that {self.base_url} is the jtel REST base URL (a proxy or a "
                    "login page answers like this too); if it is, tell the server's administrator",
                ) from None
            status = response.status_code
            if status >= 500 or status == 429:
                if last:
                    raise TargetError(
                        f"the server keeps failing: HTTP {status} for {what}",
                        hint="try again later, or ask the jtel administrator",
                    )
                _backoff(attempt, retry_after_seconds(response.headers.get("Retry-After")))
                continue
            if missing is not None and status == 404 and response.content:
                return missing
            self.raise_for_target(response, what)
            raise TargetError(f"unexpected HTTP {status} for {what}: {_error_text(response)}")
        raise AssertionError("unreachable")  # pragma: no cover

    def raise_for_target(self, response: requests.Response, what: str) -> None:
        """Stop the whole run when the answer says the target itself is wrong."""
        status = response.status_code
        if status in (401, 403):
            raise TargetError(
                f"the server refused the token (HTTP {status} for {what})",
                hint="check ACDLOAD_TOKEN or --token-file, and the client ID at the end of the base URL",
            )
        if status == 404 and not response.content:
            raise TargetError(
                f"no such endpoint: {what} answered 404 with an empty body",
                hint="the base URL must end in /rest/v1.0/CLIENTSID",
            )
        if 300 <= status < 400:
            raise TargetError(
                f"the server redirected {what} to {snippet(response.headers.get('Location', ''))}",
                hint="use the final URL as base URL (acdload never follows redirects)",
            )

    # -- create ----------------------------------------------------------------------------

    def create(self, payload: dict[str, Any]) -> CreateAnswer:
        """One POST, no retry.

        Raises TransportFailure when no usable answer came back: none within the timeout,
        a dropped connection, or a success whose body cannot be read (non-JSON, no record,
        no valid ID). In each case the server may have stored the event, so apply looks it
        up before anything is sent again.
        """
        response = self._exchange(
            "POST",
            "/acd/events/create",
            self.timeout,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        self.raise_for_target(response, "POST /acd/events/create")
        status = response.status_code
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if 200 < status < 300:
            raise TransportFailure(f"unreadable answer: HTTP {status}, not 200 with the event")
        if status != 200:
            return CreateAnswer(status, None, None, _error_text(response), retry_after)
        try:
            records = parse_records(response.content)
        except MalformedAnswer as exc:
            raise TransportFailure(f"unreadable answer: {exc}") from None
        if not records:
            raise TransportFailure("unreadable answer: HTTP 200 without the created event")
        return CreateAnswer(status, records[0], _result(records[0]), None, retry_after)


def _before_sending(exc: requests.RequestException) -> bool:
    """Whether ``exc`` happened while connecting, before a byte of the request was sent.

    urllib3 reports refused connections, failed name look-ups and connect timeouts as a
    ``ConnectTimeoutError`` (``NewConnectionError`` and ``NameResolutionError`` are its
    subclasses), wrapped in ``MaxRetryError``. A reset or a closed connection after the
    request went out (``ProtocolError``) is something else: the server may have the event.
    """
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, ConnectTimeoutError)


def _backoff(attempt: int, retry_after: float | None = None) -> None:
    """The wait before read attempt ``attempt + 1``."""
    time.sleep(retry_wait(attempt, retry_after, first=READ_FIRST_WAIT))
