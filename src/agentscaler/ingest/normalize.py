"""Normalization of tool schemas to one JSON Schema form: the normal form of the tool pool.

Every ``ToolSpec`` in a pool (imported, or written by hand like the built-in catalog) uses it.

**parameters** is always exactly::

    {"type": "object", "properties": {<name>: <schema>, ...}, "required": [<name>, ...]}

``required`` lists only names that are in ``properties``, each once, in the order given (it may
be empty). Other top-level keywords (``additionalProperties``, ``title``, ...) are dropped. A tool
with no parameters (missing, ``null`` or ``{}``) gets empty ``properties`` and ``required``.

**returns** is a JSON Schema (normally ``{"type": "object", "properties": {...}}``) or None.

**Each schema inside** (property schemas, ``items``, nested objects, ``returns``) is JSON Schema
2020-12 restricted to these keywords:

* ``type``: one of ``string integer number boolean array object null``, or a list of them.
  Dialect names are mapped (``dict``/``HashMap``/``Map`` -> object, ``list``/``tuple``/
  ``ArrayList``/``Array``/``set`` -> array, ``float``/``double``/``decimal`` -> number,
  ``int``/``long``/``short``/``byte`` -> integer, ``str``/``String``/``char`` -> string,
  ``bool``/``Boolean`` -> boolean, ``String[]``/``List<Long>`` -> array with ``items``,
  ``Map<K, V>`` -> object with ``additionalProperties``); ``any`` (or an empty type) becomes a
  schema with no ``type``. Without ``type``, ``properties`` implies object and ``items`` array.
  OpenAPI 3.0 ``nullable: true`` adds ``null``.
* ``description`` (trimmed; a missing one is taken from ``title``), ``enum`` (an enum of
  scalars on an array schema lists its items' values and moves into ``items``), ``const``,
  ``default``, ``examples`` (OpenAPI's ``example`` becomes ``examples``), ``format``, ``pattern``
  (only when it compiles), ``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum``/
  ``multipleOf`` (numbers; draft-4 boolean ``exclusiveMinimum`` is converted), ``minLength``/
  ``maxLength``/``minItems``/``maxItems``/``minProperties``/``maxProperties`` (non-negative
  integers), ``uniqueItems``, ``deprecated``, ``readOnly``, ``writeOnly``, ``contentEncoding``,
  ``contentMediaType``, ``$comment``.
* ``properties`` and ``required`` (nested objects, same rules; a property-level
  ``"required": true`` is moved to its parent's list), ``additionalProperties``, ``items`` (an
  ``items`` list becomes ``prefixItems``), ``prefixItems``, ``anyOf``, ``oneOf``, ``not``, and
  ``allOf`` (merged into the parent when all its parts are plain objects).
* ``$ref`` is inlined (local ``#/...`` pointers: ``$defs``, ``definitions``,
  ``components/schemas``); keywords beside a ``$ref`` override the target's. A reference to a
  schema that is already being expanded (a cycle) is cut and replaced by
  ``{"$comment": "recursive reference <ref> not expanded", "type": ..., "description": ...}``.
  ``$defs``/``definitions`` are removed once inlined.

Every other keyword (``optional``, ``title``, ``$schema``, ``$id``, vendor ``x-`` keys, ...) is
dropped, and boolean schemas become objects (``true`` -> ``{}``, ``false`` -> ``{"not": {}}``).

A record is **rejected** (:class:`agentscaler.errors.RecordRejected`, turned into a ``Reject``
by the import) when its meaning cannot be recovered: a schema that is not an object, a ``type``
nobody knows, ``enum``/``required``/``properties``/``items`` of the wrong kind, a description that
is not text, a ``$ref`` that points nowhere or outside the document, parameters that do not
describe an object, or a schema nested or expanded beyond the configured limits. Constraint
keywords with unusable values (a ``minimum`` that is not a number, a ``pattern`` that does not
compile) are dropped instead: the parameter is still described without them.

The normal form is valid against the JSON Schema 2020-12 metaschema by construction, and
normalizing it again changes nothing (normalization is idempotent), so a pool exported and
re-imported keeps its tool ids.
"""

from __future__ import annotations

from typing import Any

