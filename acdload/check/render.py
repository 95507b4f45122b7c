"""Render: from an event as written to the exact payload that would be POSTed.

Precedence for each field: the event itself, then the manifest's template, then its
defaults. Phone numbers of telephone events are normalised to E.164 digits (national ones
read in the manifest's phone region) before templates see them. Problems found here are returned with the field they concern, so the
check stage can say whether they came from the event, a template or a default.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Template, TemplateError
from jinja2.runtime import new_context

from acdload.check.render_clock import RenderTimeout, time_budget
from acdload.check.rules import phones
from acdload.check.sandbox import OutputTooLong, SandboxEnvironment, TemplateVars
from acdload.check.schema import event_fields
from acdload.check.template_limits import RenderLimitError, start_event
from acdload.manifest.model import PHONE_FIELDS, PHONE_TYPES, Event, Manifest

RENDER_SECONDS = 1.0


@cache
def template_environment() -> SandboxEnvironment:
    return SandboxEnvironment()


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """A problem with one field of one event, before its location is known."""

    field: str | None
    rule: str
    message: str
    is_error: bool = True


@dataclass(slots=True)
class Rendered:
    event: Event
    payload: dict[str, Any]
    issues: list[FieldIssue]
    timed_out: bool = False  # a template ran out of time: the load stops after a few


@cache
def _blank_context() -> dict[str, Any]:
    """The environment's globals and every event field unset, copied for each event."""
    return with_globals(template_environment(), dict.fromkeys(event_fields().order))


def _template_vars(manifest: Manifest, event: Event) -> TemplateVars:
    if event.vars:
        return TemplateVars({**manifest.vars, **event.vars})
    return TemplateVars(manifest.vars)


def render_event(event: Event) -> Rendered:
    manifest = event.manifest
    fields = event_fields()
    values = {**manifest.defaults, **event.values} if manifest.defaults else dict(event.values)
    issues: list[FieldIssue] = []
    telephone = values.get("AcdEventTypesID") in PHONE_TYPES
    if telephone:
        _normalise_phones(values, PHONE_FIELDS, issues, manifest.phone_region)
    timed_out = _render_templates(event, values, issues, telephone) if manifest.templates else False
    payload = {name: values[name] for name in fields.order if values.get(name) is not None}
    return Rendered(event, payload, issues, timed_out)


def _render_templates(
    event: Event, values: dict[str, Any], issues: list[FieldIssue], telephone: bool
) -> bool:
    """Fill the fields the event does not set from the manifest's templates.

    One time budget and one size budget cover all of an event's templates: arming the
    clock per template would cost more than a typical render. True if time ran out.
    """
    fields = event_fields()
    context = _blank_context().copy()
    context.update(values)
    context["vars"] = _template_vars(event.manifest, event)
    context["index"] = event.index
    pending = [
        spec
        for name, spec in event.manifest.templates.items()
        if name not in event.values and spec.template is not None
    ]
    start_event()
    try:
        with time_budget(RENDER_SECONDS):
            for spec in pending:
                name = spec.field
                try:
                    text = render_capped(spec.template, context, fields.max_length.get(name, 255))  # type: ignore[arg-type]
                except (
                    TemplateError,
                    RenderLimitError,
                    RecursionError,
                    ValueError,
                    ArithmeticError,
                    TypeError,
                ) as exc:
                    rule, told = _failure(exc)
                    issues.append(FieldIssue(name, rule, f"template for {name}: {told}"))
                    values.pop(name, None)
                    continue
                values[name] = text if text != "" else None
                if telephone and name in PHONE_FIELDS:
                    _normalise_phones(values, (name,), issues, event.manifest.phone_region)
                context[name] = values[name]  # later templates see it (they come in use order)
    except RenderTimeout as exc:
        name = spec.field
        issues.append(FieldIssue(name, "template-limit", f"template for {name}: {exc}"))
        values.pop(name, None)
        return True
    return False


def _failure(exc: Exception) -> tuple[str, str]:
    """The rule a failed render breaks, and what to tell the manifest's author."""
    if isinstance(exc, OutputTooLong):
        return "max-length", str(exc)  # the same rule a value written this long breaks
    if isinstance(exc, RecursionError):
        return "template-limit", "it nests too deeply for Python; write it with less nesting"
    if isinstance(exc, RenderLimitError):
        return "template-limit", str(exc)
    return "template-render", str(exc)


def _normalise_phones(
    values: dict[str, Any], names: Any, issues: list[FieldIssue], region: str | None
) -> None:
    for name in names:
        written = values.get(name)
        if isinstance(written, str):
            values[name], issue = phones.normalise(written, region)
            if issue is not None:
                issues.append(FieldIssue(name, issue.rule, issue.message))


def render_capped(template: Template, context: dict[str, Any], max_chars: int) -> str:
    """Render at most ``max_chars`` characters; call it inside ``time_budget``.

    ``context`` must already hold the environment's globals (``with_globals``): templates
    only read it (their own assignments go to the render's private scope), so one dict
    serves all templates of an event. The render function is driven directly (not through
    ``generate``, whose error handling only rewrites tracebacks) so the output can be cut
    off as soon as it is too long.
    """
    parts: list[str] = []
    size = 0
    scope = new_context(template.environment, template.name, template.blocks, context, shared=True)
    for chunk in template.root_render_func(scope):
        size += len(chunk)
        if size > max_chars:
            raise OutputTooLong(f"the output is longer than {max_chars} characters")
        parts.append(chunk)
    return "".join(parts)


def with_globals(environment: SandboxEnvironment, variables: dict[str, Any]) -> dict[str, Any]:
    """A render context: the environment's globals (``range``, ``dict``…) under ``variables``."""
    context = dict(environment.globals)
    context.update(variables)
    return context
