"""What a created row holds beyond its arguments: counters that start at zero and the prices the
service fills in.

* A counter (a column some write adds to or takes from: an event's ``tickets_sold``) starts at
  0 in a created row, so arithmetic on it never meets a null.
* A count of days or nights follows from the first and last day the row is created with (a
  leave request's working days, a stay's nights).
* A price a create does not take as an argument comes from where the service gets it: the
  world's own formula for it (a parking session's fee by the fee calculator's rule), else the
  row the call names (a ticket order's total is the event's price times the quantity, a
  training session's price the trainer's hourly rate for its length, a booking's fare the
  train's price), as a formula in the insert's values (null when a value it reads is); a
  currency comes with it from the same row.
* A price nothing the call names can give is the column's default, drawn once from the range
  the seeder draws that column's values from (a season ticket's price).

Every value is a spec value, so it shows in ``spec.yaml`` and in the generated code.
"""

from __future__ import annotations

import random
import re

from agentscaler.canonical import stable_seed
from agentscaler.naming import split_identifier
from agentscaler.worlds.seeding.derived import derived_columns
from agentscaler.worlds.seeding.kinds import number_range
from agentscaler.worlds.seeding.pairs import MINUTES_PER_UNIT, pairs_of, spans
from agentscaler.worlds.spec.model import (
    SpecColumn,
    SpecEffect,
    SpecEntity,
    SpecLookup,
    SpecTool,
    WorldSpec,
)

_PRICE_WORDS = frozenset({"price", "fare", "fee", "cost", "total", "subtotal", "rate"})
"""Words of a money column a create fills in (the price of what is bought)."""

_LATER_WORDS = frozenset(
    {
        "final",
        "refund",
        "refunded",
        "credit",
        "approved",
        "compensation",
        "tip",
        "discount",
        "estimate",
        "deposit",
        "balance",
    }
)
"""Words of a money column set later or only sometimes (a refund, a final price, a tip)."""

_SOURCE_PRICES = (
    "price",
    "unit_price",
    "base_price",
    "fare",
    "base_fare",
    "ticket_price",
    "price_per_ticket",
    "hourly_rate",
    "price_per_hour",
    "nightly_rate",
    "price_per_night",
    "rate",
    "fee",
    "monthly_fee",
)
"""Columns of a named row that price what a create buys, most specific first."""

_QUANTITIES = ("quantity", "tickets", "ticket_count", "seats", "passengers", "party_size")
"""Columns of a created row that count how many of the priced thing it holds."""

_HOURLY = re.compile(r"hourly|per_hour")
_NIGHTLY = re.compile(r"nightly|per_night")
_TOTAL = re.compile(r"(^|_)(total|subtotal|amount|cost)(_|$)")


def _zero(column: SpecColumn) -> int | float:
    return 0 if column.type == "INTEGER" else 0.0


def counter_defaults(spec: WorldSpec) -> WorldSpec:
    """The spec with every counter column starting at zero in a created row."""
    counted: set[tuple[str, str]] = set()
    for tool in spec.tools.values():
        for effect in tool.effects:
            if effect.op in ("increment", "decrement"):
                entity = tool.row_entity(effect.target)
                counted.update((entity, c) for c in effect.values if entity)
    entities = dict(spec.entities)
    for name, entity in spec.entities.items():
        columns = dict(entity.columns)
        for column_name, column in entity.columns.items():
            if column.default is not None or column_name == entity.key:
                continue
            if column.type not in ("INTEGER", "REAL") or column.values or column.only_when:
                continue
            if (name, column_name) in counted:
                columns[column_name] = column.model_copy(update={"default": _zero(column)})
        if columns != entity.columns:
            entities[name] = entity.model_copy(update={"columns": columns})
    return spec.model_copy(update={"entities": entities})


def filled_price(name: str, column: SpecColumn) -> bool:
    """Whether a created row's money column is one the service always fills (a price, fare or
    total of what is bought, not a refund or a tip set later)."""
    if column.kind != "money" or column.only_when or column.values:
        return False
    words = set(split_identifier(name))
    return bool(words & _PRICE_WORDS) and not words & _LATER_WORDS


