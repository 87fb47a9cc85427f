"""The file format of a vertical: one YAML file per everyday vertical of the built-in catalog.

A vertical file declares its property schemas once and lets every tool refer to them by name, so
the same field (``status``, ``order_id``, ``email``) has the same type, format and enum in every
tool of the vertical::

    slug: retail_orders                 # equals the file name without .yaml
    title: Retail orders
    summary: One sentence saying what the vertical covers.
    fields:                             # vertical-wide property schemas (JSON Schema 2020-12)
      order_id: {type: string, pattern: "^ORD-[0-9]{6}$", description: 'Order id, e.g. "ORD-104233".'}
      limit: {type: integer, minimum: 1, maximum: 100, default: 20, description: Results to return.}
    entities:                           # record types and their fields, in output order
      order:
        order_id:                       # empty value: the vertical-wide schema of that name
        status: {type: string, enum: [pending, shipped], description: ...}   # entity-local schema
    tools:
      - name: get_order
        kind: read                      # read | write
        description: What it does, when to use it, what it returns.
        required: [order_id]            # parameter names, in order
        optional: []                    # optional parameter names, after the required ones
        describe: {}                    # parameter descriptions specific to this tool
        defaults: {}                    # parameter defaults specific to this tool
        returns: order                  # an entity, or {record: E, list: E, fields: [...]}

A name used by a tool resolves, in this order, to: the schema the tool's entity defines locally,
the vertical-wide schema, a schema defined locally by exactly one other entity, or a range filter
derived from a field (``min_price``/``max_price`` from ``price``, ``order_date_from``/
``order_date_to`` from ``order_date``). The tool's entity is ``entity`` when given, else the one
its ``returns`` names, else the entity whose ``<entity>_id`` is its first required parameter or
first returned field. :mod:`agentscaler.catalog.expand` turns a file into normalized ToolSpecs.

Property schemas may use only the keywords in :data:`SCHEMA_KEYWORDS`, so a typo is an error
rather than a silently ignored keyword. Inside ``{...}`` flow mappings YAML ends a plain value at
a comma: quote descriptions that contain one. Quote ``"on"``, ``"off"``, ``"yes"`` and ``"no"``
in enums, which YAML would otherwise read as booleans.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_NAME = r"^[a-z][a-z0-9_]*$"

SCHEMA_KEYWORDS = frozenset(
    """type description enum default format minimum maximum exclusiveMinimum exclusiveMaximum
    pattern minLength maxLength items minItems maxItems properties required examples""".split()
)
"""The JSON Schema keywords a property schema of a vertical file may use."""


_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


def _is_a(value: Any, expected: type | tuple[type, ...]) -> bool:
    if isinstance(value, bool) and expected is not bool:
        return False  # YAML booleans are never integers or strings here
    return isinstance(value, expected)


def _check_schema_keywords(schema: Any, where: str) -> None:
    """Refuse keywords outside :data:`SCHEMA_KEYWORDS` (typos such as ``descripton``)."""
    if not isinstance(schema, dict):
        raise ValueError(f"{where}: a property schema must be a mapping, got {schema!r}")
    unknown = sorted(set(schema) - SCHEMA_KEYWORDS)
    if unknown:
        raise ValueError(
            f"{where}: unknown schema keyword(s) {', '.join(map(repr, unknown))}; "
            f"allowed: {', '.join(sorted(SCHEMA_KEYWORDS))}"
        )
    if "type" not in schema:
        raise ValueError(f"{where}: the schema has no 'type'")
    expected = _PYTHON_TYPES.get(schema["type"])
    wrong = [v for v in schema.get("enum", ()) if expected and not _is_a(v, expected)]
    if wrong:
        raise ValueError(
            f"{where}: enum values {wrong!r} are not of type {schema['type']!r} "
            "(quote values such as on/off/yes/no, which YAML reads as booleans)"
        )
    for name, sub in (schema.get("properties") or {}).items():
        _check_schema_keywords(sub, f"{where}.{name}")
    if "items" in schema:
        _check_schema_keywords(schema["items"], f"{where}[]")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ReturnsSpec(_Strict):
    """What a tool returns: a whole record, a list of records with a count, extra fields, or a mix."""

    record: str | None = Field(default=None, description="entity whose fields are returned")
    list_of: str | None = Field(
        default=None, alias="list", description="entity returned as a list plus a count"
    )
    fields: tuple[str, ...] = Field(default=(), description="further returned fields by name")
    description: str | None = Field(default=None, description="description of the returned list")

    @model_validator(mode="after")
    def _not_empty(self) -> ReturnsSpec:
        if self.record is None and self.list_of is None and not self.fields:
            raise ValueError("returns needs at least one of 'record', 'list' or 'fields'")
        if self.record is not None and self.list_of is not None:
            raise ValueError("returns cannot hold both a 'record' and a 'list'")
        return self

    @property
    def entity(self) -> str | None:
        return self.record or self.list_of


class ToolEntry(_Strict):
    """One tool of a vertical file."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{2,63}$")
    kind: Literal["read", "write"]
    description: str = Field(min_length=20)
    entity: str | None = None
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    describe: dict[str, str] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)
    returns: ReturnsSpec

    @field_validator("returns", mode="before")
    @classmethod
    def _entity_shorthand(cls, value: Any) -> Any:
        return {"record": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _parameters_known(self) -> ToolEntry:
        names = (*self.required, *self.optional)
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"parameters listed twice: {', '.join(duplicates)}")
        for key in (*self.describe, *self.defaults):
            if key not in names:
                raise ValueError(f"'{key}' is described or defaulted but is not a parameter")
        return self

    @property
    def primary_entity(self) -> str | None:
        return self.entity or self.returns.entity


class VerticalFile(_Strict):
    """A whole vertical file."""

    slug: str = Field(pattern=_NAME)
    title: str
    summary: str
    fields: dict[str, dict[str, Any]] = Field(default_factory=dict)
    entities: dict[str, dict[str, dict[str, Any] | None]]
    tools: tuple[ToolEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> VerticalFile:
        for field, schema in self.fields.items():
            _check_schema_keywords(schema, f"fields.{field}")
        for entity, fields in self.entities.items():
            for field, schema in fields.items():
                if schema is not None:
                    _check_schema_keywords(schema, f"entities.{entity}.{field}")
                if schema is None and field not in self.fields:
                    raise ValueError(
                        f"entity '{entity}' lists field '{field}' with no schema, and the vertical "
                        f"defines no field '{field}': give it a schema under fields or the entity"
                    )
        names = [tool.name for tool in self.tools]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"tools defined twice: {', '.join(duplicates)}")
        for tool in self.tools:
            for entity in (tool.entity, tool.returns.record, tool.returns.list_of):
                if entity is not None and entity not in self.entities:
                    raise ValueError(f"tool '{tool.name}' names unknown entity '{entity}'")
        return self
