"""Type names of catalog dialects (Python, BFCL, Java, JavaScript, OpenAPI) as JSON Schema types.

:func:`parse_type_name` reads one type name, including simple generic forms: ``String[]``,
``List<String>``, ``ArrayList<Long>``, ``list[str]``, ``Map<String, Integer>``,
``Optional[int]``. It returns a :class:`TypeInfo`; ``types`` is None for "any value"
(``any``, ``Object`` in Java's sense is an object, ``mixed``, an empty string).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")

_ALIASES: dict[str, str | None] = {
    # strings
    "string": "string",
    "str": "string",
    "char": "string",
    "character": "string",
    "text": "string",
    "charsequence": "string",
    "date": "string",
    "datetime": "string",
    "uuid": "string",
    "uri": "string",
    "url": "string",
    "bytes": "string",
    "binary": "string",
    # integers
    "integer": "integer",
    "int": "integer",
    "long": "integer",
    "short": "integer",
    "byte": "integer",
    "bigint": "integer",
    "biginteger": "integer",
    "int8": "integer",
    "int16": "integer",
    "int32": "integer",
    "int64": "integer",
    "uint": "integer",
    "uint32": "integer",
    "uint64": "integer",
    # numbers
    "number": "number",
    "float": "number",
    "double": "number",
    "decimal": "number",
    "bigdecimal": "number",
    "float32": "number",
    "float64": "number",
    "real": "number",
    # booleans
    "boolean": "boolean",
    "bool": "boolean",
    # arrays
    "array": "array",
    "list": "array",
    "arraylist": "array",
    "linkedlist": "array",
    "tuple": "array",
    "set": "array",
    "hashset": "array",
    "frozenset": "array",
    "vector": "array",
    "collection": "array",
    "iterable": "array",
    "sequence": "array",
    # objects
    "object": "object",
    "dict": "object",
    "map": "object",
    "hashmap": "object",
    "treemap": "object",
    "linkedhashmap": "object",
    "mapping": "object",
    "record": "object",
    "json": "object",
    # null
    "null": "null",
    "none": "null",
    "nonetype": "null",
    "nil": "null",
    "void": "null",
    # anything
    "any": None,
    "anytype": None,
    "mixed": None,
    "unknown": None,
    "": None,
}

_FORMATS = {"date": "date", "datetime": "date-time", "uuid": "uuid", "uri": "uri", "url": "uri"}

_GENERIC = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*[<\[](.*)[>\]]\s*$", re.DOTALL)
_ARRAY_SUFFIX = re.compile(r"^(.*?)\s*\[\s*\]\s*$", re.DOTALL)


@dataclass(frozen=True)
class TypeInfo:
    """What a type name means in JSON Schema."""

    types: tuple[str, ...] | None
    """JSON types, or None when any value is allowed."""
    items: dict[str, Any] | None = None
    """Schema of the elements, for ``String[]`` / ``List<String>``."""
    values: dict[str, Any] | None = None
    """Schema of the values, for ``Map<String, V>``."""
    format: str | None = None


def _split_args(text: str) -> list[str]:
    args, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "<[":
            depth += 1
        elif ch in ">]":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[start:i])
            start = i + 1
    args.append(text[start:])
    return [a.strip() for a in args]


def type_schema(info: TypeInfo) -> dict[str, Any]:
    """The JSON Schema a type name stands for (``String[]`` -> array of strings)."""
    schema: dict[str, Any] = {}
    if info.types is not None:
        schema["type"] = info.types[0] if len(info.types) == 1 else list(info.types)
    if info.items is not None:
        schema["items"] = info.items
    if info.values is not None:
        schema["additionalProperties"] = info.values
    if info.format:
        schema["format"] = info.format
    return schema


@lru_cache(maxsize=4096)
def parse_type_name(name: str) -> TypeInfo | None:
    """The JSON Schema meaning of a type name, or None when the name is unknown."""
    return _parse(name, 0)


def _parse(name: str, depth: int) -> TypeInfo | None:
    if depth > 8:
        return None
    text = name.strip()
    key = text.lower().replace("_", "")
    if key in _ALIASES:
        alias = _ALIASES[key]
        return TypeInfo(None if alias is None else (alias,), format=_FORMATS.get(key))
    if key.startswith(("java.lang.", "java.util.", "typing.")):
        return _parse(text.rsplit(".", 1)[1], depth + 1)
    suffix = _ARRAY_SUFFIX.match(text)
    if suffix:
        element = _parse(suffix.group(1), depth + 1) if suffix.group(1) else None
        return TypeInfo(("array",), items=type_schema(element) if element else None)
    generic = _GENERIC.match(text)
    if not generic:
        return None
    base, args = generic.group(1).lower().rsplit(".", 1)[-1], _split_args(generic.group(2))
    parsed = [_parse(a, depth + 1) for a in args]
    if any(p is None for p in parsed):
        return None
    known = [p for p in parsed if p is not None]
    if base == "optional" and len(known) == 1:
        inner = known[0]
        if inner.types is None:
            return inner
        return TypeInfo((*inner.types, "null"), inner.items, inner.values, inner.format)
    if base == "union":
        if any(p.types is None for p in known):
            return TypeInfo(None)
        merged: list[str] = []
        for p in known:
            merged.extend(t for t in p.types or () if t not in merged)
        return TypeInfo(tuple(merged))
    outer = _ALIASES.get(base.replace("_", ""), "?")
    if outer == "array":
        element = known[0] if len(known) == 1 else None
        return TypeInfo(("array",), items=type_schema(element) if element else None)
    if outer == "object":
        value = known[-1] if len(known) == 2 else None
        return TypeInfo(("object",), values=type_schema(value) if value else None)
    return None
