"""Which server a plan or apply talks to, and with which token.

Precedence: explicit flags, then environment variables, then the config file. The token
never comes from a manifest or a plain flag value (it would show in process lists and
shell history): only ``ACDLOAD_TOKEN``, ``--token-file`` or a target's ``token_env``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from acdload.client import check_base_url
from acdload.errors import UsageProblem

BASE_URL_ENV = "ACDLOAD_BASE_URL"
TOKEN_ENV = "ACDLOAD_TOKEN"
STATE_DIR = Path(".acdload")


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved target. ``offline`` has no server; ``emulator`` is the embedded one."""

    kind: str  # "url" | "emulator" | "offline"
    base_url: str | None = None
    token: str | None = None
    state_dir: Path | None = None

    @property
    def label(self) -> str | None:
        """How plans and reports name the target (never with the token)."""
        if self.kind == "emulator" and self.state_dir is not None:
            return f"emulator:{self.state_dir.resolve()}"
        return self.base_url


def read_token_file(path: str) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageProblem(f"cannot read --token-file {path}: {exc.strerror}") from None
    if not token:
        raise UsageProblem(f"--token-file {path} is empty")
    return token


def resolve_target(
    *,
    base_url: str | None,
    emulator: bool,
    offline: bool,
    token_file: str | None,
    environ: Mapping[str, str] | None = None,
    configured_url: str | None = None,
    configured_token_env: str | None = None,
) -> Target:
    env = os.environ if environ is None else environ
    chosen = [
        flag
        for flag, on in (("--base-url", base_url), ("--emulator", emulator), ("--offline", offline))
        if on
    ]
    if len(chosen) > 1:
        raise UsageProblem(f"{' and '.join(chosen)} cannot be used together; choose one target")
    if offline:
        return Target("offline")
    if emulator:
        return Target("emulator", state_dir=STATE_DIR)
    url = base_url or env.get(BASE_URL_ENV) or configured_url
    if not url:
        raise UsageProblem(
            "no target: nothing says which jtel server to use",
            hint=f"give --base-url URL (or set {BASE_URL_ENV}), --emulator for the bundled "
            "emulator, or --offline to plan without a server",
        )
    url = check_base_url(url)
    token = None
    if token_file:
        token = read_token_file(token_file)
    elif env.get(TOKEN_ENV):
        token = env[TOKEN_ENV].strip()
    elif configured_token_env and env.get(configured_token_env):
        token = env[configured_token_env].strip()
    if token and not token.isprintable():
        raise UsageProblem(
            "the token contains control characters (a stray newline or tab?)",
            hint="store the token alone, on one line, in the variable or --token-file",
        )
    if not token:
        names = TOKEN_ENV + (f" or {configured_token_env}" if configured_token_env else "")
        raise UsageProblem(
            f"no token for {url}",
            hint=f"set {names}, or pass --token-file FILE (never the token itself on the command line)",
        )
    return Target("url", base_url=url, token=token)
