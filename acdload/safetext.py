"""Text that crosses a trust boundary: file content quoted in a message, answers of a
server, anything written to a terminal, report, journal or plan file.

Two guarantees, each kept in exactly one place so that no caller can forget half of it:

- :func:`quote` and :func:`escape` show untrusted text harmlessly: control characters,
  ANSI escapes, bidirectional overrides and lone surrogates appear as ``\\x1b``-style
  escapes (a terminal never interprets them, XML stays valid) and the length is capped.
- :func:`scrub` removes credentials: the token of every target this process has opened
  (:func:`register_secret`) and any ``Bearer ...`` or ``Authorization: ...`` value,
  whatever a server or proxy echoes back.

:func:`server_text` is both, for what a server says.
"""

from __future__ import annotations

import re
import threading

QUOTE_LIMIT = 80
"""Characters of file content a message quotes before it is cut with an ellipsis."""

SERVER_TEXT_LIMIT = 500
"""Characters of a server's error text kept in messages and reports."""

SECRET_MIN_LENGTH = 8
"""Shorter secrets are masked only where they stand alone (not inside a longer word or
token): masking a token ``t`` wherever it occurs would turn every "t" of every message
into ``***``. Bearer and Authorization values are masked all the same."""

_TOKEN_CHARS = r"A-Za-z0-9._~+/=\-"
"""Characters a bearer token is made of (RFC 6750's b64token)."""

MASK = "***"

_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufeff\ufffe\uffff]"
)
"""C0 and C1 controls (ESC among them), bidirectional marks and overrides ("Trojan
source"), line separators, lone surrogates and the characters XML 1.0 forbids."""

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

_BEARER = re.compile(r"(?i)\b(bearer)(\s+)[^\s\"',;<>\\]+")
_AUTHORIZATION = re.compile(r"(?i)((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)[^\r\n\"'<>\\]+")
"""A value ends at a quote, an angle bracket or a backslash, so that scrubbing the text of a
JSON, CSV or XML file (a value there may hold an escaped quote: ``\\"``) leaves it valid."""

_secrets: set[str] = set()
_short_secrets: dict[str, re.Pattern[str]] = {}
_secrets_lock = threading.Lock()


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str, limit: int | None = QUOTE_LIMIT) -> str:
    """``text`` safe to print on one line: unsafe characters escaped, cut at ``limit``
    characters (``None``: no cap) with an ellipsis."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _UNSAFE.sub(_escape_char, text)


def quote(text: str, limit: int | None = QUOTE_LIMIT) -> str:
    """``text`` as a message quotes file content: ``'...'``, escaped and capped."""
    return f"'{escape(text, limit)}'"


def escape_json(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with every unsafe character
    inside its strings written as a ``\\uXXXX`` escape: the same data once parsed, but
    nothing a terminal interprets and nothing (a lone surrogate) UTF-8 cannot encode.

    JSON already escapes the C0 controls inside strings; the tab and line breaks left are
    the document's own indentation and stay as they are.
    """
    return _UNSAFE.sub(lambda m: m[0] if m[0] in _NAMED else f"\\u{ord(m[0]):04x}", text)


def register_secret(secret: str) -> None:
    """Make :func:`scrub` remove ``secret`` from every text from now on (the token of a
    target this process talks to); one shorter than SECRET_MIN_LENGTH only where it
    stands alone."""
    if not secret:
        return
    with _secrets_lock:
        if len(secret) >= SECRET_MIN_LENGTH:
            _secrets.add(secret)
        elif secret not in _short_secrets:
            _short_secrets[secret] = re.compile(
                rf"(?<![{_TOKEN_CHARS}]){re.escape(secret)}(?![{_TOKEN_CHARS}])"
            )


def scrub(text: str) -> str:
    """``text`` with every registered secret and every bearer or authorization value
    replaced by ``***``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _short_secrets.values():
        text = pattern.sub(MASK, text)
    text = _BEARER.sub(rf"\1\2{MASK}", text)
    return _AUTHORIZATION.sub(rf"\1{MASK}", text)


def server_text(text: str, limit: int | None = SERVER_TEXT_LIMIT) -> str:
    """What a server (or a proxy) said, fit for any output: scrubbed, escaped, capped."""
    return escape(scrub(text), limit)
