"""Opening a target: a client for a server, the embedded emulator, or nothing (offline)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from os import PathLike

from acdload.callbacks import Warn, log_warning
from acdload.target.client import JtelClient, is_plain_http_to_remote
from acdload.target.resolve import Target


def tls_verify(ca_bundle: str | PathLike[str] | None) -> bool | str:
    """What the client verifies TLS with: the system's CAs, or a CA bundle file."""
    return str(ca_bundle) if ca_bundle else True


@contextlib.contextmanager
def open_client(
    target: Target | None,
    *,
    timeout: float = 30.0,
    verify: bool | str = True,
    on_warning: Warn = log_warning,
) -> Iterator[JtelClient | None]:
    """A client for ``target`` (None when offline), closed on exit.

    For the emulator, it runs for the duration of the block. A token about to cross a
    network unencrypted (``http://`` to a host other than this one) is warned about.
    ``timeout`` and ``verify`` (True, or a CA bundle path) go to the client.
    """
    if target is None or target.kind == "offline":
        yield None
    elif target.kind == "emulator":
        from acdload.target.embedded import embedded_emulator

        assert target.state_dir is not None  # Target.emulator sets it
        with embedded_emulator(target.state_dir, timeout) as client:
            yield client
    else:
        assert target.base_url is not None and target.token is not None
        if is_plain_http_to_remote(target.base_url):
            on_warning(
                f"the token will be sent unencrypted over plain http:// to {target.base_url}; "
                "use https:// for a server that is not on this machine"
            )
        with JtelClient(target.base_url, target.token, timeout=timeout, verify=verify) as client:
            yield client
