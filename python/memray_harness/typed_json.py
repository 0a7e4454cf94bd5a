"""Build a dataclass from decoded JSON, checking each value against the field's annotation.

Not a validator of values (ranges, patterns: zod did that on the TypeScript side). It only makes
sure the object has the shape the dataclass declares, so the rest of the harness can trust types.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, TypeVar

T = TypeVar("T")


class ShapeError(ValueError):
    """The JSON does not fit the dataclass; `path` names the offending key (e.g. `endpoint.method`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__("%s: %s" % (path, message))
        self.path = path


def _describe(value: Any) -> str:
    return "%r (%s)" % (value, "null" if value is None else type(value).__name__)


def _convert(value: Any, hint: Any, path: str, ignore_extra: bool) -> Any:
    if hint is Any:
        return value
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors = []
        for option in options:
            try:
                return _convert(value, option, path, ignore_extra)
            except ShapeError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        raise ShapeError(path, "expected one of %s, got %s" % (options, _describe(value)))
    if dataclasses.is_dataclass(hint):
        return build(hint, value, path, ignore_extra)
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ShapeError(path, "expected a list, got %s" % _describe(value))
        item = args[0] if args else Any
        items = [_convert(v, item, "%s[%d]" % (path, i), ignore_extra) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise ShapeError(path, "expected an object, got %s" % _describe(value))
        item = args[1] if len(args) == 2 else Any
        return {str(k): _convert(v, item, "%s.%s" % (path, k), ignore_extra) for k, v in value.items()}
    # bool is an int subclass: never accept it where a number is meant.
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif hint is str:
        ok = isinstance(value, str)
    else:
        raise TypeError("typed_json cannot build %r (at %s)" % (hint, path))
    if not ok:
        raise ShapeError(path, "expected %s, got %s" % (hint.__name__, _describe(value)))
    return value


def build(cls: type[T], raw: Any, path: str = "$", ignore_extra: bool = False) -> T:
    """cls(**raw) with every value type-checked. Missing keys (without a default) and, unless
    ignore_extra, keys the dataclass does not name raise ShapeError."""
    if not isinstance(raw, dict):
        raise ShapeError(path, "expected an object, got %s" % _describe(raw))
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    named = {f.name for f in fields}
    missing = [
        f.name for f in fields if f.name in named and f.name not in raw and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ShapeError(path, "missing key(s) %s" % ", ".join(missing))
    unknown = sorted(k for k in raw if k not in named)
    if unknown and not ignore_extra:
        raise ShapeError(path, "unknown key(s) %s" % ", ".join(unknown))
    kwargs: dict[str, Any] = {name: _convert(raw[name], hints[name], "%s.%s" % (path, name), ignore_extra) for name in named if name in raw}
    return cls(**kwargs)  # type: ignore[call-arg]
