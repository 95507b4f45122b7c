"""The project's config file: named targets for ``plan`` and ``apply``, and the manifest root.

Read from ``acdload.toml`` in the working directory, or else from the ``[tool.acdload]``
table of ``pyproject.toml`` there (never both: ``acdload.toml`` wins, as ``ruff.toml``
wins over ``pyproject.toml`` for ruff). It names servers and the environment variable
that holds each one's token; it never holds a token itself::

    default_target = "staging"          # optional: used when nothing else names a target
    root = "."                          # optional: manifests read files only inside it

    [targets.staging]
    base_url = "https://jtel-staging.example.com/rest/v1.0/1000"
    token_env = "STAGING_JTEL_TOKEN"    # optional: else ACDLOAD_TOKEN

Every mistake (an unknown key, a value of the wrong type, a default that names no
target) is a usage error naming the file, the table and, for a misspelt key, the key
that was probably meant.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acdload.errors import UsageProblem
from acdload.manifest.model import suggest
from acdload.manifest.sources.confine import read_regular
from acdload.safetext import quote
from acdload.target.base_url import CREDENTIALS_HINT, has_credentials

CONFIG_FILE = "acdload.toml"
PYPROJECT_FILE = "pyproject.toml"

TOP_KEYS = ("default_target", "root", "targets")
TARGET_KEYS = ("base_url", "token_env")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class NamedTarget:
    name: str
    base_url: str
    token_env: str | None = None


@dataclass(frozen=True, slots=True)
class Config:
    """What the config file says; empty when there is none."""

    source: str | None = None  # "acdload.toml" or "pyproject.toml [tool.acdload]"
    targets: Mapping[str, NamedTarget] = field(default_factory=dict)
    default_target: str | None = None
    root: Path | None = None
    """The manifest root (``root``), relative to the config file's directory: the files a
    load names, and every file its manifests name, must be inside it."""

    def target(self, name: str, given_as: str = "--target") -> NamedTarget:
        """The target called ``name``; a usage error listing the known ones otherwise."""
        found = self.targets.get(name)
        if found is not None:
            return found
        if not self.targets:
            where = self.source or f"{CONFIG_FILE} (there is none in this directory)"
            raise UsageProblem(
                f"{given_as} {name}: no targets are configured in {where}",
                hint=f"name targets in {CONFIG_FILE} as [targets.{name}] with base_url "
                "and token_env (see docs/targets.md)",
            )
        known = ", ".join(sorted(self.targets))
        raise UsageProblem(
            f"{given_as} {name}: unknown target{suggest(name, self.targets)}",
            hint=f"the targets in {self.source} are: {known}",
        )


def load_config(directory: Path) -> Config:
    """The config of ``directory``: its ``acdload.toml``, else its ``pyproject.toml``."""
    own = directory / CONFIG_FILE
    if own.is_file():
        return parse_config(_read_toml(own), CONFIG_FILE, "", directory)
    pyproject = directory / PYPROJECT_FILE
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {})
        section = table.get("acdload") if isinstance(table, dict) else None
        if section is not None:
            source = f"{PYPROJECT_FILE} [tool.acdload]"
            return parse_config(
                _table(section, source, "tool.acdload"), source, "tool.acdload.", directory
            )
    return Config()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_regular(path).decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageProblem(f"{path.name}: not UTF-8; save it as UTF-8 (TOML files are)") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageProblem(f"{path.name}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise UsageProblem(f"cannot read {path.name}: {exc.strerror}") from None


def _table(value: Any, source: str, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageProblem(f"{source}: [{name}] must be a table, not {type(value).__name__}")
    return value


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], source: str, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise UsageProblem(
                f"{source}: unknown key {quote(key)} in {where}{suggest(key, allowed)}",
                hint=f"the keys allowed there are: {', '.join(allowed)}",
            )


def _text(table: dict[str, Any], key: str, source: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise UsageProblem(f"{source}: {key} in {where} must be a non-empty string")
    return value.strip()


def parse_config(
    data: dict[str, Any], source: str, prefix: str, directory: Path | None = None
) -> Config:
    """Check and convert the parsed TOML; ``prefix`` is how table names are shown and
    ``directory`` the config file's (a relative ``root`` is relative to it)."""
    top = f"[{prefix.rstrip('.')}]" if prefix else "the top level"
    _check_keys(data, TOP_KEYS, source, top)
    targets: dict[str, NamedTarget] = {}
    for name, value in _table(data.get("targets", {}), source, f"{prefix}targets").items():
        where = f"[{prefix}targets.{name}]"
        table = _table(value, source, f"{prefix}targets.{name}")
        _check_keys(table, TARGET_KEYS, source, where)
        base_url = _text(table, "base_url", source, where)
        if base_url is None:
            raise UsageProblem(f"{source}: {where} needs a base_url")
        if has_credentials(base_url):
            raise UsageProblem(
                f"{source}: base_url in {where} contains a user name or password",
                hint=CREDENTIALS_HINT,
            )
        token_env = _text(table, "token_env", source, where)
        if token_env is not None and not _ENV_NAME.fullmatch(token_env):
            raise UsageProblem(
                f"{source}: token_env in {where} is not the name of an environment variable",
                hint="token_env names the variable that holds the token "
                '(token_env = "STAGING_JTEL_TOKEN"); never write the token itself in a file',
            )
        targets[name] = NamedTarget(name, base_url, token_env)
    default = _text(data, "default_target", source, top)
    config = Config(source, targets, default, _root(data, source, top, directory))
    if default is not None:
        config.target(default, given_as=f"{source}: default_target")
    return config


def _root(data: dict[str, Any], source: str, where: str, directory: Path | None) -> Path | None:
    written = _text(data, "root", source, where)
    if written is None:
        return None
    root = Path(written) if directory is None else directory / written
    if not root.is_dir():
        raise UsageProblem(
            f"{source}: root {quote(written)} in {where} is not a directory",
            hint="root names the directory manifests may read in, relative to the config "
            'file (root = "." for the repository the config file is in)',
        )
    return root
