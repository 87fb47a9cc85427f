"""Expand a :class:`~agentscaler.catalog.format.VerticalFile` into normalized ToolSpecs.

Output schemas are in the normal form ingestion produces: ``parameters`` is
``{"type": "object", "properties": {...}, "required": [...]}`` with ``required`` in property
order; ``returns`` is an object schema whose properties are the returned fields, a list being
``{"<plural>": {"type": "array", "items": {...}}, "count": {...}}``.
"""

from __future__ import annotations

import re
from typing import Any

from agentscaler.catalog.format import ToolEntry, VerticalFile
from agentscaler.errors import CatalogError
from agentscaler.ingest.services import vertical_service
from agentscaler.naming import plural
from agentscaler.records.tool import Provenance, ToolSpec

_RANGE = re.compile(r"^(?:(?P<prefix>min|max)_(?P<pbase>.+)|(?P<sbase>.+)_(?P<suffix>from|to))$")
_RANGE_KEYS = ("type", "format", "minimum", "maximum")
_RANGEABLE = {"integer", "number"}
_DATES = {"date", "date-time"}


def _copy(value: Any) -> Any:
    """A deep copy of YAML-loaded JSON data (dicts, lists and scalars), much faster than deepcopy."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _words(name: str) -> str:
    return name.replace("_", " ")


class _Resolver:
    """Finds the schema of a field name in the context of one entity of a vertical."""

    def __init__(self, vertical: VerticalFile, where: str) -> None:
        self.vertical = vertical
        self.where = where
        self._local_owners: dict[str, list[str]] = {}
        for entity, fields in vertical.entities.items():
            for field, schema in fields.items():
                if schema is not None:
                    self._local_owners.setdefault(field, []).append(entity)

    def fail(self, tool: str, message: str) -> CatalogError:
        return CatalogError(f"{self.where}#{tool}: {message}")

    def plain(self, name: str, entity: str | None) -> dict[str, Any] | None:
        """Schema of a declared field (entity-local, vertical-wide, or unique local elsewhere)."""
        if entity is not None:
            local = self.vertical.entities[entity].get(name)
            if local is not None:
                return local
        if name in self.vertical.fields:
            return self.vertical.fields[name]
        owners = self._local_owners.get(name, [])
        if len(owners) == 1:
            return self.vertical.entities[owners[0]][name]
        return None

    def resolve(self, name: str, entity: str | None, tool: str) -> dict[str, Any]:
        """A fresh copy of the schema of ``name``; raises CatalogError naming tool and field."""
        schema = self.plain(name, entity)
        if schema is not None:
            return _copy(schema)
        derived = self._range(name, entity, tool)
        if derived is not None:
            return derived
        owners = self._local_owners.get(name, [])
        if len(owners) > 1:
            raise self.fail(
                tool,
                f"field '{name}' is defined by entities {', '.join(owners)}; set the tool's "
                "'entity' to say which one it means",
            )
        raise self.fail(
            tool,
            f"unknown field '{name}': define it under 'fields' or in an entity, or name a range "
            "filter after an existing numeric or date field (min_<f>, max_<f>, <f>_from, <f>_to)",
        )

    def _range(self, name: str, entity: str | None, tool: str) -> dict[str, Any] | None:
        match = _RANGE.match(name)
        if match is None:
            return None
        base = match["pbase"] or match["sbase"]
        base_schema = self.plain(base, entity)
        if base_schema is None:
            return None
        is_date = base_schema.get("format") in _DATES
        if base_schema.get("type") not in _RANGEABLE and not is_date:
            raise self.fail(tool, f"range filter '{name}' needs a numeric or date field '{base}'")
        derived = {k: _copy(base_schema[k]) for k in _RANGE_KEYS if k in base_schema}
        lower = match["prefix"] == "min" or match["suffix"] == "from"
        things = _words(plural(entity)) if entity else "results"
        if is_date:
            bound = "on or after" if lower else "on or before"
            noun = "date" if base_schema.get("format") == "date" else "time"
            if base.endswith("_at"):  # placed_at -> "orders placed on or after this time"
                phrase = f"{things} {_words(base.removesuffix('_at'))} {bound} this {noun}"
            else:
                phrase = f"{things} whose {_words(base)} is {bound} this {noun}"
            derived["description"] = f"Only include {phrase}."
        else:
            bound = "at least" if lower else "at most"
            derived["description"] = (
                f"Only include {things} whose {_words(base)} is {bound} this value."
            )
        return derived


def primary_entity(vertical: VerticalFile, entry: ToolEntry) -> str | None:
    """The entity a tool acts on: declared, named by its returns, else that of its leading id.

    The leading id is the first required parameter or, failing that, the first returned field,
    when it is ``<entity>_id`` of an entity of the vertical (``cancel_booking(booking_id)``).
    """
    if entry.primary_entity is not None:
        return entry.primary_entity
    for name in (*entry.required[:1], *entry.returns.fields[:1]):
        if name.endswith("_id") and name[: -len("_id")] in vertical.entities:
            return name[: -len("_id")]
    return None


def _record_schema(resolver: _Resolver, entity: str, tool: str) -> dict[str, Any]:
    properties = {
        field: resolver.resolve(field, entity, tool) for field in resolver.vertical.entities[entity]
    }
    return {"type": "object", "properties": properties}


def _returns_schema(resolver: _Resolver, entry: ToolEntry, entity: str | None) -> dict[str, Any]:
    spec = entry.returns
    properties: dict[str, Any] = {}
    if spec.record is not None:
        properties.update(_record_schema(resolver, spec.record, entry.name)["properties"])
    if spec.list_of is not None:
        key = plural(spec.list_of)
        things = _words(key)
        properties[key] = {
            "type": "array",
            "description": spec.description or f"The matching {things}.",
            "items": _record_schema(resolver, spec.list_of, entry.name),
        }
        properties["count"] = {
            "type": "integer",
            "minimum": 0,
            "description": f"Number of {things} returned.",
        }
    for field in spec.fields:
        if field in properties:
            raise resolver.fail(entry.name, f"returned field '{field}' is listed twice")
        properties[field] = resolver.resolve(field, entity, entry.name)
    return {"type": "object", "properties": properties}


def _parameters_schema(resolver: _Resolver, entry: ToolEntry, entity: str | None) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name in (*entry.required, *entry.optional):
        schema = resolver.resolve(name, entity, entry.name)
        if name in entry.describe:
            schema["description"] = entry.describe[name]
        if name in entry.defaults:
            schema["default"] = entry.defaults[name]
        if not str(schema.get("description", "")).strip():
            raise resolver.fail(entry.name, f"parameter '{name}' has no description")
        properties[name] = schema
    return {"type": "object", "properties": properties, "required": list(entry.required)}


def expand_vertical(
    vertical: VerticalFile, *, where: str, source: str = "builtin", start_index: int = 0
) -> list[ToolSpec]:
    """The ToolSpecs of one vertical, in file order, indexed from ``start_index``.

    ``where`` is the file's path as shown in errors and provenance pointers (``<where>#<tool>``);
    ``source`` is the provenance source (``builtin`` for the built-in catalog).
    """
    resolver = _Resolver(vertical, where)
    tools: list[ToolSpec] = []
    for offset, entry in enumerate(vertical.tools):
        entity = primary_entity(vertical, entry)
        tags = [f"vertical:{vertical.slug}", f"kind:{entry.kind}"]
        if entity is not None:
            tags.append(f"entity:{entity}")
        provenance = Provenance(
            source=source,
            index=start_index + offset,
            pointer=f"{where}#{entry.name}",
            dialect="builtin",
            original_name=entry.name,
        )
        tools.append(
            ToolSpec.create(
                name=entry.name,
                description=" ".join(entry.description.split()),
                parameters=_parameters_schema(resolver, entry, entity),
                returns=_returns_schema(resolver, entry, entity),
                provenance=(provenance,),
                tags=tuple(tags),
                service=vertical_service(vertical.slug),
            )
        )
    return tools
