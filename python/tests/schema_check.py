"""Validate a summary against core's checked-in JSON Schema (packages/core/schema/summary.schema.json).

The schema is generated from the zod schema the TypeScript side uses, so both languages test
against one definition. A small validator for the keywords zod emits keeps the tests stdlib-only.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "packages/core/schema/summary.schema.json").read_text())

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def errors(value: Any, schema: Dict[str, Any], path: str = "$") -> List[str]:
    if "anyOf" in schema:
        return [] if any(not errors(value, s, path) for s in schema["anyOf"]) else ["%s: matches no anyOf branch" % path]
    out: List[str] = []
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds  # a type may be a list of types
    if kinds is not None and not any(TYPES[k](value) for k in kinds):
        return ["%s: expected %s, got %r" % (path, "|".join(kinds), value)]
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        out.append("%s: shorter than %d" % (path, schema["minLength"]))
    if isinstance(value, dict):
        out += ["%s.%s: required" % (path, key) for key in schema.get("required", []) if key not in value]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                out += errors(value[key], sub, "%s.%s" % (path, key))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += errors(item, schema["items"], "%s[%d]" % (path, i))
    return out


def assert_summary(s: Dict[str, Any]) -> None:
    problems = errors(s, SCHEMA)
    assert not problems, problems
    assert s["timestamp"].endswith("Z")
