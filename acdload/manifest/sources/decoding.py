"""Bytes to text, with a located problem instead of a UnicodeDecodeError.

Both readers decode the whole file first: the YAML and CSV parsers then see text only,
and a wrong encoding is reported once, at the line of the first byte that does not fit,
with the fix the user needs (save as UTF-8, or name the file's encoding).
"""

from __future__ import annotations

import codecs

from acdload.problems import Location, Problem, error
from acdload.safetext import quote

ENCODING_RULE = "encoding"


def decode(
    data: bytes, display: str, encoding: str, advice: str, *, with_column: bool = True
) -> tuple[str | None, list[Problem]]:
    """Decode ``data``; on failure return None and one ``encoding`` problem.

    ``advice`` ends the message (what to do about it differs between YAML and CSV). The
    problem's column is the character column, unless ``with_column`` is false (in a CSV
    file a column means a CSV column, unknown before the text is parsed). A UTF-8 byte
    order mark is dropped whatever the encoding name, since Excel writes one.
    """
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        return None, [_unknown_encoding(display, encoding)]
    name = "utf-8-sig" if codec.name == "utf-8" else codec.name
    try:
        text = data.decode(name)
    except LookupError:  # a codec that is not a text encoding, such as base64
        return None, [_unknown_encoding(display, encoding)]
    except UnicodeDecodeError as exc:
        problem = _undecodable(data, display, codec.name, exc, advice, with_column)
        return None, [problem]
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, []


def _unknown_encoding(display: str, encoding: str) -> Problem:
    return error(
        Location(display, 1),
        ENCODING_RULE,
        f"unknown encoding {quote(encoding)}: use an encoding name such as 'utf-8' or 'cp1252'",
    )


def _undecodable(
    data: bytes,
    display: str,
    codec_name: str,
    exc: UnicodeDecodeError,
    advice: str,
    with_column: bool,
) -> Problem:
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    line = data.count(b"\n", 0, exc.start) + 1
    # Characters, not bytes, before the bad byte: what an editor shows as the column.
    column = len(data[line_start : exc.start].decode(codec_name, "replace")) + 1
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        what = "the file is UTF-16, not UTF-8"
    else:
        what = f"byte 0x{data[exc.start]:02X} is not valid {codec_name}"
    location = Location(display, line, column if with_column else None)
    return error(location, ENCODING_RULE, f"{what}; {advice}")
