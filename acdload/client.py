"""The jtel AcdEvents REST API as acdload uses it: list, get, types and create.

Reads retry transient failures with backoff and then give up with a TargetError (exit 3).
Creates are never retried here: whether a failed create may be sent again is a decision
only apply can make, after asking the server whether the event exists (see ``apply``).
Redirects are never followed: ``requests`` would turn a redirected POST into a GET, and
the list that answers it looks like a successful create.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from acdload import __version__
from acdload.base_url import check_base_url
from acdload.errors import TargetError
from acdload.safetext import register_secret

READ_ATTEMPTS = 4


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
    """What the server said to one create, whatever it was."""

    status: int
    record: dict[str, Any] | None
    result: str | None  # the record's Result_ ("UPDATED" when merged into an existing event)
    error: str | None
    retry_after: float | None


class TransportFailure(Exception):
    """No answer to a request: timeout, dropped or refused connection.

    For a create this is ambiguous: the server may have stored the event.
    """


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error_text(response: requests.Response) -> str | None:
    if not response.content:
        return None
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if isinstance(body, dict) and body.get("error") is not None:
        return str(body["error"])
    return None


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
        register_secret(token)  # whatever a server echoes, the token is masked in all output
        self._session = requests.Session()
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

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> JtelClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -----------------------------------------------------------------------------

    def list_events(self) -> list[dict[str, Any]]:
        """Every event of the account (the server has no paging): one request."""
        body = self._read("/acd/events", timeout=max(self.timeout, 120.0))
        return list(body.get("records") or [])

    def get_event(self, event_id: int) -> dict[str, Any] | None:
        body = self._read(f"/acd/events/event/{event_id}", missing_ok=True)
        records = body.get("records") or []
        return records[0] if records else None

    def event_types(self) -> list[dict[str, Any]]:
        return list(self._read("/acd/events/types").get("records") or [])

    def _read(self, path: str, *, missing_ok: bool = False, timeout: float | None = None) -> Any:
        url = self.base_url + path
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                response = self._session.get(
                    url, timeout=timeout or self.timeout, allow_redirects=False
                )
            except requests.RequestException as exc:
                if attempt == READ_ATTEMPTS:
                    raise TargetError(
                        f"cannot reach {self.base_url}: {type(exc).__name__}",
                        hint="check the base URL, the network and that the server is running",
                    ) from None
                _backoff(attempt)
                continue
            if response.status_code >= 500 or response.status_code == 429:
                if attempt == READ_ATTEMPTS:
                    raise TargetError(
                        f"the server keeps failing: HTTP {response.status_code} for GET {path}",
                        hint="try again later, or ask the jtel administrator",
                    )
                _backoff(attempt, _retry_after(response))
                continue
            if missing_ok and response.status_code == 404 and response.content:
                return {}
            self.raise_for_target(response, f"GET {path}")
            if response.status_code != 200:
                raise TargetError(
                    f"unexpected HTTP {response.status_code} for GET {path}: {_error_text(response)}"
                )
            try:
                return response.json()
            except ValueError:
                raise TargetError(
                    f"GET {path} did not answer JSON; is {self.base_url} a jtel REST base URL?"
                ) from None
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
                f"the server redirected {what} to {response.headers.get('Location')!r}",
                hint="use the final URL as base URL (acdload never follows redirects)",
            )

    # -- create ----------------------------------------------------------------------------

    def create(self, payload: dict[str, Any]) -> CreateAnswer:
        """One POST, no retry. Raises TransportFailure when no answer came back."""
        try:
            response = self._session.post(
                self.base_url + "/acd/events/create",
                data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise TransportFailure(type(exc).__name__) from None
        self.raise_for_target(response, "POST /acd/events/create")
        record = None
        if response.status_code == 200:
            try:
                records = response.json().get("records") or []
                record = records[0] if records else None
            except (ValueError, AttributeError):
                record = None
        return CreateAnswer(
            status=response.status_code,
            record=record,
            result=None if record is None else record.get("Result_"),
            error=None if response.status_code == 200 else _error_text(response),
            retry_after=_retry_after(response),
        )


def _backoff(attempt: int, retry_after: float | None = None) -> None:
    delay = retry_after if retry_after is not None else min(8.0, 0.25 * 2**attempt)
    time.sleep(delay * (0.8 + 0.4 * random.random()))
