"""Sampling arguments that should succeed on the current state of an environment.

The sampler reads each parameter's role in the tool's binding: keys and references come from
existing rows (for a transition, a row in one of its source statuses; for an update, new values
that differ from the current ones), search filters from the values of a real row so results are
not empty, and everything else from the parameter's JSON Schema and the column's meaning.
Sampled arguments always validate against the tool's schema.
"""

from __future__ import annotations

import random
import re
from typing import Any

from agentscaler.errors import InvalidArgument
from agentscaler.naming import entity_of_parameter, split_identifier
from agentscaler.records.world import ParamBinding, ToolBinding
from agentscaler.worlds.infer.semantics import semantic_of
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.runtime.formulas import UNIT_FAMILIES, unit_arguments
from agentscaler.worlds.runtime.text_formats import TEXT_FORMATS, TextFormat
from agentscaler.worlds.schemas import resolve_schema, schema_type, values_of
from agentscaler.worlds.seeding.names import make_name, name_kind, vocabulary_of
from agentscaler.worlds.seeding.pairs import (
    ahead,
    counterpart,
    free_pairs,
    is_occasion,
    order,
    pairs_of,
)
from agentscaler.worlds.seeding.values import ValueFactory, faker_pool
from agentscaler.worlds.spec.expr import param_of
from agentscaler.worlds.spellings import AS_TEXT, to_tool

FORWARD = frozenset(
    """start starts begin begins resume resumes expiry expiration expires due deadline departure
    scheduled effective renewal""".split()
)
"""Words of a date a write sets that lies ahead of the clock (``resume_date``, ``start_date``,
``railcard_expiry``): a service does not start, resume or expire what it sets in the past."""

_IN_FORMAT = re.compile(r"\bin_format\(\$\{?(\w+)\}?, '(\w+)'\)")
_TAKEN_OUT = re.compile(r"^=\[v for v in coalesce\(\w+\.(\w+), \[\]\) if v != \$\{?([\w-]+)\}?\]$")


