"""``acdload init``: write a first manifest for a CRM export, and say what to fill in."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import click

from acdload.cli.app import say
from acdload.cli.options import PhoneRegion, verbosity_options
from acdload.errors import UsageProblem
from acdload.manifest.scaffold import (
    GITIGNORE_LINES,
    Scaffold,
    add_to_gitignore,
    scaffold,
)
from acdload.outputs import OutputError, check_output_paths
from acdload.safetext import escape, quote

SHOWN_PROBLEMS = 5
"""Problems of the export itself listed (validate lists them all)."""


def _check_output(output: Path, export: Path, force: bool) -> None:
    """Refuse, before reading the export, a manifest path that must not be written."""
    if output.exists() and os.path.samefile(output, export):
        raise UsageProblem(
            f"-o {escape(str(output), None)} is the export itself",
            hint="give the manifest its own name, e.g. -o manifest.yaml",
        )
    if output.exists() and not force:
        raise UsageProblem(
            f"{escape(str(output), None)} exists; nothing was written",
            hint="pass --force to overwrite it, or -o NAME.yaml to write another file",
        )
    if output.exists() and not output.is_file():
        raise UsageProblem(
            f"{escape(str(output), None)} exists and is not a regular file",
            hint="give the name of the manifest to write with -o NAME.yaml",
        )
    check_output_paths({"-o": output})


def _write(output: Path, text: str, force: bool) -> None:
    """Write the manifest; without ``force`` never over a file (made meanwhile)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(output, flags, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except FileExistsError:
        raise UsageProblem(
            f"{escape(str(output), None)} exists; nothing was written",
            hint="pass --force to overwrite it",
        ) from None
    except OSError as exc:
        raise OutputError(f"cannot write {escape(str(output), None)}: {exc.strerror}") from None


@click.command("init")
@click.argument(
    "export",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="EXPORT.csv",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE.yaml",
    help="Write the manifest to FILE.yaml, beside the export or in a directory above it "
    "(default: the export's name with .yaml).",
)
@click.option(
    "--phone-region",
    type=PhoneRegion(),
    default=None,
    metavar="CC",
    help="The country (ISO 3166 code, e.g. DE) national numbers (0170 1234567) are dialled "
    "in; without it, a placeholder asks for it when the export has national numbers.",
)
@click.option("--force", is_flag=True, help="Overwrite FILE.yaml if it exists.")
@click.option(
    "--gitignore",
    "gitignore",
    is_flag=True,
    help="Add the lines that keep acdload's state and reports out of git to the "
    ".gitignore beside the manifest (those it lacks).",
)
@verbosity_options(
    quiet="Print errors only.",
    verbose="Also print why each column was mapped as it was.",
)
def init_command(
    export: Path,
    output: Path | None,
    phone_region: str | None,
    force: bool,
    gitignore: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Write a first manifest for a CRM or spreadsheet export: it reads EXPORT.csv as its
    source, with the encoding, delimiter, date and time patterns and phone form guessed
    from the file's values, and every column mapped by its name (German or English) where
    its values agree, or to null. Each guess is commented in the manifest.

    What an export cannot tell (the ACD group, the event type, the Subject) is left as a
    "<fill in: ...>" placeholder that `acdload validate` reports until it is filled. The
    manifest quotes no cell of the export: it holds column names and patterns only.

    Exit 0 manifest written, 1 the export cannot be read as CSV (binary, UTF-16, empty)
    or the manifest could not be written, 2 usage (FILE.yaml exists without --force, a
    manifest that could not read the export from where it would be, not a regular file).

    \b
    Example:
      acdload init crm-export.csv --phone-region DE
      acdload validate crm-export.yaml
    """
    output = output if output is not None else export.with_suffix(".yaml")
    _check_output(output, export, force)
    result = scaffold(export, output, phone_region)
    _write(output, result.text, force)
    added = add_to_gitignore(output.parent / ".gitignore") if gitignore else None
    if not quiet:
        say(_summary(result, output, verbose))
        say(_gitignore_advice(output, added))


def _summary(result: Scaffold, output: Path, verbose: bool) -> str:
    export = result.export
    rows = len(export.table.rows)
    lines = [
        f"wrote {output}: a manifest for {result.source} "
        f"({rows} row{'' if rows == 1 else 's'}, {len(export.sample)} looked at)",
        f"  encoding: {export.encoding}: {export.encoding_why}",
        f"  delimiter: {export.delimiter_why}",
    ]
    for guess in result.mapping.columns:
        line = f"  {quote(guess.header)} -> {guess.target or 'null'}"
        if guess.pattern is not None:
            line += f" ({guess.format_key} {guess.pattern!r})"
        lines.append(f"{line}: {guess.why}" if verbose else line)
    forms = result.mapping.phone_forms
    if forms:
        lines.append(
            "  phone numbers: " + ", ".join(f"{n} {form}" for form, n in forms.most_common())
        )
    if result.placeholders:
        lines.append("fill in (acdload validate reports each one until it is filled):")
        lines += [f"  {output}:{p.line}: {p.where}: {p.what}" for p in result.placeholders]
    if export.problems:
        lines.append("the export itself has problems validate will report, e.g.:")
        lines += [
            f"  {problem.location}: {problem.message}"
            for problem in export.problems[:SHOWN_PROBLEMS]
        ]
    shown = shlex.quote(str(output))
    lines += [
        "next:",
        f"  1. fill in the placeholders and check each guess in {output}",
        f"  2. acdload validate {shown}",
        f"  3. acdload plan {shown} --emulator  (the events it would create, on the bundled emulator)",
    ]
    return "\n".join(lines)


def _gitignore_advice(output: Path, added: list[str] | None) -> str:
    """The .gitignore lines: what was added with --gitignore, else what to add."""
    where = output.parent / ".gitignore"
    if added is None:
        return "\n".join(
            [
                "keep acdload's state and reports out of git (they hold phone numbers); "
                f"add to {where} (or pass --gitignore):",
                *(f"  {line}" for line in GITIGNORE_LINES),
            ]
        )
    if not added:
        return f"{where} already keeps acdload's state and reports out of git"
    return f"added to {where}: {' '.join(added)}"
