"""The form of a jtel base URL, checked before anything is sent or stored.

A light module (no HTTP client) so that reading the config file can check its targets'
URLs without importing ``requests``.
"""

from __future__ import annotations

import re

from acdload.errors import UsageProblem

_BASE_URL = re.compile(r"^https?://[^/\s]+(?:/[^\s]*)?/rest/v1\.0/[0-9]+$")
_AUTHORITY = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?/*([^/?#]*)")
"""The host part of a URL, however malformed its scheme: what comes before the path."""

CREDENTIALS_HINT = (
    "remove them from the URL: the server gets the bearer token, from ACDLOAD_TOKEN or "
    "--token-file (or a target's token_env)"
)


def has_credentials(url: str) -> bool:
    """True when ``url`` names a user or password (``user:password@host``).

    requests would send them as Basic auth instead of the token, and the URL is printed
    and stored as the target's name, so such a URL is refused wherever it comes from.
    """
    match = _AUTHORITY.match(url.strip())
    return match is not None and "@" in match.group(1)


def check_base_url(url: str, given_as: str = "the base URL") -> str:
    """The base URL without a trailing slash, or a usage error that shows its form.

    ``given_as`` names where the URL came from (``--base-url``, ``ACDLOAD_BASE_URL``): a
    URL with credentials is refused naming only that, never echoing the URL.
    """
    if has_credentials(url):
        raise UsageProblem(
            f"{given_as} contains a user name or password (user:password@...); "
            "acdload neither sends nor shows them",
            hint=CREDENTIALS_HINT,
        )
    trimmed = url.rstrip("/")
    if not _BASE_URL.match(trimmed):
        raise UsageProblem(
            f"{url!r} is not a jtel base URL",
            hint="it looks like https://HOST:PORT/rest/v1.0/CLIENTSID (the client account ID last)",
        )
    return trimmed
