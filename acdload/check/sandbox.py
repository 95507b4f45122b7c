"""A Jinja environment that manifests cannot use to run code, hang, or exhaust memory.

Jinja's immutable sandbox stops attribute tricks (``''.__class__.__mro__``) but limits
neither time nor size: ``'a' * 10**9`` or two nested ``range(100000)`` loops pass it.
So this environment sizes every operation that can build a large value before it runs
(the operators, str methods, ``str.format``, filters, ``~``, macro bodies, writing a value
out as text), counts what an event's templates build, caps how deep template calls nest,
and caps each field's output while it is rendered. Hooks are the sandbox's own (``call``,
``call_binop``, ``getitem``, ``wrap_str_format``, the filter table) rather than one guard
per call site, so a method or filter nobody thought of is still counted once it returns.
The wall-clock budget per event is ``render_clock``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from functools import wraps
from string import Formatter
from types import BuiltinMethodType, MethodType
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import Context
from jinja2.sandbox import (
    ImmutableSandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)

from acdload.check.template_filters import format_date, format_time
from acdload.check.template_limits import (
    CALL_NESTING,
    SIZE_CAP,
    USAGE,
    RenderLimitError,
    built,
    capped_sum,
    charge,
    charged,
    check_format_width,
    field_size,
    fits,
    items_in,
    percent_size,
    text_size,
)
from acdload.check.template_sizes import (
    FILTER_SIZES,
    MATERIALISED_FILTERS,
    METHOD_SIZES,
    TEXT_FILTERS,
)

_SEQUENCES = (str, bytes, list, tuple)


class OutputTooLong(RenderLimitError):
    """A template's output went past its field's length limit."""


class TemplateVars(dict[str, Any]):
    """``vars`` as templates see it; named so a missing entry reads ``vars.NAME``."""


class _Undefined(StrictUndefined):
    """Undefined names are errors, with the name as the manifest author wrote it."""

    @property
    def _undefined_message(self) -> str:
        if isinstance(self._undefined_obj, TemplateVars):
            return f"vars.{self._undefined_name} is undefined (define it under vars)"
        return super()._undefined_message


def _too_big(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > SIZE_CAP


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > SIZE_CAP:
        raise RenderLimitError(f"a range of over {SIZE_CAP} numbers is not allowed")
    return numbers


_SIZED_FILTERS = ("center", "indent", "wordwrap", "truncate", "batch", "slice", "format")
"""Built-in filters whose integer arguments size what they build."""


_JINJA_ARGUMENTS = frozenset({"_loop_vars", "_block_vars"})
"""Passed to every call in a loop or block; the called function never sees them."""


def _predicted(size_of: Callable[..., int], what: str, *args: Any, **kwargs: Any) -> int:
    """What ``size_of`` says an operation would build; it takes the operation's arguments."""
    try:
        return size_of(*args, **kwargs)
    except TypeError:
        # Arguments the operation does not take either: never run what was not sized.
        raise TypeError(f"{what} was given arguments it does not take") from None


def _charged_if_new(result: Any, args: tuple[Any, ...], what: str) -> Any:
    """A call's result, counted unless it is one of its arguments (``default``, ``get``…)."""
    if any(result is arg for arg in args):
        return result
    return charged(result, what)


