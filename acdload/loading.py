"""Read a load: manifest files and directories into events in submission order.

A YAML manifest gives defaults, vars, templates, a key and events (inline, then from its
CSV ``source``); a standalone CSV file gives one event per row. Everything wrong is
collected as a problem at its line; nothing here stops at the first mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from acdload.collector import collector_paused
from acdload.csv_manifest import read_standalone_csv
from acdload.errors import UsageProblem
from acdload.model import Event, Manifest
from acdload.problems import Location, Problem, error
from acdload.sources.yaml_source import load_yaml
from acdload.yaml_manifest import read_manifest

MANIFEST_SUFFIXES = (".yaml", ".yml", ".csv")


@dataclass(slots=True)
class Load:
    """Every event of one run, in the order they will be submitted."""

    manifests: list[Manifest] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def discover(paths: list[str]) -> list[tuple[str, Path]]:
    """The manifest files named, directories expanded (sorted, not recursive).

    A CSV file named on its own that a YAML manifest beside it reads as its ``source`` is
    not a manifest: that YAML manifest is loaded in its place (so a pre-commit hook handed
    only the changed CSV checks it the way the load will read it).

    A name that does not exist is a usage error: the command line, not a manifest, is wrong.
    """
    found: list[tuple[str, Path]] = []
    owners: dict[Path, dict[Path, Path]] = {}
    substituted: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            members = sorted(p for p in path.iterdir() if p.suffix.lower() in MANIFEST_SUFFIXES)
            found.extend((str(member), member) for member in members if member.is_file())
        elif path.is_file() and path.suffix.lower() == ".csv":
            owner = _source_owners(path.parent, owners).get(path.resolve())
            if owner is None:
                found.append((given, path))
            else:
                substituted.add(owner.resolve())
                found.append((str(path.parent / owner.name), owner))
        elif path.is_file():
            found.append((given, path))
        else:
            raise UsageProblem(
                f"{given}: no such file or directory",
                hint="name manifest files (.yaml, .yml, .csv) or directories that hold them",
            )
    if not substituted:
        return found
    kept: list[tuple[str, Path]] = []
    seen: set[Path] = set()
    for display, path in found:  # a manifest loaded for its CSV is loaded once
        resolved = path.resolve()
        if resolved in substituted and resolved in seen:
            continue
        seen.add(resolved)
        kept.append((display, path))
    return kept


def _source_owners(directory: Path, cache: dict[Path, dict[Path, Path]]) -> dict[Path, Path]:
    """For ``directory``: each CSV file a YAML manifest there names as ``source``, to it."""
    if directory not in cache:
        owners: dict[Path, Path] = {}
        for member in sorted(directory.iterdir()):
            if member.suffix.lower() not in (".yaml", ".yml") or not member.is_file():
                continue
            try:
                data, _ = load_yaml(member, member.name)
            except OSError:
                continue  # reported when it is loaded, if it is
            source = data.get("source") if isinstance(data, dict) else None
            named = source.get("path") if isinstance(source, dict) else None
            if isinstance(named, str):
                owners.setdefault((directory / named).resolve(), member)
        cache[directory] = owners
    return cache[directory]


def read_load(paths: list[str], phone_region: str | None = None) -> Load:
    """Every file of the load, read with the cyclic collector paused (see ``collector``)."""
    with collector_paused():
        return _read_load(paths, phone_region)


def _read_load(paths: list[str], phone_region: str | None) -> Load:
    """Every manifest named, read in order; ``phone_region`` is ``--phone-region``: where
    national numbers are dialled, for manifests that do not say so themselves."""
    load = Load()
    files = discover(paths)
    yaml_files = [(d, p) for d, p in files if p.suffix.lower() != ".csv"]
    csv_files = [(d, p) for d, p in files if p.suffix.lower() == ".csv"]
    sources_used: set[Path] = set()
    read: dict[Path, list[Event]] = {}
    for display, path in yaml_files:
        try:
            data, problems = load_yaml(path, display)
        except OSError as exc:
            load.problems.append(_unreadable(display, exc))
            continue
        load.problems.extend(problems)
        if data is None and problems:
            continue
        manifest, events, more, source = read_manifest(data, display, path, phone_region)
        load.problems.extend(more)
        if source is not None:
            sources_used.add(source.resolve())
        load.manifests.append(manifest)
        read[path] = events
    for display, path in csv_files:
        if path.resolve() in sources_used:
            continue  # already loaded as some manifest's source
        try:
            manifest, events, problems = read_standalone_csv(display, path, phone_region)
        except OSError as exc:
            load.problems.append(_unreadable(display, exc))
            continue
        load.problems.extend(problems)
        load.manifests.append(manifest)
        read[path] = events
    for _display, path in files:
        for event in read.get(path, []):
            event.index = len(load.events)
            load.events.append(event)
    load.problems.extend(_check_same_key(load.manifests))
    return load


def _unreadable(display: str, exc: OSError) -> Problem:
    return error(Location(display, 1), "io", f"cannot read {display}: {exc.strerror}")


def _check_same_key(manifests: list[Manifest]) -> list[Problem]:
    if not manifests:
        return []
    first = manifests[0]
    problems = []
    for manifest in manifests[1:]:
        if manifest.key != first.key:
            where = manifest.key_location or Location(manifest.display, 1)
            problems.append(
                error(
                    where,
                    "key-mismatch",
                    f"key {list(manifest.key)} differs from {list(first.key)} in {first.display}; "
                    "all manifests of one load must use the same key",
                )
            )
    return problems
