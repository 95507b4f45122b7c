"""The Body of a server record: the text inside the ``<body>`` of its ``EventData`` XML.

The server does not echo the Body it was sent; it keeps it inside ``EventData``, escaped as
XML, next to the URLs and the agents' comments. Plan compares it with the manifest's
Body, so it is cut out here for every matched record.
"""

from __future__ import annotations

import re

_BODY = re.compile(r"<body\b[^>]*?(?:/>|>(.*?)</body\s*>)", re.DOTALL)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_NUMERIC = re.compile(r"&#(?:([0-9]+)|[xX]([0-9a-fA-F]+));")


def _numeric(match: re.Match[str]) -> str:
    decimal, hexadecimal = match.groups()
    try:
        return chr(int(decimal) if decimal is not None else int(hexadecimal, 16))
    except (ValueError, OverflowError):
        return match.group(0)


def _xml_unescape(text: str) -> str:
    if "<![CDATA[" in text:
        parts = _CDATA.split(text)  # even indexes: escaped text; odd: CDATA contents
        return "".join(p if i % 2 else _xml_unescape(p) for i, p in enumerate(parts))
    if "&" not in text:
        return text
    if "&#" in text:
        text = _NUMERIC.sub(_numeric, text)
    # "&amp;" last, so that "&amp;lt;" becomes "&lt;" and not "<".
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    return text.replace("&apos;", "'").replace("&amp;", "&")


def body_of(event_data: object) -> str | None:
    """The Body text inside a record's ``EventData`` XML, or None when it cannot be found.

    String search, not an XML parser: an XML parser normalises line ends, turning the
    ``\\r\\n`` the seed's example Body is written with into ``\\n``, and every such event
    would look drifted. It is also a fraction of the cost of a parse, paid per record.
    """
    if not isinstance(event_data, str):
        return None
    start = event_data.find("<body")
    if start < 0:
        return None
    opened = event_data.find(">", start)
    if opened < 0 or event_data[start + 5] not in " \t\r\n>/":
        return _body_by_pattern(event_data)
    if event_data[opened - 1] == "/":
        return ""  # <body html="true"/>
    end = event_data.find("</body>", opened)
    if end < 0:
        return _body_by_pattern(event_data)
    return _xml_unescape(event_data[opened + 1 : end])


def _body_by_pattern(event_data: str) -> str | None:
    """The slow path for unusual markup (``<bodyx>`` before the body, ``</body >``)."""
    match = _BODY.search(event_data)
    if match is None:
        return None
    return _xml_unescape(match.group(1) or "")
