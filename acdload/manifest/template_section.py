"""The ``templates`` section of a YAML manifest: compiled once, ordered by what they use.

A template may use a field another template renders, so templates are kept in the order
that lets each see the values it needs. Syntax errors point at the file line where they are.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, TemplateSyntaxError, meta

from acdload.check.render import template_environment
from acdload.check.schema import event_fields
from acdload.manifest.model import Manifest, TemplateSpec, describe, suggest
from acdload.manifest.reader import ManifestReader
from acdload.manifest.sources import YList, YMap
from acdload.manifest.sources.confine import read_regular
from acdload.problems import Location, error
from acdload.safetext import escape, quote


def read_templates(reader: ManifestReader, templates: YMap, manifest: Manifest) -> None:
    texts = event_fields().texts
    environment = template_environment()
    uses: dict[str, set[str]] = {}
    for name, raw in templates.items():
        mark = templates.value_marks.get(name)
        if name not in texts:
            hint = (
                "; templates render text: set it in defaults or per event"
                if name in event_fields().order
                else suggest(name, sorted(texts))
            )
            reader.fail(
                templates.key_marks.get(name), "unknown-key", f"no template for {quote(name)}{hint}"
            )
            continue
        if raw is None or isinstance(raw, YMap | YList):
            reader.fail(
                mark, "template", f"the template for {name} must be text, not {describe(raw)}", name
            )
            continue
        location = reader.at(mark)
        try:
            parsed = environment.parse(str(raw))
            uses[name] = meta.find_undeclared_variables(parsed)
            compiled = environment.from_string(parsed)
        except TemplateSyntaxError as exc:
            line, column = _template_error_mark(reader.path, mark, exc, environment)
            reader.problems.append(
                error(
                    Location(reader.display, line, column),
                    "template-syntax",
                    f"template for {name}: {escape(str(exc.message), None)}",
                    name,
                )
            )
            compiled = None
            manifest.unread.add(name)  # events without their own value are not told again
        except RecursionError:
            # Jinja's parser and compiler recurse once per bracket, block or operator.
            reader.problems.append(
                error(
                    location,
                    "template-limit",
                    f"template for {name}: it nests too deeply to compile; "
                    "write it with fewer nested brackets, blocks or operators",
                    name,
                )
            )
            compiled = None
            manifest.unread.add(name)
        manifest.templates[name] = TemplateSpec(
            name, str(raw), location, compiled, frozenset(uses.get(name, ()))
        )
    manifest.templates = _in_use_order(manifest.templates, uses)


def _in_use_order(
    templates: dict[str, TemplateSpec], uses: dict[str, set[str]]
) -> dict[str, TemplateSpec]:
    """Templates ordered so that one using another templated field renders after it."""
    ordered: dict[str, TemplateSpec] = {}

    def place(name: str, using: frozenset[str]) -> None:
        if name in ordered or name in using:
            return  # placed already, or a cycle: it sees the other's value before its template
        for used in sorted(uses.get(name, set()) & templates.keys()):
            place(used, using | {name})
        ordered[name] = templates[name]

    for name in templates:
        place(name, frozenset())
    return ordered


def _template_error_mark(
    path: Path, mark: tuple[int, int] | None, exc: TemplateSyntaxError, environment: Environment
) -> tuple[int, int | None]:
    """Where in the file a template's syntax error is.

    A block scalar (``|`` or ``>``) is parsed again from its lines as written, so the
    error's line is a file line even where ``>`` folded lines together. A quoted or plain
    template's line numbers say nothing about the file (YAML folds its line breaks and
    ``\\n`` escapes add some): its error is placed where the value starts.
    """
    if mark is None:
        return exc.lineno, None
    try:
        lines = read_regular(path).decode("utf-8-sig").splitlines()
        first = lines[mark[0] - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return mark
    if first[mark[1] - 1 : mark[1]] not in ("|", ">"):
        return mark
    key_indent = len(first) - len(first.lstrip())
    block = []
    for line in lines[mark[0] :]:
        if line.strip() and len(line) - len(line.lstrip()) <= key_indent:
            break
        block.append(line)
    try:
        environment.parse("\n".join(block))
    except TemplateSyntaxError as again:
        return mark[0] + again.lineno, None
    return mark[0] + exc.lineno, None