def _limited_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` that measures what it would build first (or counts what it built)."""
    first = 1 if hasattr(func, "jinja_pass_arg") else 0  # Jinja passes a context first
    size_of = FILTER_SIZES.get(name)
    sized, materialised = name in _SIZED_FILTERS, name in MATERIALISED_FILTERS
    makes_text = name in TEXT_FILTERS
    what = f"the {name} filter"

    @wraps(func)
    def limited(*args: Any, **kwargs: Any) -> Any:
        if sized and (any(map(_too_big, args)) or any(map(_too_big, kwargs.values()))):
            raise RenderLimitError(f"an argument over {SIZE_CAP} is not allowed here")
        if len(args) <= first:
            return func(*args, **kwargs)  # let Jinja say what is missing
        value = args[first]
        if materialised and not isinstance(value, Collection):
            value = charged(list(value), what)
            args = (*args[:first], value, *args[first + 1 :])
        if makes_text and not isinstance(value, str):
            fits(text_size(value), what)
        if size_of is None:
            return _charged_if_new(func(*args, **kwargs), args, what)
        built(_predicted(size_of, what, *args[first:], **kwargs), what)
        return func(*args, **kwargs)

    return limited


class _SizedFields(Formatter):
    """``str.format`` that sizes each field before formatting it."""

    _size = 0

    def vformat(self, format_string: str, args: Sequence[Any], kwargs: Any) -> str:
        self._size = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        size = field_size(value, format_spec)
        self._size += size
        fits(self._size, "format()")
        charge(size)
        return super().format_field(value, format_spec)


class _Formatter(_SizedFields, SandboxedFormatter):
    pass


class _EscapeFormatter(_SizedFields, SandboxedEscapeFormatter):
    pass


class _CodeGenerator(CodeGenerator):
    """Sends ``~`` and the lists, tuples and mappings a template writes through the
    environment, so that they are measured too (``join_text``, ``literal``)."""

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.literal(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.literal(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # the names assigned in {% set a, b = ... %}
            super().visit_Tuple(node, frame)
            return
        self.write("environment.literal(")
        super().visit_Tuple(node, frame)
        self.write(")")

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.join_text((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _finalize(value: Any) -> Any:
    """What ``{{ value }}`` writes; a list is measured before it is written as text."""
    if value is None:
        return ""
    if not isinstance(value, str | int | float):  # their text is short, or an error
        fits(text_size(value), "writing the value")
    return value


def _joined(parts: Iterable[str]) -> str:
    """The text of a macro, ``caller()``, block ``set`` or ``filter`` block: sized, then joined."""
    parts = parts if isinstance(parts, list) else list(parts)
    built(capped_sum(map(len, parts)), "a macro or block")
    return "".join(parts)


def _method_size(method: Any) -> Callable[..., int] | None:
    if isinstance(method, BuiltinMethodType) and isinstance(method.__self__, str | bytes):
        return METHOD_SIZES.get(method.__name__)
    return None


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "//", "+"})
    code_generator_class = _CodeGenerator
    concat = staticmethod(_joined)

    def __init__(self) -> None:
        super().__init__(
            undefined=_Undefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=_finalize,
        )
        for nondeterministic in ("lipsum", "cycler", "joiner"):
            self.globals.pop(nondeterministic, None)
        self.globals["range"] = _range
        self.filters.pop("random", None)
        self.filters["date"] = format_date
        self.filters["time"] = format_time
        for name, func in list(self.filters.items()):
            self.filters[name] = _limited_filter(name, func)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            check_format_width(left)
            built(percent_size(left, right), "%-formatting")
        elif operator == "**" and _power_too_big(left, right):
            raise RenderLimitError(f"a power with over {SIZE_CAP} bits is not allowed")
        elif operator == "*" and isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > SIZE_CAP:  # squaring it again and again
                raise RenderLimitError(f"a product with over {SIZE_CAP} bits is not allowed")
        elif operator == "*" and not (
            isinstance(left, int | float) and isinstance(right, int | float)
        ):
            size = _repeat_size(left, right)
            if _too_big(left) or _too_big(right) or size > SIZE_CAP:
                raise RenderLimitError(f"repeating a value to over {SIZE_CAP} items is not allowed")
            charge(size)
        elif operator == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            built(items_in(left) + items_in(right), "joining with +")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if any(map(_too_big, args)) or any(map(_too_big, kwargs.values())):
            raise RenderLimitError(f"an argument over {SIZE_CAP} is not allowed here")
        size_of = _method_size(__obj)
        if size_of is not None:
            what = f"{__obj.__name__}()"
            if __obj.__name__ == "join" and args and not isinstance(args[0], Collection):
                args = (charged(list(args[0]), what), *args[1:])  # read once, measured, joined
            named = {k: v for k, v in kwargs.items() if k not in _JINJA_ARGUMENTS} if kwargs else {}
            built(_predicted(size_of, what, __obj.__self__, *args, **named), what)
        USAGE.depth += 1
        try:
            if USAGE.depth > CALL_NESTING:
                raise RenderLimitError(
                    f"calls nested over {CALL_NESTING} deep (a macro or recursive loop that "
                    "calls itself without end?); make it stop sooner"
                )
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            USAGE.depth -= 1
        if size_of is not None:
            return result
        return _charged_if_new(result, args, f"{getattr(__obj, '__name__', 'the call')}()")

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        return charged(value, "a slice") if isinstance(argument, slice) else value

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not (
            isinstance(value, MethodType | BuiltinMethodType)
            and value.__name__ in ("format", "format_map")
            and isinstance(value.__self__, str)
        ):
            return None
        text = value.__self__
        check_format_width(text)
        escape = getattr(text, "escape", None)  # a Markup string escapes what it formats
        formatter = _Formatter(self) if escape is None else _EscapeFormatter(self, escape=escape)
        mapping = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if mapping:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one mapping")
                return type(text)(formatter.vformat(text, (), args[0]))
            return type(text)(formatter.vformat(text, args, kwargs))

        return wrapper

    def literal(self, value: Any) -> Any:
        """``[a, b]``, ``(a, b)``, ``{a: b}`` as written in a template: counted like any list."""
        return charged(value, "a list, tuple or mapping")

    def join_text(self, values: tuple[Any, ...]) -> str:
        """``a ~ b``: the text of each part measured before any is made."""
        size = 0
        for value in values:
            size += len(value) if isinstance(value, str) else text_size(value)
        built(size, "joining with ~")
        return "".join(map(str, values))


def _power_too_big(base: Any, exponent: Any) -> bool:
    if not isinstance(base, int) or not isinstance(exponent, int):
        return _too_big(exponent)
    return exponent > 0 and max(base.bit_length(), 1) * exponent > SIZE_CAP


def _repeat_size(left: Any, right: Any) -> int:
    seq, times = (left, right) if isinstance(right, int) else (right, left)
    return items_in(seq) * max(times, 0) if isinstance(times, int) else 0
