"""Validate harness files against core's checked-in JSON Schemas (packages/core/schema/*.schema.json).

The schemas are generated from the zod schemas the TypeScript side uses, so both languages test
against one definition. A small validator for the keywords zod emits keeps the tests stdlib-only;
a keyword it does not know fails loudly, so it can never pass a file by ignoring a constraint.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "packages" / "core" / "schema"

# Annotations: no effect on validity. `format` is one too in draft 2020-12 (zod adds "starts_with"
# next to the `pattern` that does the check).
ANNOTATIONS = {"$schema", "$comment", "$id", "title", "description", "format", "default", "examples"}
ASSERTIONS = {
    "type",
    "anyOf",
    "enum",
    "const",
    "required",
    "properties",
    "additionalProperties",
    "propertyNames",
    "items",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "pattern",
}

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


class UnknownKeyword(ValueError):
    pass


def load_schema(name: str) -> dict[str, Any]:
    """`summary` -> packages/core/schema/summary.schema.json"""
    return json.loads((SCHEMA_DIR / ("%s.schema.json" % name)).read_text())


SCHEMA = load_schema("summary")


def check_keywords(schema: Any, path: str = "#") -> None:
    """Every keyword in the schema (all branches, not just those a value reaches) is known."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise UnknownKeyword("%s: a schema must be an object or a boolean, got %r" % (path, schema))
    unknown = set(schema) - ANNOTATIONS - ASSERTIONS
    if unknown:
        raise UnknownKeyword("%s: schema_check does not implement %s" % (path, ", ".join(sorted(unknown))))
    if isinstance(schema.get("items"), list):
        raise UnknownKeyword("%s: tuple-form items is not implemented" % path)
    for key, sub in schema.get("properties", {}).items():
        check_keywords(sub, "%s/properties/%s" % (path, key))
    for i, sub in enumerate(schema.get("anyOf", [])):
        check_keywords(sub, "%s/anyOf/%d" % (path, i))
    for key in ("items", "additionalProperties", "propertyNames"):
        if key in schema:
            check_keywords(schema[key], "%s/%s" % (path, key))


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if TYPES["number"](a) and TYPES["number"](b):
        return a == b
    return type(a) is type(b) and a == b


def errors(value: Any, schema: Any, path: str = "$") -> list[str]:
    if path == "$":
        check_keywords(schema)
    if schema is True or schema == {}:
        return []
    if schema is False:
        return ["%s: no value is allowed here" % path]
    out: list[str] = []
    if "anyOf" in schema and not any(not errors(value, s, path) for s in schema["anyOf"]):
        return ["%s: matches no anyOf branch" % path]
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds  # a type may be a list of types
    if kinds is not None and not any(TYPES[k](value) for k in kinds):
        return ["%s: expected %s, got %r" % (path, "|".join(kinds), value)]
    if "enum" in schema and not any(_same(value, e) for e in schema["enum"]):
        out.append("%s: %r is not one of %r" % (path, value, schema["enum"]))
    if "const" in schema and not _same(value, schema["const"]):
        out.append("%s: %r is not %r" % (path, value, schema["const"]))
    if TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            out.append("%s: %r < minimum %r" % (path, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            out.append("%s: %r > maximum %r" % (path, value, schema["maximum"]))
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            out.append("%s: %r <= exclusiveMinimum %r" % (path, value, schema["exclusiveMinimum"]))
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            out.append("%s: %r >= exclusiveMaximum %r" % (path, value, schema["exclusiveMaximum"]))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            out.append("%s: shorter than %d" % (path, schema["minLength"]))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append("%s: %r does not match %s" % (path, value, schema["pattern"]))
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        out += ["%s.%s: required" % (path, key) for key in schema.get("required", []) if key not in value]
        for key, item in value.items():
            where = "%s.%s" % (path, key)
            if "propertyNames" in schema:
                out += errors(key, schema["propertyNames"], where + " (name)")
            if key in properties:
                out += errors(item, properties[key], where)
            elif "additionalProperties" in schema:
                extra = schema["additionalProperties"]
                out += ["%s: not allowed (additionalProperties false)" % where] if extra is False else errors(item, extra, where)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += errors(item, schema["items"], "%s[%d]" % (path, i))
    return out


def assert_valid(value: Any, schema_name: str) -> None:
    problems = errors(value, load_schema(schema_name))
    assert not problems, "%s.schema.json: %s" % (schema_name, problems)


def assert_summary(s: dict[str, Any]) -> None:
    assert_valid(s, "summary")
    assert s["timestamp"].endswith("Z")
