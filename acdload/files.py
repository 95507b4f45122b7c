"""Files acdload writes hold phone numbers and names: they are created owner-only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO


def open_private(path: Path | str, append: bool = False) -> TextIO:
    """Open for writing text, the file created (or narrowed) to mode 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "a" if append else "w", encoding="utf-8", newline="")


def write_private(path: Path | str, text: str) -> None:
    with open_private(path) as handle:
        handle.write(text)
