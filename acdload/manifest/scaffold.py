"""``acdload init``: a first manifest for a CRM export, every guess commented.

The manifest reads the export as its ``source``, says how it is written (encoding,
delimiter, appointment patterns, phone region) and maps every column: to what its name
and values say it is, or to ``null`` with a comment saying why not. What no export can
tell (the ACD group, the event type, what the Subject should say) is a ``<fill in: ...>``
placeholder that ``validate`` reports until it is filled.

The export is untrusted: a header may hold YAML syntax, a newline or terminal escapes.
Every name is written as a YAML scalar by the YAML emitter (never pasted into the text),
on one line, double-quoted and escaped when it holds anything unprintable; every comment
is escaped to one line. So the manifest means exactly the mapping, and no header can add
a key or end a comment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from acdload.check.rules.appointments import local_zone
from acdload.errors import UsageProblem
from acdload.manifest.column_guess import Guess, Mapping, guess_columns
from acdload.manifest.export_file import Export, read_export
from acdload.manifest.placeholders import placeholder
from acdload.manifest.sources.confine import ManifestRoot, read_regular
from acdload.outputs import OutputError
from acdload.safetext import escape, quote

_ONE_LINE = 1_000_000_000
"""The emitter's line width: never fold a scalar."""
_SIMPLE_KEY = 128
"""Longer keys are written as explicit ``? key`` entries, as the YAML emitter does."""
EVENT_TYPES = "1 VoiceMail, 2 Fax, 3 Callback, 4 SMS, 5 Email, 6 Ticket"


@dataclass(frozen=True, slots=True)
class Placeholder:
    """A value the user must fill in: its line in the manifest, its key, what it asks."""

    line: int
    where: str
    what: str


@dataclass(frozen=True, slots=True)
class Scaffold:
    """The manifest's text and what was guessed to write it."""

    text: str
    source: str
    """The export's path as the manifest names it, relative to the manifest."""
    export: Export
    mapping: Mapping
    placeholders: list[Placeholder]


def scaffold(export_path: Path, manifest_path: Path, phone_region: str | None) -> Scaffold:
    """The manifest ``manifest_path`` should hold for the export at ``export_path``.

    ``phone_region`` (``--phone-region``) is written when given; otherwise a placeholder
    asks for it if the sample has national numbers.
    """
    source = _source_path(export_path, manifest_path)
    export = read_export(export_path, str(export_path))
    header = export.table.header
    mapping = guess_columns(header, export.sample, phone_region)
    writer = _Writer()
    _write(writer, export, mapping, source, phone_region, manifest_path)
    return Scaffold(
        "".join(f"{line}\n" for line in writer.lines), source, export, mapping, writer.placeholders
    )


def _source_path(export_path: Path, manifest_path: Path) -> str:
    """The export as the manifest names it: relative to the manifest's directory, and
    inside it (a manifest reads files only inside its root)."""
    directory = manifest_path.parent
    relative = os.path.relpath(os.path.abspath(export_path), os.path.abspath(directory))
    root = ManifestRoot.of_manifest(manifest_path, str(manifest_path))
    outside = root.why_outside(directory, relative)
    if outside is not None:
        raise UsageProblem(
            f"{quote(str(manifest_path))} could not read the export: its path from there, "
            f"{quote(relative)}, {outside}",
            hint="write the manifest beside the export or in a directory above it "
            "(-o DIR/NAME.yaml), or move the export there",
        )
    if escape(relative, None) != relative:
        raise UsageProblem(
            f"the export's name {quote(relative)} has control or invisible characters "
            "(shown escaped), which a manifest may not name",
            hint="rename the file and run acdload init again",
        )
    return relative