class ArgumentSampler:
    """Samples valid arguments for the tools of a world, given an environment's state."""

    def __init__(self, env: WorldEnv) -> None:
        self.env = env
        self.world = env.world
        self._tables_by_entity = {m.table.entity: m for m in env.world.schema.tables.values()}

    def sample(
        self,
        tool: str,
        rng: random.Random | int,
        *,
        optional: float = 0.5,
        anchor: dict[str, Any] | None = None,
        fixed: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Arguments for ``tool``: required ones always, optional ones with probability ``optional``.

        ``anchor`` is the row the call is about (default: a random row that fits the tool, e.g. in
        a transition's source status); ``fixed`` arguments are kept as given (e.g. values an
        earlier call returned) and the others are sampled around them.
        """
        rng = rng if isinstance(rng, random.Random) else random.Random(rng)
        entry = self.world.tools[tool]
        binding = self.world.binding(tool)
        properties = entry.parameters.get("properties") or {}
        required = set(entry.parameters.get("required") or ())
        factory = ValueFactory(rng.getrandbits(64))
        self._call_seed = rng.getrandbits(32) if self._units(tool) else 0
        anchor = anchor if anchor is not None else self._anchor_row(binding, rng)
        roles = {p.name: p for p in binding.params}
        include = {name for name in properties if name in required or rng.random() < optional}
        include |= {p.name for p in binding.params if p.role == "key" and p.name in properties}
        include |= set(fixed or ())
        if binding.operation == "update":
            writable = [
                p.name for p in binding.params if p.role in ("field", "fields", "reference")
            ]
            if writable and not include & set(writable):
                include.add(rng.choice(writable))
        if binding.operation == "get" and not binding.key_param:
            include |= {p.name for p in binding.params if p.role == "filter" and p.name in required}
        arguments: dict[str, Any] = {}
        for name in properties:
            if name not in include:
                continue
            if fixed and name in fixed:
                arguments[name] = fixed[name]
                continue
            schema = resolve_schema(properties[name] if isinstance(properties[name], dict) else {})
            role = roles.get(name)
            value = self._value(binding, role, name, schema, anchor, factory, rng, arguments)
            other = counterpart(name, arguments)
            keyed = role is not None and role.role == "key"
            for _ in range(8 if other is not None and not keyed else 0):
                if value != arguments.get(other):
                    break  # a conversion from EUR is to another currency, a trip to another city
                value = self._value(binding, role, name, schema, anchor, factory, rng, arguments)
            if isinstance(value, (dict, list)) and not (role is not None and role.role == "key"):
                value = self._existing_ids(value, rng)
            if value is not None:
                arguments[name] = value
        pairs = [
            (start, end)
            for start, end in free_pairs(pairs_of(arguments), properties)
            if not (fixed and (start in fixed or end in fixed))
        ]
        # an end after its start (a report's end_date), a stay booked for days, not months
        order(pairs, arguments, rng, occasion=is_occasion(tool))
        if binding.operation in ("create", "update", "transition"):
            # a stay booked, or moved to other days, is to come; so is the day a paused
            # subscription resumes, a season ticket starts or a card set on a row expires
            kept = set(fixed or ())
            later: set[str] = set()
            if binding.operation == "transition" or not is_occasion(tool):
                later = {n for n in arguments if set(split_identifier(n)) & FORWARD}
                later |= {end for start, end in pairs_of(arguments) if start in later}
                kept |= set(arguments) - later
            ahead(arguments, self.env.db.now(), rng, kept, forward=later)
        return self._repair(entry, arguments, properties, factory)

    def _units(self, tool: str) -> tuple[str, ...]:
        """Arguments of ``tool`` its formulas read as unit names (sampled as real units)."""
        spec = self.world.load_spec()
        entry = spec.tools.get(tool) if spec is not None else None
        return unit_arguments(entry.compute.values()) if entry is not None else ()

    def _formats(self, tool: str) -> dict[str, TextFormat]:
        """Arguments of ``tool`` its rules require in a named format (``in_format($v, 'x')``)."""
        spec = self.world.load_spec()
        entry = spec.tools.get(tool) if spec is not None else None
        found: dict[str, TextFormat] = {}
        for rule in entry.requires if entry is not None else ():
            for match in _IN_FORMAT.finditer(rule.check):
                if match.group(2) in TEXT_FORMATS:
                    found[match.group(1)] = TEXT_FORMATS[match.group(2)]
        return found

    def _taken_from_list(self, tool: str) -> dict[str, str]:
        """``{argument: column}`` of the list columns a tool takes the argument out of
        (``unfollow_user(username)``: ``[v for v in coalesce(row.following_list, []) if v !=
        $username]``)."""
        spec = self.world.load_spec()
        entry = spec.tools.get(tool) if spec is not None else None
        found: dict[str, str] = {}
        for effect in entry.effects if entry is not None else ():
            for column, value in effect.values.items():
                match = _TAKEN_OUT.match(value) if isinstance(value, str) else None
                if match is not None and match.group(1) == column:
                    found[match.group(2)] = column
        return found

    def _looked_up(self, tool: str) -> dict[str, tuple[str, str]]:
        """``{argument: (table, column)}`` of the rows a compute tool looks up by an argument
        (a currency conversion's two rates): sampled from the values the table holds."""
        spec = self.world.load_spec()
        entry = spec.tools.get(tool) if spec is not None else None
        if entry is None or entry.kind != "compute":
            return {}
        found = {}
        for lookup in entry.find.values():
            entity = spec.entities.get(lookup.entity)
            for column, value in lookup.by.items():
                name = param_of(value)
                if entity is not None and name is not None:
                    found[name] = (entity.table, column)
        return found

    def _existing_ids(self, value: Any, rng: random.Random) -> Any:
        """Ids nested in objects and lists (``items[].product_id``) replaced by existing ones."""
        if isinstance(value, list):
            return [self._existing_ids(v, rng) for v in value]
        if not isinstance(value, dict):
            return value
        result = {}
        for key, item in value.items():
            entity = entity_of_parameter(key)
            table = self._tables_by_entity.get(entity) if entity else None
            if table is not None and isinstance(item, (str, int)) and not isinstance(item, bool):
                rows = self.env.random_rows(table.name, 1, rng)
                if rows:
                    stored = rows[0][table.key]
                    item = (
                        stored
                        if isinstance(stored, type(item))
                        else type(item)(stored)
                        if isinstance(item, str)
                        else item
                    )
            result[key] = self._existing_ids(item, rng)
        return result

    @staticmethod
    def _key_inside(
        schema: dict[str, Any], entity: str | None, key: Any, factory: ValueFactory
    ) -> Any:
        """An object argument holding the acted-on row's key (``propertyDetails.propertyID``)."""
        value = factory.value(schema, None, "")
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        if not isinstance(value, dict):
            value = {}
        for prop, sub in props.items():
            if entity is not None and entity_of_parameter(prop) == entity:
                value[prop] = _as_schema_type(
                    key, resolve_schema(sub) if isinstance(sub, dict) else {}
                )
        return value

    # --- per role ---------------------------------------------------------------------------
    def _anchor_row(self, binding: ToolBinding, rng: random.Random) -> dict[str, Any] | None:
        """The existing row a call is about (a transition's row is in a source status)."""
        if not binding.table:
            return None
        where = None
        if binding.status_column and binding.from_status:
            where = {binding.status_column: list(binding.from_status)}
        rows = self.env.random_rows(binding.table, 1, rng, where=where)
        if not rows and binding.status_column and binding.to_status:
            candidates = self.env.random_rows(binding.table, 8, rng)
            rows = [r for r in candidates if r.get(binding.status_column) != binding.to_status][:1]
        if not rows:
            rows = self.env.random_rows(binding.table, 1, rng)
        return rows[0] if rows else None

    def _value(
        self,
        binding: ToolBinding,
        role: ParamBinding | None,
        name: str,
        schema: dict[str, Any],
        anchor: dict[str, Any] | None,
        factory: ValueFactory,
        rng: random.Random,
        made: dict[str, Any] | None = None,
    ) -> Any:
        """A value of argument ``name`` (``made``: the arguments sampled before it)."""
        table = self.world.schema.tables.get(binding.table) if binding.table else None
        column = table.table.column(role.column) if table and role and role.column else None
        semantic = column.semantic if column is not None else semantic_of(name, schema)
        kind = role.role if role else "option"
        if kind == "key":
            if binding.operation == "create":
                return _as_schema_type(self.env.db.new_id(binding.table), schema)
            if anchor is not None and table is not None:
                if schema_type(schema) == "object":
                    return self._key_inside(schema, table.table.entity, anchor[table.key], factory)
                return _as_schema_type(anchor[table.key], schema)
        if kind in ("reference", "filter") and role is not None and role.table:
            if kind == "filter" and anchor is not None and role.column in anchor:
                return _as_schema_type(anchor[role.column], schema)
            current = anchor.get(role.column) if anchor is not None and role.column else None
            rows = [
                r
                for r in self.env.random_rows(role.table, 3, rng)
                if r[self.world.schema.tables[role.table].key] != current
            ]
            if rows:
                ref_key = self.world.schema.tables[role.table].key
                keys = [_as_schema_type(r[ref_key], schema_type_items(schema)) for r in rows[:2]]
                return keys if schema_type(schema) == "array" else keys[0]
        if (
            kind == "field"
            and column is not None
            and column.value_schema
            and self.env.world.tools[binding.name].spellings.get(name) == AS_TEXT
        ):  # the tool takes the column's object as text: the text of one
            return to_tool(factory.value(column.value_schema, semantic, name), AS_TEXT)
        if kind == "filter" and anchor is not None and role and role.column in anchor:
            value = anchor[role.column]
            if value is not None and (binding.operation != "search" or rng.random() < 0.7):
                spelled = self.env.world.tools[binding.name].spellings.get(name)
                return _as_schema_type(to_tool(value, spelled) if spelled else value, schema)
        if (
            kind in ("min", "max")
            and anchor is not None
            and role
            and anchor.get(role.column) is not None
        ):
            value = anchor[role.column]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = (
                    value
                    if rng.random() < 0.5
                    else value + (-1 if kind == "min" else 1) * abs(value) * 0.1
                )
                return _as_schema_type(round(value, 2), schema)
            return _as_schema_type(value, schema)
        if kind == "text" and anchor is not None:
            texts = [
                v
                for k, v in anchor.items()
                if isinstance(v, str) and k != (table.key if table else "")
            ]
            if texts:
                words = rng.choice(texts).split()
                if words:
                    return rng.choice(words)
        if kind == "limit":
            return _as_schema_type(rng.randint(1, 10), schema)
        if (
            kind == "field"
            and column is not None
            and column.enum
            and binding.operation in ("update", "create")
        ):
            options = [v for v in column.enum if anchor is None or v != anchor.get(column.name)]
            enum = schema.get("enum")
            if enum:
                options = [
                    v
                    for v in enum
                    if anchor is None
                    or binding.operation == "create"
                    or v != anchor.get(column.name)
                ] or enum
            if options:
                return rng.choice(options)
        documented = _documented(schema) if kind in ("option", "field", "filter") else ()
        if documented:  # one of the values the argument's description lists (``[Enum]: [...]``)
            if schema_type(schema) == "array":
                return rng.sample(documented, rng.randint(1, len(documented)))
            current = anchor.get(column.name) if anchor is not None and column is not None else None
            return rng.choice([v for v in documented if v != current] or documented)
        looked_up = self._looked_up(binding.name).get(name) if kind == "option" else None
        if looked_up is not None:
            rows = self.env.random_rows(looked_up[0], 1, rng)
            if rows and rows[0].get(looked_up[1]) is not None:
                return _as_schema_type(rows[0][looked_up[1]], schema)
        taken_from = self._taken_from_list(binding.name).get(name) if kind == "option" else None
        if taken_from is not None and anchor is not None:
            held = anchor.get(taken_from)
            if isinstance(held, list) and held:  # a value the list holds, so it is taken out
                return _as_schema_type(rng.choice(held), schema)
        text_format = self._formats(binding.name).get(name)
        if text_format is not None:
            return text_format.valid
        if name in self._units(binding.name):
            family = random.Random(f"{self._call_seed}:units").choice(UNIT_FAMILIES)
            return rng.choice(family)
        entity = table.table.entity if table is not None else ""
        words = vocabulary_of(column.value_schema or {}) if column is not None else ()
        words = vocabulary_of(schema) or words
        current = anchor.get(column.name) if anchor is not None and column is not None else None
        if words and binding.operation in ("create", "update") and kind == "field":
            free = [w for w in words if w != current]
            if binding.operation == "create" and free:  # a name no row holds yet
                rows = self.env.db.find(
                    binding.table, where={column.name: free}, fields=[column.name]
                )
                held = {row[column.name] for row in rows}
                free = [w for w in free if w not in held]
            if free:
                return rng.choice(free)
        named = (
            name_kind(column.name, entity, [c.name for c in table.table.columns])
            if column is not None and table is not None and column.type == "TEXT"
            else None
        )
        if named is not None and not {"enum", "pattern", "format", "const"} & set(schema):
            return make_name(named, rng, made or {}, entity, faker_pool)
        value = factory.value(schema, semantic, name, entity=entity)
        if binding.operation == "update" and anchor is not None and column is not None:
            for _ in range(5):
                if value != anchor.get(column.name):
                    break
                value = factory.value(schema, semantic, name, entity=entity)
        if binding.operation == "create" and column is not None and isinstance(value, str):
            for _ in range(5):  # a new record's made-up name or title is a new one
                if not self.env.db.find(binding.table, where={column.name: value}, limit=1):
                    break
                value = factory.value(schema, semantic, name, entity=entity)
        return value

    def _repair(
        self,
        entry: Any,
        arguments: dict[str, Any],
        properties: dict[str, Any],
        factory: ValueFactory,
    ) -> dict[str, Any]:
        """Regenerate arguments that do not validate from their own schema alone (an optional
        one that still fails is left out)."""
        required = set(entry.parameters.get("required") or ())
        tried: list[str] = []
        for _ in range(6):
            try:
                return entry.validator.validate(arguments)
            except InvalidArgument as exc:
                bad = _offending(str(exc), arguments, properties)
                if bad is None:
                    raise
                schema = properties.get(bad) if isinstance(properties.get(bad), dict) else {}
                value = factory.value(schema, semantic_of(bad, schema), bad)
                if bad in arguments and bad not in required and arguments[bad] is not None:
                    value = None if tried.count(bad) else value
                tried.append(bad)
                if value is None and bad not in required:
                    arguments.pop(bad, None)
                else:
                    arguments[bad] = value
        return entry.validator.validate(arguments)


_JSON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def _documented(schema: dict[str, Any]) -> list[Any]:
    """The values an argument's description lists as its allowed ones (``[Enum]: ["on",
    "off"]``), or of each element of a list argument, when the schema has no ``enum`` and the
    values have its type; else ``[]``."""
    if "enum" in schema or "const" in schema:
        return []
    json_type = schema_type(schema)
    if json_type == "array":
        json_type = schema_type(schema_type_items(schema))
    kinds = _JSON_TYPES.get(json_type or "")
    values = list(values_of(schema))
    if not kinds or not values:
        return []
    fits = all(
        isinstance(v, kinds) and (bool not in kinds) == (not isinstance(v, bool)) for v in values
    )
    return values if fits else []


def schema_type_items(schema: dict[str, Any]) -> dict[str, Any]:
    if schema_type(schema) == "array" and isinstance(schema.get("items"), dict):
        return resolve_schema(schema["items"])
    return schema


def _as_schema_type(value: Any, schema: dict[str, Any]) -> Any:
    """Convert a stored value to the parameter's JSON type where that is lossless."""
    json_type = schema_type(schema)
    if value is None:
        return None
    try:
        if json_type == "string" and not isinstance(value, str):
            return str(value)
        if json_type == "integer" and isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        if json_type == "integer" and isinstance(value, float) and value.is_integer():
            return int(value)
        if json_type == "number" and isinstance(value, str):
            return float(value)
        if json_type == "array" and not isinstance(value, list):
            return [value]
    except ValueError:
        return value
    return value


def _offending(message: str, arguments: dict[str, Any], properties: dict[str, Any]) -> str | None:
    for name in arguments:
        if f"'{name}'" in message:
            return name
    for name in properties:
        if f"'{name}'" in message and name not in arguments:
            return name
    return None