def _operand(value: object) -> str | None:
    """A spec value as an expression operand (``$quantity``, ``=x`` -> ``(x)``)."""
    if isinstance(value, str) and value.startswith("$"):
        return value
    if isinstance(value, str) and value.startswith("="):
        return f"({value[1:]})"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _number_column(entity: SpecEntity, name: str) -> bool:
    column = entity.columns.get(name)
    return column is not None and column.type in ("INTEGER", "REAL") and not column.only_when


def _length(values: dict[str, object], per: str) -> str | None:
    """How many hours (``per="hour"``) or nights (``per="night"``) a created row spans, from
    the values it is created with (its duration, or its start and end)."""
    if per == "hour":
        minutes = _operand(values.get("duration_minutes"))
        if minutes is not None:
            return f"{minutes} / 60"
        hours = _operand(values.get("duration_hours"))
        if hours is not None:
            return hours
        between = "hours_between"
    else:
        between = "days_between"
    for start, end in pairs_of(values):
        first, second = _operand(values[start]), _operand(values[end])
        if first is not None and second is not None:
            return f"{between}({first}, {second})"
    return None


def _quantity(values: dict[str, object], created: SpecEntity, priced: SpecEntity) -> str | None:
    """How many of the priced thing a created row holds (its quantity, or its list of seats)."""
    for name in _QUANTITIES:
        operand = _operand(values.get(name))
        column = created.columns.get(name)
        if operand is None or column is None or name in priced.columns:
            continue
        if column.type == "JSON":  # a list of what is bought (seats): as many as it holds
            return f"len({operand})"
        if column.type in ("INTEGER", "REAL"):
            return operand
    return None


_ARGUMENT = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _substituted(
    formula: str, named: list[tuple[str, SpecEntity]], values: dict[str, object]
) -> tuple[str, list[str]] | None:
    """``formula`` with each argument read from the created row's values or from a named row's
    column of the same name, and the rows it reads; None when an argument is neither."""
    rows: list[str] = []

    def operand(match: re.Match[str]) -> str:
        name = match.group(1)
        given = _operand(values.get(name))
        if given is not None:
            return given
        for row, entity in named:
            if _number_column(entity, name):
                rows.append(row)
                return f"{row}.{name}"
        raise LookupError(name)

    try:
        return _ARGUMENT.sub(operand, formula), rows
    except LookupError:
        return None


def _stated(
    formulas: list[str], named: list[tuple[str, SpecEntity]], values: dict[str, object]
) -> tuple[str, str] | None:
    """A formula of the world's own (a compute tool's ``fee``) read from the created row and
    the rows the call names, and the row it prices by."""
    for formula in formulas:
        made = _substituted(formula, named, values)
        if made is not None and made[1]:  # priced by what the call names, not by arguments alone
            return made[0], made[1][0]
    return None


def _price_formula(
    target: str,
    named: list[tuple[str, SpecEntity]],
    values: dict[str, object],
    created: SpecEntity,
    formulas: list[str] = (),  # type: ignore[assignment]
) -> tuple[str, str] | None:
    """How a created row's price ``target`` follows from a row the call names, and that row's
    name: the world's own formula for it, a rate times the row's length, the same column, else
    the row's price (times the quantity for a total)."""
    stated = _stated(formulas, named, values)
    if stated is not None:
        return stated
    for source in _SOURCE_PRICES:
        per = "hour" if _HOURLY.search(source) else "night" if _NIGHTLY.search(source) else None
        if per is None:
            continue
        length = _length(values, per)
        for row, entity in named:
            if length is not None and _number_column(entity, source):
                return f"=round({row}.{source} * {length}, 2)", row
    for row, entity in named:
        column = entity.columns.get(target)
        if column is not None and column.kind == "money" and not column.only_when:
            return f"={row}.{target}", row
    for source in _SOURCE_PRICES:
        if _HOURLY.search(source) or _NIGHTLY.search(source):
            continue
        for row, entity in named:
            if not _number_column(entity, source):
                continue
            quantity = _quantity(values, created, entity) if _TOTAL.search(target) else None
            if quantity is not None:
                return f"=round({row}.{source} * {quantity}, 2)", row
            return f"={row}.{source}", row
    return None


