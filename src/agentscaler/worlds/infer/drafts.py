"""Mutable drafts of entities and columns while a domain's schema is being inferred."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentscaler.worlds.infer.schema_merge import merge_value_schemas
from agentscaler.worlds.schemas import resolve_schema, schema_type

_JSON_TO_COLUMN = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "BOOLEAN",
    "object": "JSON",
    "array": "JSON",
}
_RICHNESS_KEYS = ("enum", "format", "pattern", "minimum", "maximum", "items", "properties")


def column_type_of(schema: dict[str, Any]) -> str:
    return _JSON_TO_COLUMN.get(schema_type(schema) or "", "JSON")


def merge_types(types: list[str]) -> str:
    unique = set(types)
    if len(unique) == 1:
        return types[0]
    if unique <= {"INTEGER", "REAL"}:
        return "REAL"
    if unique <= {"INTEGER", "BOOLEAN"}:
        return "INTEGER"
    return "JSON"


@dataclass
class ColumnDraft:
    name: str
    types: list[str] = field(default_factory=list)
    schema: dict[str, Any] = field(default_factory=dict)
    """The richest schema stated (for the column's meaning)."""
    schemas: list[dict[str, Any]] = field(default_factory=list)
    """Every schema stated for the column's values (merged into its value schema)."""
    description: str = ""
    enums: list[list[Any]] = field(default_factory=list)
    free_values: bool = False
    """Some source declared the column without an enum."""
    references: str | None = None
    indexed: bool = False
    stated: list[tuple[dict[str, Any], str, str | None]] = field(default_factory=list)
    """Each schema as it was added, with its description and the tool whose parameter set or
    filters the column by it (None for returned fields and the like)."""

    def add(self, schema: dict[str, Any], description: str = "", tool: str | None = None) -> None:
        self.stated.append((schema, description, tool))
        schema = resolve_schema(schema)
        self.types.append(column_type_of(schema))
        self.schemas.append(schema)
        richness = sum(k in schema for k in _RICHNESS_KEYS)
        if not self.schema or richness > sum(k in self.schema for k in _RICHNESS_KEYS):
            self.schema = schema
        if not self.description:
            self.description = description or str(schema.get("description", ""))
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            self.enums.append(enum)
        else:
            self.free_values = True

    def value_schema(self) -> dict[str, Any]:
        """The strictest schema all the stated ones agree on."""
        return merge_value_schemas(self.schemas)

    def enum(self) -> list[Any] | None:
        if not self.enums:
            return None
        merged: list[Any] = []
        for enum in self.enums:
            for value in enum:
                if value not in merged:
                    merged.append(value)
        return merged


@dataclass
class EntityDraft:
    entity: str
    key: str
    key_types: list[str] = field(default_factory=list)
    key_sources: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    columns: dict[str, ColumnDraft] = field(default_factory=dict)
    status_column: str | None = None
    status_values: list[str] = field(default_factory=list)
    table: str = ""

    def column(self, name: str) -> ColumnDraft:
        if name not in self.columns:
            self.columns[name] = ColumnDraft(name)
        return self.columns[name]


class Entities:
    """The entity drafts of one domain, by singular entity name."""

    def __init__(self) -> None:
        self.drafts: dict[str, EntityDraft] = {}

    def ensure(self, entity: str, key: str | None = None) -> EntityDraft:
        draft = self.drafts.get(entity)
        if draft is None:
            key = key if key and key != "id" else f"{entity}_id"
            draft = EntityDraft(entity=entity, key=key)
            self.drafts[entity] = draft
        return draft
