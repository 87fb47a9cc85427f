"""Helpers over the JSON Schemas of tool parameters and results, shared by every world stage."""

from __future__ import annotations

import json
import re
from typing import Any


def schema_type(schema: dict[str, Any]) -> str | None:
    """The first non-null JSON type of a schema (inferring object/array from keywords)."""
    json_type = schema.get("type")
    if isinstance(json_type, list):
        json_type = next((t for t in json_type if t != "null"), "null" if json_type else None)
    if json_type is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        if schema.get("enum"):
            first = schema["enum"][0]
            return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
                type(first)
            )
    return json_type


def resolve_schema(schema: dict[str, Any] | None) -> dict[str, Any]:
    """Collapse ``allOf``/``anyOf``/``oneOf`` to one concrete schema (first non-null option)."""
    schema = dict(schema or {})
    for _ in range(8):
        if "allOf" in schema and isinstance(schema["allOf"], list):
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                if isinstance(part, dict):
                    merged = {**part, **merged}
            schema = merged
            continue
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                non_null = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
                chosen = non_null[0] if non_null else options[0]
                schema = {**{k: v for k, v in schema.items() if k != key}, **chosen}
                break
        else:
            return schema
    return schema


def values_of(schema: dict[str, Any]) -> tuple[Any, ...]:
    """The values a schema allows: its ``enum``, or the ``[Enum]: [...]`` its description
    lists."""
    if isinstance(schema.get("enum"), list):
        return tuple(schema["enum"])
    match = re.search(r"\[enum\]\s*:?\s*(\[[^\]]*\])", str(schema.get("description", "")), re.I)
    if match:
        try:
            found = json.loads(match.group(1))
        except ValueError:
            return ()
        return tuple(found) if isinstance(found, list) else ()
    return ()