def _days_formula(name: str, column: SpecColumn, values: dict[str, object]) -> str | None:
    """How many days or nights a created row spans, from the first and last day it is created
    with (a leave request's ``days_requested``, a stay's ``nights``); None for another column."""
    words = set(split_identifier(name))
    if column.type not in ("INTEGER", "REAL") or column.values or not words & {"days", "nights"}:
        return None
    for start, end in pairs_of(values):
        first, last = _operand(values[start]), _operand(values[end])
        if first is None or last is None:
            continue
        if "nights" in words:
            return f"=days_between({first}, {last})"
        if words & {"working", "business"} or "working day" in column.description.lower():
            return f"=working_days({first}, {last})"
        return f"=days_between({first}, {last}) + 1"
    return None


def _started_now(entity: SpecEntity, values: dict[str, object]) -> dict[str, object]:
    """The start and end of a row created for a length from now (a parking session started for
    90 minutes: ``started_at`` now, ``ends_at`` 90 minutes later) when the call gives neither."""
    made: dict[str, object] = {}
    for start, end, length in spans(entity.columns):
        column = entity.columns[start]
        moment = (
            column.kind == "datetime" or (column.value_schema or {}).get("format") == "date-time"
        )
        operand = _operand(values.get(length))
        if start in values or end in values or operand is None or not moment:
            continue
        per = MINUTES_PER_UNIT[length]
        hours = (
            operand if per == 60 else f"{operand} / 60" if per == 1 else f"{operand} * {per} / 60"
        )
        made[start] = "=now()"
        made[end] = _guarded(f"=add_hours(now(), {hours})", [])
    return made


def _guarded(formula: str, rows: list[str]) -> str:
    """``formula`` made null when a value it reads is (an optional argument not given, a named
    row without a price) instead of failing on the arithmetic: ``=a * b if a is not None and b
    is not None else None``; a plain copy (``=row.price``) as it is."""
    body = formula.removeprefix("=")
    names = re.compile(
        r"\$[A-Za-z_][A-Za-z0-9_]*|\b(?:" + "|".join(map(re.escape, rows)) + r")\.[A-Za-z_]\w*"
        if rows
        else r"\$[A-Za-z_][A-Za-z0-9_]*"
    )
    read = list(dict.fromkeys(names.findall(body)))
    if not read or read == [body]:
        return formula
    present = " and ".join(f"{operand} is not None" for operand in read)
    return f"={body} if {present} else None"


def _drawn_price(spec: WorldSpec, entity: SpecEntity, name: str, column: SpecColumn) -> float:
    """A price from the range the seeder draws the column's values from (the same for every
    build of the world)."""
    integer = column.type == "INTEGER"
    span = number_range(name, integer, entity.table, spec.name) or (5.0, 500.0)
    schema = column.value_schema or {}
    low, high = span
    if isinstance(schema.get("minimum"), int | float):
        low = max(low, float(schema["minimum"]))  # type: ignore[arg-type]
    if isinstance(schema.get("maximum"), int | float):
        high = min(high, float(schema["maximum"]))  # type: ignore[arg-type]
    rng = random.Random(stable_seed("created-price", spec.domain, entity.table, name))
    value = rng.uniform(low, max(low, high))
    return float(round(value)) if integer else round(value, 2)


def _create_values(
    spec: WorldSpec, tool: SpecTool, formulas: dict[str, list[str]]
) -> tuple[SpecTool, dict[str, object]]:
    """The tool with its insert deriving the prices it leaves unset, and the drawn defaults of
    those nothing derives (column -> value); ``formulas``: the world's compute formulas by the
    field they make."""
    drawn: dict[str, object] = {}
    effects = list(tool.effects)
    for index, effect in enumerate(effects):
        if effect.insert is None or effect.each is not None or effect.insert != tool.entity:
            continue
        entity = spec.entities.get(effect.insert)
        if entity is None:
            continue
        values = dict(effect.values)
        named = [
            (row, spec.entities[lookup.entity])
            for row, lookup in tool.find.items()
            if lookup.each is None
            and not lookup.optional
            and lookup.entity != effect.insert
            and lookup.entity in spec.entities
        ]
        # what is bought prices it, never the person buying (a member's own monthly fee)
        named = [(row, other) for row, other in named if tool.find[row].entity != spec.user]
        values.update(_started_now(entity, values))
        for name, column in entity.columns.items():
            if name in values or name == entity.key or column.default is not None:
                continue
            counted = _days_formula(name, column, values)
            if counted is not None:
                values[name] = _guarded(counted, [])
                continue
            if not filled_price(name, column):
                continue
            made = _price_formula(name, named, values, entity, formulas.get(name, []))
            if made is None:
                drawn[name] = _drawn_price(spec, entity, name, column)
                continue
            formula, row = made
            values[name] = _guarded(formula, [r for r, _ in named])
            currency = column.currency or "currency"
            other = spec.entities[tool.find[row].entity]
            if currency in entity.columns and currency not in values and currency in other.columns:
                values[currency] = f"={row}.{currency}"
        if values != effect.values:
            effects[index] = effect.model_copy(update={"values": values})
    return tool.model_copy(update={"effects": tuple(effects)}), drawn


