"""Debian's chromium, driven by playwright: the one browser the suite and the docs use.

Playwright is pointed at ``/usr/bin/chromium`` and never downloads a browser of its own.
Where chromium (or playwright) is missing, :func:`missing` says how to install it: the
browser tests fail with that message in CI (``CI`` set) and skip with it elsewhere.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL = "apt-get update && apt-get install -y chromium (and pip install -e '.[test]')"


def missing() -> str | None:
    """Why the browser cannot run here, with how to fix it; None when it can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed: {INSTALL}"
    if importlib.util.find_spec("playwright") is None:
        return f"playwright is not installed: {INSTALL}"
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless chromium, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
