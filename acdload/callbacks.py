"""How the library tells its caller things: callbacks, and the ``acdload`` logger by default.

Below the command line nothing prints. A warning (a token about to cross a network
unencrypted, a damaged journal line) goes to the ``warn`` callback a caller passes; when
none is passed it goes to the ``acdload`` logger, which has only a ``NullHandler`` of its
own: silent until the application configures logging (as Airflow and Prefect do), never
lost when it has. Every message is scrubbed of credentials first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from acdload.safetext import scrub

Warn = Callable[[str], None]

logger = logging.getLogger("acdload")
logger.addHandler(logging.NullHandler())


def log_warning(message: str) -> None:
    """The default ``warn``: a WARNING record of the ``acdload`` logger."""
    logger.warning("%s", scrub(message))