from agentscaler.ingest.config import IngestConfig
from agentscaler.ingest.rejects import RejectReason, rejected
from agentscaler.ingest.schema_walker import TYPE_HINT, SchemaNormalizer, kind_of
from agentscaler.ingest.type_names import parse_type_name, type_schema

__all__ = [
    "empty_parameters",
    "normalize_description",
    "normalize_parameters",
    "normalize_returns",
    "normalize_schema",
]

_DEFAULT_CONFIG = IngestConfig()
SELF: Any = object()
"""Marker for ``root``: resolve ``$ref`` against the schema being normalized itself."""

_ANNOTATION_ONLY = frozenset({"description", "$comment", "examples", "default", "deprecated"})


def empty_parameters() -> dict[str, Any]:
    return {"type": "object", "properties": {}, "required": []}


def normalize_description(value: Any, field: str) -> str:
    """A tool description: trimmed text, ``""`` when absent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    raise rejected(
        RejectReason.INVALID_FIELD, field, f"the description must be text, got {kind_of(value)}"
    )


def normalize_parameters(
    raw: Any,
    *,
    field: str = "/parameters",
    root: Any = SELF,
    properties_map: bool = False,
    required: Any = None,
    required_field: str = "/required",
    config: IngestConfig | None = None,
) -> dict[str, Any]:
    """The normal form of a tool's parameters.

    ``properties_map`` reads ``raw`` as a bare ``{name: schema}`` map (Seal-Tools) with the
    required names given separately in ``required``. ``root`` is the document ``$ref`` pointers
    are resolved in (OpenAPI: the whole spec); by default the schema itself.
    """
    if raw is None and required is None:
        return empty_parameters()
    if properties_map:
        raw = _wrap_properties(raw, field, required, required_field)
    normalizer = SchemaNormalizer(raw if root is SELF else root, config or _DEFAULT_CONFIG)
    out = normalizer.schema(raw, (field,), 0)
    kind = out.get("type")
    is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
    if not is_object and not (
        kind is None and ("properties" in out or out.keys() <= _ANNOTATION_ONLY)
    ):
        shown = kind if kind is not None else "no object type"
        raise rejected(
            RejectReason.NOT_AN_OBJECT,
            field,
            f"parameters must describe an object with properties, got {shown!r}; wrap a single "
            'value as {"type": "object", "properties": {"value": ...}}',
        )
    properties = out.get("properties", {})
    names = [name for name in out.get("required", ()) if name in properties]
    return {"type": "object", "properties": properties, "required": names}


def normalize_returns(
    raw: Any,
    *,
    field: str = "/returns",
    root: Any = SELF,
    properties_map: bool = False,
    config: IngestConfig | None = None,
) -> dict[str, Any] | None:
    """The normal form of what a tool returns (None when unknown)."""
    if raw is None:
        return None
    config = config or _DEFAULT_CONFIG
    if isinstance(raw, str):
        return _type_only_schema(raw, field, config)
    if properties_map:
        raw = _wrap_properties(raw, field, None, "")
    return SchemaNormalizer(raw if root is SELF else root, config).schema(raw, (field,), 0)


def normalize_schema(
    raw: Any, *, field: str = "", root: Any = SELF, config: IngestConfig | None = None
) -> dict[str, Any]:
    """The normal form of any schema (a property, an item, a response)."""
    return SchemaNormalizer(raw if root is SELF else root, config or _DEFAULT_CONFIG).schema(
        raw, (field,), 0
    )


def _wrap_properties(raw: Any, field: str, required: Any, required_field: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise rejected(
            RejectReason.INVALID_FIELD,
            field,
            f"expected an object mapping parameter names to schemas, got {kind_of(raw)}",
        )
    wrapped: dict[str, Any] = {"type": "object", "properties": raw}
    if required is not None:
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise rejected(
                RejectReason.INVALID_FIELD,
                required_field,
                f"required must be a list of parameter names, got {kind_of(required)}",
            )
        wrapped["required"] = required
    return wrapped


def _type_only_schema(name: str, field: str, config: IngestConfig) -> dict[str, Any]:
    info = parse_type_name(name)
    if info is None:
        if config.unknown_types == "any":
            return {}
        raise rejected(RejectReason.UNKNOWN_TYPE, field, f"unknown type {name!r}; {TYPE_HINT}")
    return type_schema(info)
