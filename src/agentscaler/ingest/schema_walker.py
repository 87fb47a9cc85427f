"""The walk over one tool's schemas that produces the normal form (see :mod:`.normalize`).

:class:`SchemaNormalizer` keeps the ``$ref`` root, the stack of references being expanded (to cut
cycles) and a node counter (to bound expansion); field paths are kept as tuples and rendered as
JSON pointers only when a record is rejected.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from agentscaler.errors import RecordRejected
from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.refs import PointerError, join, resolve
from agentscaler.ingest.rejects import RejectReason, rejected
from agentscaler.ingest.type_names import JSON_TYPES, parse_type_name

_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_COUNT_KEYS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
_BOOL_KEYS = ("uniqueItems", "deprecated", "readOnly", "writeOnly")
_TEXT_KEYS = ("format", "contentEncoding", "contentMediaType", "$comment")
_COMBINATORS = ("anyOf", "oneOf", "allOf")
TYPE_HINT = (
    "use string, integer, number, boolean, array, object or null (or an alias such as dict, "
    "float, String, ArrayList, any)"
)


def kind_of(value: Any) -> str:
    """The JSON kind of a value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not _is_number(value) or value < 0:
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    return value


@lru_cache(maxsize=8192)
def _regex_ok(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return False
    return True


At = tuple[Any, ...]
"""A field path: the base pointer (text) followed by tokens, rendered only for messages."""


def _render(at: At) -> str:
    return join(at[0], *at[1:])


def _fail(reason: RejectReason, at: At, message: str) -> RecordRejected:
    return rejected(reason, _render(at), message)


_CONSTRAINT_KEYS = frozenset((*_TEXT_KEYS, *_NUMBER_KEYS, *_COUNT_KEYS, *_BOOL_KEYS, "pattern"))
_CHILD_KEYS = frozenset(
    ("properties", "required", "items", "prefixItems", "additionalProperties", "not", *_COMBINATORS)
)


class SchemaNormalizer:
    """Normalizes one tool's schemas; holds the ``$ref`` root, the expansion stack and counters."""

    def __init__(self, root: Any, config: IngestConfig) -> None:
        self.root = root
        self.config = config
        self.expanding: list[str] = []
        self.nodes = 0

    # --- one schema -------------------------------------------------------------------------
    def schema(self, raw: Any, at: At, depth: int) -> dict[str, Any]:
        if depth > self.config.max_schema_depth:
            raise _fail(
                RejectReason.TOO_COMPLEX,
                at,
                f"schemas are nested more than {self.config.max_schema_depth} levels deep "
                "(limit: IngestConfig.max_schema_depth)",
            )
        self.nodes += 1
        if self.nodes > self.config.max_schema_nodes:
            raise _fail(
                RejectReason.TOO_COMPLEX,
                at,
                f"the tool has more than {self.config.max_schema_nodes} schemas once $ref are "
                "inlined (limit: IngestConfig.max_schema_nodes)",
            )
        if raw is True:
            return {}
        if raw is False:
            return {"not": {}}
        if not isinstance(raw, dict):
            raise _fail(
                RejectReason.INVALID_FIELD,
                at,
                f"expected a schema (a JSON object), got {kind_of(raw)}",
            )
        if "$ref" in raw:
            return self._reference(raw, at, depth)
        out: dict[str, Any] = {}
        self._annotations(raw, at, out)
        self._type(raw, at, out)
        if not _CONSTRAINT_KEYS.isdisjoint(raw):
            self._constraints(raw, out)
        if not _CHILD_KEYS.isdisjoint(raw):
            self._children(raw, at, depth, out)
        if "enum" in out and out.get("type") == "array":
            _enum_into_items(out)
        return out

    def _annotations(self, raw: dict[str, Any], at: At, out: dict[str, Any]) -> None:
        description = raw.get("description")
        if description is not None:
            if not isinstance(description, str):
                raise _fail(
                    RejectReason.INVALID_FIELD,
                    (*at, "description"),
                    f"the description must be text, got {kind_of(description)}",
                )
            text = description.strip()
            if text:
                out["description"] = text
        elif isinstance(raw.get("title"), str) and raw["title"].strip():
            out["description"] = raw["title"].strip()
        if "enum" in raw:
            enum = raw["enum"]
            if not isinstance(enum, list):
                raise _fail(
                    RejectReason.INVALID_FIELD,
                    (*at, "enum"),
                    f"enum must be a list of allowed values, got {kind_of(enum)}",
                )
            out["enum"] = list(enum)
        if "const" in raw:
            out["const"] = raw["const"]
        if "default" in raw:
            out["default"] = raw["default"]
        if "examples" in raw or "example" in raw:
            if isinstance(raw.get("examples"), list):
                out["examples"] = list(raw["examples"])
            elif "example" in raw:
                out["examples"] = [raw["example"]]

    def _type(self, raw: dict[str, Any], at: At, out: dict[str, Any]) -> None:
        types: tuple[str, ...] | None = None
        if "type" in raw:
            value = raw["type"]
            if value.__class__ is str and value in JSON_TYPES:
                types = (value,)
            else:
                types = self._type_names(value, (*at, "type"), out)
        if types is None and "properties" in raw:  # also under a type that says nothing ("any")
            types = ("object",)
        elif types is None and ("items" in raw or "prefixItems" in raw):
            types = ("array",)
        if types is None:
            return
        if raw.get("nullable") is True and "null" not in types:
            types = (*types, "null")
        out["type"] = types[0] if len(types) == 1 else list(types)

    def _type_names(self, value: Any, at: At, out: dict[str, Any]) -> tuple[str, ...] | None:
        names = value if isinstance(value, list) else [value]
        found: list[str] = []
        for i, name in enumerate(names):
            where = (*at, i) if isinstance(value, list) else at
            if not isinstance(name, str):
                raise _fail(
                    RejectReason.INVALID_FIELD,
                    where,
                    f"a type must be a type name, got {kind_of(name)}; {TYPE_HINT}",
                )
            if name in JSON_TYPES:
                if name not in found:
                    found.append(name)
                continue
            info = parse_type_name(name)
            if info is None:
                if self.config.unknown_types == "any":
                    return None
                raise _fail(RejectReason.UNKNOWN_TYPE, where, f"unknown type {name!r}; {TYPE_HINT}")
            if info.types is None:
                return None
            found.extend(t for t in info.types if t not in found)
            if not isinstance(value, list):
                if info.items is not None:
                    out["items"] = info.items
                if info.values is not None:
                    out["additionalProperties"] = info.values
                if info.format:
                    out["format"] = info.format
        return tuple(found) or None

    @staticmethod
    def _constraints(raw: dict[str, Any], out: dict[str, Any]) -> None:
        for key in _CONSTRAINT_KEYS.intersection(raw):
            value = raw[key]
            if key in _TEXT_KEYS:
                if isinstance(value, str):
                    out[key] = value
            elif key in _NUMBER_KEYS:
                if _is_number(value) and (key != "multipleOf" or value > 0):
                    out[key] = value
            elif key in _COUNT_KEYS:
                count = _count(value)
                if count is not None:
                    out[key] = count
            elif key in _BOOL_KEYS:
                if isinstance(value, bool):
                    out[key] = value
            elif isinstance(value, str) and _regex_ok(value):
                out[key] = value
        for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if raw.get(bound) is True and limit in out:
                out[bound] = out.pop(limit)

    # --- nested schemas ---------------------------------------------------------------------
    def _children(self, raw: dict[str, Any], at: At, depth: int, out: dict[str, Any]) -> None:
        lifted: list[str] = []
        if "properties" in raw:
            out["properties"] = self._properties(raw["properties"], at, depth, lifted)
        if "items" in raw:
            items = raw["items"]
            if isinstance(items, list):
                if items:
                    out["prefixItems"] = self._schema_list(items, (*at, "items"), depth)
            elif isinstance(items, (dict, bool)):
                out["items"] = self.schema(items, (*at, "items"), depth + 1)
            else:
                raise _fail(
                    RejectReason.INVALID_FIELD,
                    (*at, "items"),
                    f"items must be a schema, got {kind_of(items)}",
                )
        if isinstance(raw.get("prefixItems"), list) and raw["prefixItems"]:
            out["prefixItems"] = self._schema_list(raw["prefixItems"], (*at, "prefixItems"), depth)
        for key in ("additionalProperties", "not"):
            if key in raw:
                value = raw[key]
                if not isinstance(value, (dict, bool)):
                    raise _fail(
                        RejectReason.INVALID_FIELD,
                        (*at, key),
                        f"{key} must be a schema or a boolean, got {kind_of(value)}",
                    )
                out[key] = self.schema(value, (*at, key), depth + 1)
        for key in _COMBINATORS:
            if key in raw:
                value = raw[key]
                if not isinstance(value, list):
                    raise _fail(
                        RejectReason.INVALID_FIELD,
                        (*at, key),
                        f"{key} must be a list of schemas, got {kind_of(value)}",
                    )
                if value:
                    out[key] = self._schema_list(value, (*at, key), depth)
        if "allOf" in out:
            lifted.extend(_merge_all_of(out))
        self._required(raw, at, out, lifted)

    def _properties(self, props: Any, at: At, depth: int, lifted: list[str]) -> dict[str, Any]:
        where = (*at, "properties")
        if not isinstance(props, dict):
            raise _fail(
                RejectReason.INVALID_FIELD,
                where,
                f"properties must be an object mapping names to schemas, got {kind_of(props)}",
            )
        result: dict[str, Any] = {}
        for name, sub in props.items():
            if not isinstance(name, str):
                raise _fail(RejectReason.INVALID_FIELD, where, "property names must be text")
            result[name] = self.schema(sub, (*where, name), depth + 1)
            if isinstance(sub, dict) and sub.get("required") is True:
                lifted.append(name)
        return result

    @staticmethod
    def _required(raw: dict[str, Any], at: At, out: dict[str, Any], lifted: list[str]) -> None:
        value = raw.get("required")
        names: list[str] = []
        if isinstance(value, list):
            for i, name in enumerate(value):
                if not isinstance(name, str):
                    raise _fail(
                        RejectReason.INVALID_FIELD,
                        (*at, "required", i),
                        f"required must list property names, got {kind_of(name)}",
                    )
                names.append(name)
        elif value is not None and not isinstance(value, bool):
            raise _fail(
                RejectReason.INVALID_FIELD,
                (*at, "required"),
                f"required must be a list of property names, got {kind_of(value)}",
            )
        names.extend(lifted)
        if not names:
            return
        unique = list(dict.fromkeys(names))
        if "properties" in out:
            unique = [name for name in unique if name in out["properties"]]
        if unique:
            out["required"] = unique

    def _schema_list(self, values: list[Any], at: At, depth: int) -> list[dict[str, Any]]:
        return [self.schema(v, (*at, i), depth + 1) for i, v in enumerate(values)]

    # --- references -------------------------------------------------------------------------
    def _reference(self, raw: dict[str, Any], at: At, depth: int) -> dict[str, Any]:
        ref = raw["$ref"]
        where = (*at, "$ref")
        if not isinstance(ref, str):
            raise _fail(RejectReason.INVALID_FIELD, where, f"$ref must be text, got {kind_of(ref)}")
        if not ref.startswith("#"):
            raise _fail(
                RejectReason.UNRESOLVED_REF,
                where,
                f"external reference {ref!r} is not supported; bundle the schema into one "
                "document (references must start with '#')",
            )
        try:
            target = resolve(self.root, ref[1:])
        except PointerError as exc:
            raise _fail(
                RejectReason.UNRESOLVED_REF,
                where,
                f"$ref {ref!r} points nowhere in the document ({exc})",
            ) from None
        if ref in self.expanding:
            resolved = _cycle_marker(ref, target)
        else:
            self.expanding.append(ref)
            try:
                resolved = self.schema(target, where, depth + 1)
            finally:
                self.expanding.pop()
        siblings = {k: v for k, v in raw.items() if k != "$ref"}
        if siblings:
            resolved = {**resolved, **self.schema(siblings, at, depth)}
        return resolved


def _enum_into_items(out: dict[str, Any]) -> None:
    """``{"type": "array", "enum": ["a", "b"]}`` means the allowed *items*: no array equals a
    string, so as written nothing would be valid. The enum moves into ``items``."""
    enum = out["enum"]
    if not enum or any(isinstance(v, (list, dict)) for v in enum):
        return
    items = out.get("items", {})
    if isinstance(items, dict) and "enum" not in items:
        out["items"] = {**items, "enum": out.pop("enum")}


def _cycle_marker(ref: str, target: Any) -> dict[str, Any]:
    marker: dict[str, Any] = {"$comment": f"recursive reference {ref} not expanded"}
    if isinstance(target, dict):
        kind = target.get("type")
        info = parse_type_name(kind) if isinstance(kind, str) else None
        if info is not None and info.types is not None and len(info.types) == 1:
            marker["type"] = info.types[0]
        elif kind is None and "properties" in target:
            marker["type"] = "object"
        description = target.get("description")
        if isinstance(description, str) and description.strip():
            marker["description"] = description.strip()
    return marker


_MERGEABLE = frozenset({"type", "properties", "required", "description"})


def _merge_all_of(out: dict[str, Any]) -> list[str]:
    """Fold ``allOf`` into the parent when every part is a plain object schema.

    Returns the names the parts require (the caller adds them to the parent's ``required``).
    """
    parts = out["allOf"]
    if out.get("type", "object") != "object":
        return []
    for part in parts:
        if not part.keys() <= _MERGEABLE or part.get("type", "object") != "object":
            return []
        if "properties" not in part:
            return []
    properties = dict(out.get("properties", {}))
    required: list[str] = []
    for part in parts:
        for name, sub in part["properties"].items():
            properties.setdefault(name, sub)
        required.extend(part.get("required", ()))
        if "description" in part and "description" not in out:
            out["description"] = part["description"]
    del out["allOf"]
    out["type"] = "object"
    out["properties"] = properties
    return required
