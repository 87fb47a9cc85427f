"""Fixtures of the built-in catalog tests, and schema-walking helpers (fixture ``walk``)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from agentscaler.catalog import builtin_tools
from agentscaler.naming import entity_of_parameter
from agentscaler.records.tool import ToolSpec

RANGE = re.compile(r"^(?:(?:min|max)_(?P<pbase>.+)|(?P<sbase>.+)_(?:from|to))$")
CONTROL_PARAMETERS = frozenset({"query", "keyword", "limit", "offset", "sort_by", "sort_order"})


def walk_properties(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, str, dict]]:
    """Every property of an object schema, recursively through nested objects and array items.

    Yields (JSON pointer of the property, property name, property schema).
    """
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        yield from walk_properties(schema["items"], path + "/items")
    for name, prop in (schema.get("properties") or {}).items():
        where = f"{path}/properties/{name}"
        yield where, name, prop
        yield from walk_properties(prop, where)


def identifier_names(schema: dict[str, Any]) -> set[str]:
    """Names of identifier properties (``<entity>_id`` and alike) anywhere in a schema."""
    return {name for _, name, _ in walk_properties(schema) if entity_of_parameter(name)}


def returned_names(tool: ToolSpec) -> set[str]:
    return {name for _, name, _ in walk_properties(tool.returns or {})}


def record_objects(tool: ToolSpec) -> Iterator[dict[str, Any]]:
    """The record-like objects of a tool's returns: the top object and the items of its lists."""
    top = tool.returns or {}
    yield top
    for prop in (top.get("properties") or {}).values():
        if prop.get("type") == "array" and (prop.get("items") or {}).get("type") == "object":
            yield prop["items"]


def columns_of(tools: list[ToolSpec]) -> set[str]:
    """Field names a compiler can turn into columns: the fields of returned records.

    A record is a returned object that carries an identifier; the outputs of compute-style tools
    (no identifier) are not columns.
    """
    names: set[str] = set()
    for tool in tools:
        for record in record_objects(tool):
            fields = record.get("properties") or {}
            if any(entity_of_parameter(name) for name in fields):
                names.update(fields)
    return names


def range_base(name: str) -> str | None:
    match = RANGE.match(name)
    return None if match is None else (match["pbase"] or match["sbase"])


def signature(schema: dict[str, Any]) -> tuple:
    """What must agree between two uses of the same field (descriptions and defaults may differ)."""
    items = schema.get("items")
    return (
        schema.get("type"),
        tuple(schema.get("enum") or ()),
        schema.get("format"),
        schema.get("pattern"),
        signature(items) if isinstance(items, dict) else None,
        tuple(sorted(schema.get("properties") or {})),
    )


def kind_of(tool: ToolSpec) -> str:
    kind = tool.tag_value("kind")
    assert kind in {"read", "write"}, f"{tool.name}: kind tag missing"
    return kind


@pytest.fixture(scope="session")
def walk() -> SimpleNamespace:
    """The helpers above, for the test modules (which cannot import each other)."""
    names = (
        "CONTROL_PARAMETERS columns_of identifier_names kind_of range_base record_objects "
        "returned_names signature walk_properties"
    )
    return SimpleNamespace(**{name: globals()[name] for name in names.split()})


@pytest.fixture(scope="session")
def catalog() -> list[ToolSpec]:
    return builtin_tools()


@pytest.fixture(scope="session")
def by_vertical(catalog: list[ToolSpec]) -> dict[str, list[ToolSpec]]:
    groups: dict[str, list[ToolSpec]] = defaultdict(list)
    for tool in catalog:
        groups[tool.tag_value("vertical")].append(tool)
    return dict(groups)
