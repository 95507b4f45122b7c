"""The emulator's options and its groups file.

Everything a user can get wrong on the command line is checked here, before a socket is
opened, so that the CLI can turn one exception type into a usage error (exit 2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "EmulatorConfig",
    "EmulatorConfigError",
    "GroupsConfig",
    "load_groups",
]

# jtel IDs are database integers; anything larger could never name a real object and
# would overflow SQLite, so the emulator treats it like any other invalid ID.
MAX_ID = 2**31 - 1


class EmulatorConfigError(ValueError):
    """An option value the emulator cannot run with.

    ``option`` names the command-line option at fault (``"--groups"``) or is ``None``
    when several options conflict, so the CLI can point at it.
    """

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.option = option


@dataclass(frozen=True)
class EmulatorConfig:
    """Options of one emulator run; the defaults are those of ``acdload emulator``."""

    host: str = "127.0.0.1"
    port: int = 0
    db: Path | None = None
    client_id: int = 1000
    token: str | None = None
    groups: Path | None = None
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    late_commit_rate: float = 0.0
    late_commit_ms: int = 30_000
    latency_ms: int = 0
    seed: int | None = None
    read_timeout: float = 30.0

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise EmulatorConfigError(f"must be 0..65535, got {self.port}", "--port")
        if not 1 <= self.client_id <= MAX_ID:
            raise EmulatorConfigError(
                f"must be a positive integer, got {self.client_id}", "--client-id"
            )
        if self.token is not None and (
            not self.token or any(ch.isspace() or not ch.isprintable() for ch in self.token)
        ):
            raise EmulatorConfigError(
                "must be a non-empty string without spaces or control characters", "--token"
            )
        rates = {
            "--fail-rate": self.fail_rate,
            "--drop-rate": self.drop_rate,
            "--late-commit-rate": self.late_commit_rate,
        }
        for option, rate in rates.items():
            if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
                raise EmulatorConfigError(f"must be between 0 and 1, got {rate}", option)
        # Each create suffers at most one fault, so the rates share one draw and
        # cannot add up to more than every request.
        if sum(rates.values()) > 1.0 + 1e-9:
            raise EmulatorConfigError(
                "--fail-rate, --drop-rate and --late-commit-rate add up to "
                f"{sum(rates.values()):g}; each create gets at most one fault, so their "
                "sum must be at most 1"
            )
        for option, value in (
            ("--late-commit-ms", self.late_commit_ms),
            ("--latency-ms", self.latency_ms),
        ):
            if value < 0:
                raise EmulatorConfigError(f"must be 0 or more, got {value}", option)
        if not (math.isfinite(self.read_timeout) and self.read_timeout > 0):
            raise EmulatorConfigError(
                f"must be a number of seconds above 0, got {self.read_timeout}", "--read-timeout"
            )


@dataclass(frozen=True)
class GroupsConfig:
    """The ACD groups that exist, per the ``--groups`` file.

    ``groups`` maps each agent group ID to whether it forbids duplicate events;
    ``configuration_groups`` maps each configuration group ID to its primary agent group.
    """

    groups: Mapping[int, bool] = field(default_factory=dict)
    configuration_groups: Mapping[int, int] = field(default_factory=dict)


class _LineDict(dict[Any, Any]):
    """A YAML mapping that remembers its line, so errors can point into the file."""

    line = 0


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

_EXAMPLE = "groups: [{id: 235, no_duplicates: true}, {id: 300}]"


def load_groups(path: Path) -> GroupsConfig:
    """Read a groups file, or raise :class:`EmulatorConfigError` saying where it is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise EmulatorConfigError(f"cannot read {path}: {err}", "--groups") from err
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as err:
        raise EmulatorConfigError(f"{path}: not valid YAML: {err}", "--groups") from err
    return _GroupsReader(path).read(document)


class _GroupsReader:
    """Turns the parsed YAML into a :class:`GroupsConfig`, one clear error at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: _LineDict | None, message: str) -> EmulatorConfigError:
        line = f":{where.line}" if where is not None and where.line else ""
        return EmulatorConfigError(f"{self.path}{line}: {message}", "--groups")

    def mapping(self, value: object, where: _LineDict | None, what: str) -> _LineDict:
        if not isinstance(value, _LineDict):
            raise self.fail(where, f"{what} must be a mapping, e.g. {_EXAMPLE}")
        return value

    def entries(self, document: _LineDict, key: str) -> list[_LineDict]:
        value = document.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(document, f"'{key}' must be a list, e.g. {_EXAMPLE}")
        return [self.mapping(item, document, f"{key}[{i}]") for i, item in enumerate(value)]

    def identifier(self, entry: _LineDict, key: str, what: str) -> int:
        value = entry.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise self.fail(entry, f"{what}.{key} must be a positive integer, got {value!r}")
        return value

    def keys(self, entry: _LineDict, allowed: set[str], what: str) -> None:
        unknown = sorted(str(key) for key in entry if key not in allowed)
        if unknown:
            raise self.fail(
                entry,
                f"{what}: unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(allowed))}",
            )

    def read(self, document: object) -> GroupsConfig:
        top = self.mapping(document, None, "the file")
        self.keys(top, {"groups", "configuration_groups"}, "top level")
        groups: dict[int, bool] = {}
        for i, entry in enumerate(self.entries(top, "groups")):
            what = f"groups[{i}]"
            self.keys(entry, {"id", "no_duplicates"}, what)
            group_id = self.identifier(entry, "id", what)
            no_duplicates = entry.get("no_duplicates", False)
            if not isinstance(no_duplicates, bool):
                raise self.fail(entry, f"{what}.no_duplicates must be true or false")
            if group_id in groups:
                raise self.fail(entry, f"{what}: group {group_id} is listed twice")
            groups[group_id] = no_duplicates
        configuration_groups: dict[int, int] = {}
        for i, entry in enumerate(self.entries(top, "configuration_groups")):
            what = f"configuration_groups[{i}]"
            self.keys(entry, {"id", "agent_group"}, what)
            config_id = self.identifier(entry, "id", what)
            agent_group = self.identifier(entry, "agent_group", what)
            if config_id in configuration_groups:
                raise self.fail(entry, f"{what}: configuration group {config_id} is listed twice")
            if agent_group not in groups:
                raise self.fail(
                    entry,
                    f"{what}.agent_group {agent_group} is not listed under 'groups'; "
                    "add it there so the emulator knows whether it forbids duplicates",
                )
            configuration_groups[config_id] = agent_group
        return GroupsConfig(groups=groups, configuration_groups=configuration_groups)