def created_values(spec: WorldSpec) -> WorldSpec:
    """The spec with created rows' counters starting at zero and their prices filled (see the
    module's description)."""
    spec = counter_defaults(spec)
    tools = dict(spec.tools)
    entities = dict(spec.entities)
    formulas: dict[str, list[str]] = {}
    for tool in spec.tools.values():
        for field, formula in tool.compute.items():
            if formula.startswith("="):
                formulas.setdefault(field, []).append(formula)
    for name, tool in spec.tools.items():
        if tool.kind != "create" or tool.access != "write":
            continue
        tools[name], drawn = _create_values(spec, tool, formulas)
        if drawn and tool.entity in entities:
            entity = entities[tool.entity]
            columns = dict(entity.columns)
            for column, value in drawn.items():
                if columns[column].default is None:
                    columns[column] = columns[column].model_copy(update={"default": value})
            entities[tool.entity] = entity.model_copy(update={"columns": columns})
    return spec.model_copy(update={"tools": tools, "entities": entities})


_ANY_ARGUMENT = re.compile(r"\$(?:\{([^}]+)\}|([A-Za-z_][A-Za-z0-9_]*))")


def rederived_values(spec: WorldSpec) -> WorldSpec:
    """A write that changes what a created row's derived value reads computes it again by the
    create's formula (new dates of a stay: its price is its new nights at its room's rate),
    reading the row's own columns after the change and the rows it names."""
    tools = dict(spec.tools)
    for item in derived_columns(spec):
        inputs = {column for _, column in item.arguments}
        for name, tool in tools.items():
            if tool.kind not in ("update", "transition") or tool.entity != item.entity:
                continue
            row = next(
                (r for r, f in tool.find.items() if f.entity == item.entity and f.each is None),
                None,
            )
            changed = {
                c for e in tool.effects if e.op == "update" and e.target == row for c in e.values
            }
            if row is None or not inputs & changed or item.column in changed:
                continue
            find = dict(tool.find)
            renamed: dict[str, str] = {}
            for found, other, _, _, own in item.found:
                key = spec.entities[other].key
                by = {key: f"={row}.{own}"}
                bound = next((n for n, f in find.items() if f.entity == other and f.by == by), None)
                if bound is None:
                    bound, n = f"{found}_now", 2
                    while bound in find:
                        bound, n = f"{found}_now_{n}", n + 1
                    find[bound] = SpecLookup(entity=other, by=by, optional=True)
                renamed[found] = bound
            columns = dict(item.arguments)

            def argument(match: re.Match[str], row: str = row, columns=columns) -> str:
                return f"{row}.{columns[match.group(1) or match.group(2)]}"

            formula = _ANY_ARGUMENT.sub(argument, item.formula)
            for found, bound in renamed.items():
                formula = re.sub(rf"\b{re.escape(found)}\.", f"{bound}.", formula)
            recompute = SpecEffect(
                update=row,
                values={item.column: formula},
                when=" and ".join(f"{b} is not None" for b in renamed.values()) or None,
                source=f"{item.column.replace('_', ' ')} follows from what it is computed from",
            )
            tools[name] = tool.model_copy(
                update={"find": find, "effects": (*tool.effects, recompute)}
            )
    return spec.model_copy(update={"tools": tools})


__all__ = ["counter_defaults", "created_values", "filled_price", "rederived_values"]
