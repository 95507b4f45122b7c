"""Read a load: manifest files and directories into events in submission order.

A YAML manifest gives defaults, vars, templates, a key and events (inline, then from its
CSV ``source``); a standalone CSV file gives one event per row. Everything wrong is
collected as a problem at its line; nothing here stops at the first mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from acdload.errors import UsageProblem
from acdload.gc_pause import collector_paused
from acdload.manifest.csv_manifest import read_standalone_csv
from acdload.manifest.model import Event, Manifest
from acdload.manifest.sources.confine import ManifestRoot
from acdload.manifest.sources.yaml_source import load_yaml
from acdload.manifest.yaml_manifest import read_manifest
from acdload.problems import Location, Problem, error

MANIFEST_SUFFIXES = (".yaml", ".yml", ".csv")
ROOT_HINT = "pass --root DIR (or set root in acdload.toml) naming a directory that holds them"


@dataclass(slots=True)
class Load:
    """Every event of one run, in the order they will be submitted."""

    manifests: list[Manifest] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def discover(paths: list[str], root: Path | None = None) -> list[tuple[str, Path]]:
    """The manifest files named, directories expanded (sorted, not recursive).

    A CSV file named on its own that a YAML manifest beside it reads as its ``source`` is
    not a manifest: that YAML manifest is loaded in its place (so a pre-commit hook handed
    only the changed CSV checks it the way the load will read it).

    A name that does not exist, a directory that holds no manifest (a CI job pointed at
    the wrong folder must fail, not pass with nothing checked) and, with a ``root``, a
    name outside it are usage errors: the command line, not a manifest, is wrong. A
    directory's files are confined like the files a manifest names: to ``root``, or else
    to the directory itself, so a symlink added beside the manifests reads nothing else.
    """
    confined = None if root is None else ManifestRoot.given(root)
    found: list[tuple[str, Path]] = []
    owners: dict[Path, dict[Path, Path]] = {}
    substituted: set[Path] = set()
    for given in paths:
        path = Path(given)
        if confined is not None and path.exists() and not confined.holds(path):
            raise UsageProblem(
                f"{given} is outside the manifest root {confined.label}",
                hint=f"name manifests inside {confined.label}, or {ROOT_HINT}",
            )
        if path.is_dir():
            found.extend(_members(given, path, confined))
        elif path.exists() and path.suffix.lower() == ".csv":
            owner = _source_owners(path.parent, owners, confined).get(path.resolve())
            if owner is None:
                found.append((given, path))
            else:
                substituted.add(owner.resolve())
                found.append((str(path.parent / owner.name), owner))
        elif path.exists():
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


def _members(given: str, directory: Path, root: ManifestRoot | None) -> list[tuple[str, Path]]:
    """The manifest files of ``directory``; a usage error when there is none, or when one
    leads outside the root (``root``, else the directory)."""
    inside = root or ManifestRoot.given(directory)
    members = sorted(
        p
        for p in directory.iterdir()
        if p.suffix.lower() in MANIFEST_SUFFIXES and p.exists() and not p.is_dir()
    )
    if not members:
        raise UsageProblem(
            f"no manifests in {given}: it holds no .yaml, .yml or .csv file",
            hint="name the directory that holds the manifests, or the manifest files themselves",
        )
    for member in members:
        if not inside.holds(member):
            raise UsageProblem(
                f"{member} is a symbolic link that leads outside the manifest root "
                f"{inside.label}; it was not read",
                hint=f"replace the link by the file itself, or {ROOT_HINT}",
            )
    return [(str(member), member) for member in members]


def _source_owners(
    directory: Path, cache: dict[Path, dict[Path, Path]], root: ManifestRoot | None
) -> dict[Path, Path]:
    """For ``directory``: each CSV file a YAML manifest there names as ``source``, to it.

    Only manifests inside the root are read (``root``, else the directory).
    """
    if directory not in cache:
        inside = root or ManifestRoot.given(directory)
        owners: dict[Path, Path] = {}
        for member in sorted(directory.iterdir()):
            if member.suffix.lower() not in (".yaml", ".yml") or not member.is_file():
                continue
            if not inside.holds(member):
                continue  # refused when it is loaded, if it is
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


def read_load(paths: list[str], phone_region: str | None = None, root: Path | None = None) -> Load:
    """Every file of the load, read with the cyclic collector paused (see ``collector``).

    ``phone_region`` is ``--phone-region``: where national numbers are dialled, for
    manifests that do not say so themselves. ``root`` is the manifest root of the whole
    load (``--root``): the files named and every file a manifest names must be inside it;
    without it, each manifest reads only inside its own directory.
    """
    with collector_paused():
        return _read_load(paths, phone_region, root)


def _read_load(paths: list[str], phone_region: str | None, root: Path | None) -> Load:
    load = Load()
    files = discover(paths, root)
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
        manifest, events, more, source = read_manifest(data, display, path, phone_region, root)
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
