"""Coherent rows: one seeded row of a table, built from the world's spec.

The order inside a row matters: the state first (a row's status), then the columns that belong
to a state (null unless the row is in it), names before the e-mail made from them, countries
before the phones of that country, starts before ends. Values come from the meaning of the
column (see :mod:`agentscaler.worlds.seeding.kinds`) within the bounds of its schema.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from agentscaler.canonical import stable_seed
from agentscaler.records.world import Column, Table, World
from agentscaler.worlds.config import DEFAULT_CLOCK
from agentscaler.worlds.seeding import kinds
from agentscaler.worlds.seeding.values import ValueFactory, faker_pool
from agentscaler.worlds.spec.model import SpecEntity, WorldSpec

_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
_END = re.compile(r"(^|_)(end|ends|check_out|checkout|arrival|return|dropoff|until|to)(_|$)")
_START = {
    "end": "start",
    "ends": "starts",
    "check_out": "check_in",
    "checkout": "checkin",
    "arrival": "departure",
    "return": "pickup",
    "dropoff": "pickup",
    "until": "from",
    "to": "from",
}


class CoherentRows:
    """Makes the rows of a world's tables from its spec (one instance per seeded state)."""

    def __init__(self, world: World, spec: WorldSpec, seed: int) -> None:
        self.world = world
        self.spec = spec
        text = spec.clock or world.clock or DEFAULT_CLOCK
        self.clock = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        rng = ValueFactory(stable_seed("world-currency", world.id)).rng
        self.currency = rng.choice(kinds.MAJOR_CURRENCIES[:4])
        self.entities = {e.table: e for e in spec.entities.values()}

    def row(
        self, table: Table, key: Any, keys: dict[str, list[Any]], factory: ValueFactory
    ) -> dict[str, Any]:
        entity = self.entities.get(table.name)
        rng = factory.rng
        row: dict[str, Any] = {}
        ordered = sorted(table.columns, key=lambda c: _order(c, entity))
        for column in ordered:
            if column.primary_key:
                row[column.name] = key
                continue
            spec_column = entity.columns.get(column.name) if entity else None
            gate = spec_column.only_when if spec_column is not None else None
            if gate and any(row.get(o) not in allowed for o, allowed in gate.items()):
                row[column.name] = None
                continue
            if column.references:
                pool = keys.get(column.references) or []
                row[column.name] = rng.choice(pool) if pool else None
                continue
            row[column.name] = self.value(column, row, factory)
        if entity is not None:
            self._order_dates(entity, row, factory)
        return row

    # --- values -----------------------------------------------------------------------------
    def value(self, column: Column, row: dict[str, Any], factory: ValueFactory) -> Any:
        rng = factory.rng
        name = column.name
        schema = column.value_schema or {}
        if column.enum:
            return rng.choice(list(column.enum))
        semantic = column.semantic
        if column.type == "TEXT" and "enum" not in schema:
            made = None
            if semantic == "currency" and _three_letters(schema):
                made = kinds.currency(rng, self.currency)
            elif (semantic == "country" or name.endswith("country")) and _two_letters(schema):
                made = kinds.country(rng)
            elif re.search(r"(^|_)(origin|destination|airport)(_code)?$", name):
                made = kinds.airport(rng)[0]
            elif semantic == "phone":
                made = kinds.phone(rng, _country_of(row))
            elif semantic == "email":
                person = _person_name(row) or rng.choice(faker_pool("person_name"))
                made = kinds.email_for(person, rng, _EMAIL_DOMAINS)
            pattern = schema.get("pattern")
            if made is not None and (not isinstance(pattern, str) or _matches(pattern, made)):
                return made
        if column.type == "TEXT" and semantic in ("date", "datetime") and "pattern" not in schema:
            low, high = kinds.date_window(name, self.clock)
            day = low + dt.timedelta(days=rng.randrange(max(1, (high - low).days)))
            if semantic == "date" or schema.get("format") == "date":
                return day.isoformat()
            minute = rng.choice((0, 15, 30, 45))
            return f"{day.isoformat()}T{rng.randint(6, 21):02d}:{minute:02d}:00Z"
        if column.type in ("INTEGER", "REAL") and "enum" not in schema:
            span = kinds.number_range(name, column.type == "INTEGER")
            if span is not None:
                return _number_in(span, schema, column.type == "INTEGER", rng)
        return factory.value(schema, semantic, name)

    def _order_dates(self, entity: SpecEntity, row: dict[str, Any], factory: ValueFactory) -> None:
        """Ends after their starts (by a few hours or days)."""
        rng = factory.rng
        for name in list(row):
            match = _END.search(name)
            if match is None or row.get(name) is None:
                continue
            start = name.replace(match.group(2), _START[match.group(2)], 1)
            if row.get(start) is None or start == name:
                continue
            first, second = str(row[start]), str(row[name])
            if second > first:
                continue
            try:
                if len(first) <= 10:
                    moved = dt.date.fromisoformat(first) + dt.timedelta(days=rng.randint(1, 10))
                    row[name] = moved.isoformat()
                else:
                    moment = dt.datetime.fromisoformat(first.replace("Z", "+00:00"))
                    hours = rng.randint(1, 6) if "time" in name else rng.randint(24, 240)
                    moved_at = moment + dt.timedelta(hours=hours)
                    text = moved_at.isoformat(timespec="seconds").replace("+00:00", "Z")
                    row[name] = text
            except ValueError:
                continue


def _order(column: Column, entity: SpecEntity | None) -> tuple[int, str]:
    """States first, then names and countries (what later columns derive from)."""
    spec_column = entity.columns.get(column.name) if entity else None
    if column.primary_key:
        return (0, "")
    if spec_column is not None and spec_column.kind == "status":
        return (1, column.name)
    if column.semantic in ("person_name", "first_name", "last_name", "country"):
        return (2, column.name)
    if spec_column is not None and spec_column.only_when:
        return (4, column.name)
    return (3, "")  # stable: keep the table's order among the rest


def _person_name(row: dict[str, Any]) -> str | None:
    for key in ("full_name", "name", "customer_name", "passenger_name", "patient_name"):
        value = row.get(key)
        if isinstance(value, str) and " " in value:
            return value
    first = next(
        (v for k, v in row.items() if k.endswith("first_name") and isinstance(v, str)), None
    )
    last = next((v for k, v in row.items() if k.endswith("last_name") and isinstance(v, str)), None)
    if first and last:
        return f"{first} {last}"
    return None


def _country_of(row: dict[str, Any]) -> str:
    for key, value in row.items():
        if key.endswith("country") and isinstance(value, str) and len(value) == 2:
            return value
    return "US"


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _two_letters(schema: dict[str, Any]) -> bool:
    pattern = str(schema.get("pattern", ""))
    return "{2}" in pattern or schema.get("maxLength") == 2 or not pattern


def _three_letters(schema: dict[str, Any]) -> bool:
    pattern = str(schema.get("pattern", ""))
    return "{3}" in pattern or schema.get("maxLength") == 3 or not pattern


def _number_in(
    span: tuple[float, float], schema: dict[str, Any], integer: bool, rng: Any
) -> float | int:
    low, high = span
    if isinstance(schema.get("minimum"), int | float):
        low = max(low, schema["minimum"])
    if isinstance(schema.get("maximum"), int | float):
        high = min(high, schema["maximum"])
    if high < low:
        low, high = high, low
    if integer:
        return rng.randint(int(low), int(high))
    return round(rng.uniform(low, high), 2)
