"""Reading a tool's interface: its parameters and the fields it returns (names and schemas).

What a tool *looks like*, as its JSON Schemas say; what it *means* is inference's job
(:mod:`agentscaler.worlds.infer`) and is written down in the world spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agentscaler.naming import entity_of_parameter, singular, split_identifier
from agentscaler.worlds.schemas import resolve_schema, schema_type

ENVELOPE_FIELDS = frozenset(
    "success ok succeeded message msg error errors note warning confirmation result_message".split()
)


COUNT_FIELDS = frozenset(
    "count total total_count num_results n_results total_results results_count number_of_results "
    "result_count size length".split()
)


def snake(name: str) -> str:
    """A column-safe snake_case name for a parameter or field name."""
    words = split_identifier(name)
    text = "_".join(words) if words else re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_")
    if not text:
        text = "value"
    if text[0].isdigit():
        text = "n_" + text
    if text.startswith("sqlite"):
        text = "x_" + text
    return text


@dataclass
class ParamInfo:
    """One parameter of a tool."""

    name: str
    column: str
    schema: dict[str, Any]
    required: bool
    json_type: str | None
    entity: str | None = None
    """Entity whose identifier this parameter is (``order_id`` -> ``order``)."""
    id_list: bool = False
    """An array of identifiers (``product_ids``)."""

    @property
    def words(self) -> tuple[str, ...]:
        return split_identifier(self.name)


@dataclass
class ReturnsInfo:
    """The fields a tool returns, with list and wrapper keys found."""

    schema: dict[str, Any] | None
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Top-level properties of an object result."""
    list_key: str | None = None
    """Property holding a list of objects ("" when the result itself is a list)."""
    item_fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    object_key: str | None = None
    """Property holding one nested object (``{"order": {...}}``)."""
    object_fields: dict[str, dict[str, Any]] = field(default_factory=dict)

    def entity_fields(self) -> dict[str, dict[str, Any]]:
        """Fields that describe the row(s): list items, the wrapped object, else the top level."""
        if self.list_key is not None:
            return self.item_fields
        if self.object_key is not None:
            return self.object_fields
        return {k: v for k, v in self.fields.items() if k not in ENVELOPE_FIELDS}

    def id_fields(self) -> list[str]:
        """Identifier fields of the result: top level (and a wrapped object) before list items."""
        names = [k for k in self.fields if k != self.list_key and k not in ENVELOPE_FIELDS]
        names += list(self.object_fields)
        if self.list_key is not None:
            names += list(self.item_fields)
        return [n for n in names if entity_of_parameter(n) is not None or n == "id"]


def read_params(parameters: dict[str, Any]) -> list[ParamInfo]:
    properties = parameters.get("properties") if isinstance(parameters, dict) else None
    if not isinstance(properties, dict):
        return []
    required = set(parameters.get("required") or ())
    result: list[ParamInfo] = []
    for name, raw in properties.items():
        schema = resolve_schema(raw if isinstance(raw, dict) else {})
        json_type = schema_type(schema)
        entity = entity_of_parameter(name)
        id_list = False
        if entity is not None and json_type == "array":
            id_list = True
        if entity is None and json_type == "array":
            words = split_identifier(name)
            if words and words[-1] == "ids" and len(words) >= 2:
                entity = "_".join(singular(w) for w in words[:-1])
                id_list = True
        if entity is not None and json_type in ("object", "boolean"):
            entity = None
        result.append(
            ParamInfo(
                name=name,
                column=snake(name),
                schema=schema,
                required=name in required,
                json_type=json_type,
                entity=entity,
                id_list=id_list,
            )
        )
    return result


def _properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = schema.get("properties")
    if not isinstance(props, dict):
        return {}
    return {k: resolve_schema(v) if isinstance(v, dict) else {} for k, v in props.items()}


def read_returns(schema: dict[str, Any] | None) -> ReturnsInfo:
    if not isinstance(schema, dict) or not schema:
        return ReturnsInfo(schema=None)
    resolved = resolve_schema(schema)
    info = ReturnsInfo(schema=resolved)
    json_type = schema_type(resolved)
    if json_type == "array":
        items = resolved.get("items")
        info.list_key = ""
        if isinstance(items, dict):
            info.item_fields = _properties(resolve_schema(items))
        return info
    if json_type != "object":
        return info
    info.fields = _properties(resolved)
    lists = [
        k
        for k, v in info.fields.items()
        if schema_type(v) == "array"
        and isinstance(v.get("items"), dict)
        and schema_type(resolve_schema(v["items"])) == "object"
        and _properties(resolve_schema(v["items"]))
    ]
    if len(lists) == 1:
        info.list_key = lists[0]
        info.item_fields = _properties(resolve_schema(info.fields[lists[0]]["items"]))
        return info
    objects = [k for k, v in info.fields.items() if schema_type(v) == "object" and _properties(v)]
    scalars = [k for k in info.fields if k not in objects and k not in ENVELOPE_FIELDS]
    if len(objects) == 1 and len(scalars) <= 1:
        info.object_key = objects[0]
        info.object_fields = _properties(info.fields[objects[0]])
    return info


def default_fits(default: Any, schema: dict[str, Any]) -> bool:
    """Whether a schema's default is a scalar of the parameter's own type (so it can be used)."""
    json_type = schema_type(schema)
    if isinstance(default, bool):
        return json_type in ("boolean", None)
    if isinstance(default, int):
        return json_type in ("integer", "number", None)
    if isinstance(default, float):
        return json_type in ("number", None)
    if isinstance(default, str):
        return json_type in ("string", None)
    return False


def argument_defaults(parameters: dict[str, Any]) -> dict[str, Any]:
    """Values absent optional arguments take: their schema's default, where it fits the type
    (what a generated tool function's signature declares)."""
    defaults = {}
    for param in read_params(parameters):
        default = param.schema.get("default")
        if not param.required and default_fits(default, param.schema):
            defaults[param.name] = default
    return defaults
