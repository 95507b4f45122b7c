"""Which server a plan or apply talks to, and with which token.

Precedence: explicit flags (``--base-url``, ``--target``, ``--emulator``, ``--offline``),
then environment variables (``ACDLOAD_BASE_URL``, ``ACDLOAD_TARGET``), then the config
file's ``default_target`` (``acdload.target.config``). The token never comes from a manifest or a
plain flag value (it would show in process lists and shell history): ``--token-file``,
else the variable a configured target names in ``token_env``, else ``ACDLOAD_TOKEN``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

from acdload.errors import UsageProblem
from acdload.safetext import register_secret
from acdload.target.base_url import check_base_url
from acdload.target.config import CONFIG_FILE, Config, NamedTarget, load_config

BASE_URL_ENV = "ACDLOAD_BASE_URL"
TOKEN_ENV = "ACDLOAD_TOKEN"
TARGET_ENV = "ACDLOAD_TARGET"
STATE_DIR = Path(".acdload")


@dataclass(frozen=True, slots=True)
class Target:
    """Where plan and apply send their requests: a jtel server, or the embedded emulator.

    ``Target(base_url, token)`` names a server; :meth:`from_env` finds one as the command
    line does (``ACDLOAD_BASE_URL``, ``ACDLOAD_TARGET``, ``acdload.toml``);
    :meth:`emulator` is the bundled emulator, run in this process while it is used.
    Every way in checks the base URL and the token the same way (a URL with
    ``user:password@`` is refused, never echoed), and the token is registered with the
    scrubber at once, so no message, report or repr shows it from then on.
    """

    base_url: str | None = None
    token: str | None = field(default=None, repr=False)
    _: KW_ONLY
    kind: str = "url"  # "url" | "emulator" | "offline" (the command line's --offline)
    state_dir: Path | None = None  # the emulator's events and token
    name: str | None = None  # the config's name for it, when chosen by name

    def __post_init__(self) -> None:
        if self.kind == "url":
            self._check_server()
        elif self.kind == "emulator" and self.state_dir is not None:
            object.__setattr__(self, "state_dir", Path(self.state_dir))
        elif self.kind != "offline":
            raise UsageProblem(
                f"Target kind {self.kind!r}: give Target(base_url, token), "
                "Target.from_env() or Target.emulator()"
            )

    def _check_server(self) -> None:
        token = self.token or ""
        register_secret(token)
        if not isinstance(self.base_url, str) or not self.base_url:
            raise UsageProblem(
                "a target needs the jtel base URL: Target(base_url, token)",
                hint="https://HOST:PORT/rest/v1.0/CLIENTSID (the client account ID last)",
            )
        object.__setattr__(self, "base_url", check_base_url(self.base_url))
        if not token.isprintable():
            raise UsageProblem(
                "the token contains control characters (a stray newline or tab?)",
                hint="store the token alone, on one line, in the variable or --token-file",
            )
        if not token:
            raise UsageProblem(
                f"no token for {self.base_url}",
                hint="pass it as Target(base_url, token), or use Target.from_env() with "
                f"{TOKEN_ENV} set",
            )

    @classmethod
    def from_env(
        cls, name: str | None = None, *, environ: Mapping[str, str] | None = None
    ) -> Target:
        """The target the command line would use given no target flag (or ``--target
        NAME``): ``ACDLOAD_BASE_URL`` with ``ACDLOAD_TOKEN``, else ``ACDLOAD_TARGET``, else
        the ``default_target`` of ``acdload.toml`` in the working directory; a usage
        error (exit 2) when nothing names one."""
        return resolve_target(
            base_url=None,
            emulator=False,
            offline=False,
            token_file=None,
            target=name,
            environ=environ,
        )

    @classmethod
    def emulator(cls, state_dir: str | os.PathLike[str] = STATE_DIR) -> Target:
        """The bundled emulator, its events and token kept in ``state_dir`` (created 0700)."""
        return cls(kind="emulator", state_dir=Path(state_dir))

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
    target: str | None = None,
    environ: Mapping[str, str] | None = None,
    config: Callable[[], Config] | None = None,
) -> Target:
    """The target the flags, then the environment, then the config file name.

    ``config`` is called only when a target must come from the config file (``--target``,
    ``ACDLOAD_TARGET`` or nothing else named one), so a broken config never stops a run
    that does not use it.
    """
    env = os.environ if environ is None else environ
    chosen = [
        flag
        for flag, on in (
            ("--base-url", base_url),
            ("--target", target),
            ("--emulator", emulator),
            ("--offline", offline),
        )
        if on
    ]
    if len(chosen) > 1:
        raise UsageProblem(f"{' and '.join(chosen)} cannot be used together; choose one target")
    if offline:
        return Target(kind="offline")
    if emulator:
        return Target.emulator()
    read_config = config if config is not None else lambda: load_config(Path.cwd())
    named: NamedTarget | None = None
    url = base_url
    if url is None and target is not None:
        named = read_config().target(target)
    elif url is None:
        if env.get(BASE_URL_ENV) and env.get(TARGET_ENV):
            raise UsageProblem(
                f"{BASE_URL_ENV} and {TARGET_ENV} are both set; choose one target",
                hint="unset one of them, or give --base-url or --target, which win over both",
            )
        url = env.get(BASE_URL_ENV) or None
        if url is None and env.get(TARGET_ENV):
            named = read_config().target(env[TARGET_ENV].strip(), given_as=TARGET_ENV)
        elif url is None:
            settings = read_config()
            if settings.default_target is not None:
                named = settings.target(settings.default_target)
            elif settings.targets:
                raise UsageProblem(
                    "no target: nothing says which jtel server to use",
                    hint=f"give --target NAME (configured in {settings.source}: "
                    f"{', '.join(sorted(settings.targets))}), --base-url URL, --emulator "
                    "or --offline",
                )
    if named is not None:
        url = named.base_url
    if not url:
        raise UsageProblem(
            "no target: nothing says which jtel server to use",
            hint=f"give --base-url URL (or set {BASE_URL_ENV}), --target NAME for a target of "
            f"{CONFIG_FILE}, --emulator for the bundled emulator, or --offline to plan without "
            "a server",
        )
    if named is not None:
        given_as = f"the base_url of target {named.name}"
    else:
        given_as = "--base-url" if base_url else BASE_URL_ENV
    url = check_base_url(url, given_as)
    # A target's own variable, never ACDLOAD_TOKEN, when it names one: a token meant for
    # one server must not be sent to another because it happens to be in the environment.
    token_env = named.token_env if named is not None and named.token_env else TOKEN_ENV
    token = read_token_file(token_file) if token_file else env.get(token_env, "").strip()
    if not token:
        raise UsageProblem(
            f"no token for {url}",
            hint=f"set {token_env}, or pass --token-file FILE (never the token itself on the "
            "command line)",
        )
    return Target(url, token, name=named.name if named else None)
