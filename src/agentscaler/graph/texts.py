"""What gets embedded: a tool's parameter list, as text.

A tool's *parameter list* P_i is its input fields, nested ones included (``updates.title``), each
as ``words of the name (type): first sentence of the description``.

* Tool granularity embeds one text per tool: the words of the tool's name and the first sentence
  of its description, then the parameter list (``cancel order: Cancel an order.; order id
  (string): ...``). The heading is measured to help (``bench/graph_quality.py``): parameters
  alone leave ``ls(a)`` and ``add(a, b)`` looking alike.
* Parameter granularity embeds each parameter on its own.

Tools without parameters (``login_device()``, ``get_latest_message_id()``) have nothing of their
own to compare, so at parameter granularity their name and description stand in for the list;
the build reports how many tools this applied to.

The same flattening reads a tool's ``returns`` schema for the dependency edges
(``orders[].order_id``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agentscaler.naming import split_identifier
from agentscaler.records.tool import ToolSpec

_MAX_DEPTH = 4
_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class SchemaField:
    """One field of a JSON schema: ``path`` like ``orders[].order_id``, ``name`` its last key."""

    path: str
    name: str
    type: str
    description: str


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if kinds else None
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    if "enum" in schema:
        return "string"
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            for option in options:
                if isinstance(option, dict) and option.get("type") not in (None, "null"):
                    return _type_of(option)
    return ""


def schema_fields(schema: dict[str, Any] | None, *, limit: int = 64) -> list[SchemaField]:
    """Fields of an object schema, depth first, nested objects and arrays of objects included."""
    fields: list[SchemaField] = []
    if not isinstance(schema, dict):
        return fields

    def visit(node: dict[str, Any], prefix: str, depth: int) -> None:
        properties = node.get("properties")
        if not isinstance(properties, dict) or depth > _MAX_DEPTH:
            return
        for key in properties:
            if len(fields) >= limit:
                return
            child = properties[key]
            if not isinstance(child, dict):
                child = {}
            path = f"{prefix}{key}"
            kind = _type_of(child)
            fields.append(SchemaField(path, str(key), kind, str(child.get("description") or "")))
            if kind == "object":
                visit(child, path + ".", depth + 1)
            elif kind == "array" and isinstance(child.get("items"), dict):
                visit(child["items"], path + "[].", depth + 1)

    if _type_of(schema) == "array" and isinstance(schema.get("items"), dict):
        visit(schema["items"], "[].", 0)
    else:
        visit(schema, "", 0)
    return fields


def _words(text: str, limit: int) -> str:
    if limit <= 0 or not text:
        return ""
    first = _FIRST_SENTENCE.split(text.strip(), maxsplit=1)[0]
    return " ".join(first.split()[:limit])


def field_text(item: SchemaField, *, description_words: int) -> str:
    """``order id (string): The id of the order.`` for one field."""
    name = " ".join(split_identifier(item.path.replace("[]", ""))) or item.name
    head = f"{name} ({item.type})" if item.type else name
    description = _words(item.description, description_words)
    return f"{head}: {description}" if description else head


def tool_fallback_text(tool: ToolSpec, *, description_words: int) -> str:
    """Name and description of a tool without parameters (stands in for its parameter list)."""
    name = " ".join(split_identifier(tool.name)) or tool.name
    description = _words(tool.description, description_words)
    return f"{name}: {description}" if description else name


def parameter_texts(tool: ToolSpec, *, max_params: int, description_words: int) -> list[str]:
    """One text per parameter of ``tool`` (never empty: see the module docstring)."""
    texts = [
        field_text(f, description_words=description_words)
        for f in schema_fields(tool.parameters, limit=max_params)
    ]
    return texts or [tool_fallback_text(tool, description_words=description_words)]


def tool_text(tool: ToolSpec, *, max_params: int, description_words: int) -> str:
    """Name, description and the whole parameter list of ``tool`` as one text."""
    heading = tool_fallback_text(tool, description_words=description_words)
    fields = schema_fields(tool.parameters, limit=max_params)
    if not fields:
        return heading
    body = "; ".join(field_text(f, description_words=description_words) for f in fields)
    return f"{heading}; {body}"


def has_parameters(tool: ToolSpec) -> bool:
    return bool(schema_fields(tool.parameters, limit=1))