class _Writer:
    """The manifest's lines, and the placeholders among them."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.placeholders: list[Placeholder] = []

    def comment(self, text: str, indent: int = 0) -> None:
        self.lines.append(f"{' ' * indent}# {escape(text, None)}")

    def entry(
        self,
        indent: int,
        key: str,
        value: str | None,
        comment: str | None = None,
        *,
        quoted: bool = False,
        asks: tuple[str, str] | None = None,
    ) -> None:
        """``key: value`` (value None: ``null``; ``quoted``: in double quotes); ``asks`` =
        (where, what) writes the placeholder asking for ``what`` as the value."""
        if asks is not None:
            value = placeholder(asks[1])
            self.placeholders.append(Placeholder(len(self.lines) + 1, *asks))
        written_key = yaml_scalar(key)
        written = "null" if value is None else yaml_scalar(value, quoted=quoted or asks is not None)
        pad = " " * indent
        if len(written_key) > _SIMPLE_KEY:
            self.lines.append(f"{pad}? {written_key}")
            written_key = ""
        tail = f"  # {escape(comment, None)}" if comment else ""
        self.lines.append(f"{pad}{written_key}: {written}{tail}")

    def section(self, key: str, indent: int = 0) -> None:
        self.lines.append(f"{' ' * indent}{key}:")


def yaml_scalar(text: str, *, quoted: bool = False) -> str:
    """``text`` as one line of YAML that reads back as exactly ``text``.

    The emitter chooses plain or single quotes for printable text; anything else (a line
    break, an escape, a bidirectional override) is double-quoted with every non-ASCII
    character escaped, so the line shows what the text holds.
    """
    printable = escape(text, None) == text
    dumped = yaml.safe_dump(
        text,
        default_style='"' if quoted or not printable else None,
        allow_unicode=printable,
        width=_ONE_LINE,
    )
    return dumped.removesuffix("\n...\n").removesuffix("\n")


def _write(
    writer: _Writer,
    export: Export,
    mapping: Mapping,
    source: str,
    region: str | None,
    manifest_path: Path,
) -> None:
    rows = len(export.table.rows)
    sampled = len(export.sample)
    writer.comment(
        f"A manifest for {source}, written by `acdload init` from its header and "
        + (
            f"its first {sampled} of {rows} rows."
            if sampled < rows
            else f"its {rows} row{'' if rows == 1 else 's'}."
        )
    )
    writer.comment("Each guess says why: check it. Fill in every <fill in: ...>: `acdload validate")
    writer.comment(
        f"{manifest_path.name}` reports each one until it is filled. Every key: docs/manifest.md."
    )
    writer.lines.append("version: 1")
    _write_settings(writer, mapping, region)
    _write_defaults(writer, mapping)
    _write_templates(writer, mapping)
    writer.section("source")
    writer.entry(2, "path", source)
    writer.entry(2, "encoding", export.encoding, f"guessed: {export.encoding_why}")
    delimiter = export.table.delimiter
    writer.entry(2, "delimiter", delimiter, f"guessed: {export.delimiter_why}", quoted=True)
    for guess in mapping.columns:
        if guess.format_key is not None:
            _write_format(writer, guess, guess.format_key)
    writer.section("columns", 2)
    named: set[str] = set()
    for guess in mapping.columns:
        if guess.header and guess.header not in named:  # validate reports the others
            named.add(guess.header)
            writer.entry(4, guess.header, guess.target, guess.why)


def _write_settings(writer: _Writer, mapping: Mapping, region: str | None) -> None:
    if any(guess.format_key for guess in mapping.columns):
        zone = local_zone()
        if isinstance(zone, ZoneInfo):
            writer.entry(
                0,
                "timezone",
                zone.key,
                "this machine's time zone: if the jtel server schedules appointments in "
                "another, write its IANA name (CI machines often run in UTC)",
            )
    forms = mapping.phone_forms
    national = forms["national"]
    numbers = sum(forms.values())
    if region is not None:
        writer.entry(
            0,
            "phone_region",
            region,
            "from --phone-region"
            + (
                f": {national} of {numbers} sample numbers are national (leading 0)"
                if numbers
                else ""
            ),
        )
    elif national:
        hint = mapping.phone_country or "DE"
        writer.entry(
            0,
            "phone_region",
            None,
            f"{national} of {numbers} sample numbers are national (leading 0)"
            + (f"; {hint} reads the most of them as real numbers" if mapping.phone_country else ""),
            asks=("phone_region", f"the country whose national numbers these are, e.g. {hint}"),
        )
    elif numbers:
        writer.comment(
            f"phone_region is not needed: all {numbers} sample numbers have their country code"
        )
    key_comment = "how plan finds each event on the server again"
    if not mapping.gives("UserData"):
        key_comment += "; no column gives UserData: map one that tells events of one Sender apart"
    writer.lines.append(f"key: [AcdEventTypesID, Sender, UserData]  # {key_comment}")


def _write_defaults(writer: _Writer, mapping: Mapping) -> None:
    writer.section("defaults")
    if mapping.gives("AcdEventTypesID"):
        writer.comment("AcdEventTypesID comes from a column", 2)
    else:
        callback = "3 for Callback" if mapping.gives("Sender") else "6 for Ticket"
        writer.entry(
            2,
            "AcdEventTypesID",
            None,
            EVENT_TYPES,
            asks=("defaults.AcdEventTypesID", f"the event type, e.g. {callback}"),
        )
    if mapping.gives("AcdGroupsID") or mapping.gives("AcdConfigurationGroupsID"):
        writer.comment("the ACD group comes from a column", 2)
    else:
        writer.entry(
            2,
            "AcdGroupsID",
            None,
            "or AcdConfigurationGroupsID with AcdAgentGroupsID",
            asks=("defaults.AcdGroupsID", "the ID of the ACD group that receives these events"),
        )


def _write_templates(writer: _Writer, mapping: Mapping) -> None:
    """Placeholders for the text fields no column gives, and a Body from a note column."""
    entries: list[tuple[str, str | None, str, tuple[str, str] | None]] = []
    if not mapping.gives("Sender"):
        email = " such as {{ vars.email }}" if mapping.gives("vars.email") else ""
        asks = ("templates.Sender", f"who each event is from, a template{email}")
        entries.append(("Sender", None, "no column holds phone numbers", asks))
    if not mapping.gives("Subject"):
        asks = ("templates.Subject", f"the Subject template, e.g. Callback {_example(mapping)}")
        why = "a Jinja template: {{ vars.NAME }} is a column mapped to vars.NAME, {{ Sender }} a field"
        entries.append(("Subject", None, why, asks))
    note = mapping.target_of("vars.note")
    if note is not None and not mapping.gives("Body"):
        why = (
            f"the {quote(note.header)} column (an empty cell sends no Body); only Callback "
            "events (type 3) take a Body: remove it for other types"
        )
        entries.append(("Body", "{{ vars.note }}", why, None))
    if entries:
        writer.section("templates")
    for key, value, why, asking in entries:
        writer.entry(2, key, value, why, quoted=True, asks=asking)


def _example(mapping: Mapping) -> str:
    for var in ("name", "last_name", "topic"):
        if mapping.gives(f"vars.{var}"):
            return f"{{{{ vars.{var} }}}}"
    return "{{ UserData }}" if mapping.gives("UserData") else "{{ Sender }}"


def _write_format(writer: _Writer, guess: Guess, key: str) -> None:
    if guess.pattern is not None:
        writer.entry(
            2, key, guess.pattern, f"how the {quote(guess.header)} cells are written", quoted=True
        )
        return
    choices = " or ".join(guess.ambiguous)
    writer.entry(
        2,
        key,
        None,
        f"the {quote(guess.header)} cells: no sample value has a day above 12",
        asks=(f"source.{key}", f"{choices}, whichever the export writes"),
    )


GITIGNORE_LINES = (".acdload/", "report*.json", "report*.html", "report*.csv", "failed*.csv")
"""What a manifests repository keeps out of git: acdload's state (journal, lock, the
emulator's events and token) and the reports, which hold customers' phone numbers."""


GITIGNORE_COMMENT = "# acdload: state and reports (they hold customers' phone numbers)"


def missing_gitignore_lines(existing: str) -> list[str]:
    """The lines of ``GITIGNORE_LINES`` that the ``.gitignore`` text ``existing`` lacks."""
    present = {line.strip() for line in existing.splitlines()}
    return [line for line in GITIGNORE_LINES if line not in present]


def add_to_gitignore(path: Path) -> list[str]:
    """Append the lines of ``GITIGNORE_LINES`` that the ``.gitignore`` at ``path`` lacks
    (creating it); return them. Raises :class:`OutputError` when it cannot be done."""
    try:
        existing = read_regular(path).decode("utf-8", "replace") if path.exists() else ""
        missing = missing_gitignore_lines(existing)
        if missing:
            with path.open("a", encoding="utf-8", newline="\n") as out:
                start = "\n" if existing and not existing.endswith("\n") else ""
                out.write(start + "".join(f"{line}\n" for line in (GITIGNORE_COMMENT, *missing)))
    except OSError as exc:
        raise OutputError(f"cannot add to {path}: {exc.strerror or exc}") from None
    return missing
