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
from agentscaler.naming import split_identifier
from agentscaler.records.world import Column, Table, World
from agentscaler.worlds.config import DEFAULT_CLOCK
from agentscaler.worlds.seeding import addresses, columns, kinds, names, tense
from agentscaler.worlds.seeding import pairs as pairs_
from agentscaler.worlds.seeding.addresses import AddressGroup, address_groups
from agentscaler.worlds.seeding.amounts import amount_parts
from agentscaler.worlds.seeding.common_fields import examples_in
from agentscaler.worlds.seeding.derived import derived_columns
from agentscaler.worlds.seeding.labels import field_maker
from agentscaler.worlds.seeding.names import name_kind, vocabulary_of
from agentscaler.worlds.seeding.texts import named_columns, text_kind, text_maker
from agentscaler.worlds.seeding.values import ValueFactory, faker_pool, fit_length, fits_schema
from agentscaler.worlds.seeding.worded import WORDED, names_words, worded
from agentscaler.worlds.spec.model import SpecEntity, WorldSpec

_EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
_AIRPORT = re.compile(r"(^|_)(origin|destination|airport)(_code)?$")
_CRYPTO = re.compile(r"(^|_)(crypto|cryptocurrency|coin)(_symbol|_ticker)?$")


class CoherentRows:
    """Makes the rows of a world's tables from its spec (one instance per world and spec; every
    value comes from the factory a row is made with)."""

    def __init__(self, world: World, spec: WorldSpec) -> None:
        self.world = world
        self.spec = spec
        text = spec.clock or world.clock or DEFAULT_CLOCK
        self.clock = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        rng = ValueFactory(stable_seed("world-currency", world.id)).rng
        self.currency = rng.choice(kinds.MAJOR_CURRENCIES[:4])
        self.home = addresses.home_country(self.currency)
        """The country of the world's addresses and phones unless a row names another."""
        self._groups: dict[str, list[AddressGroup]] = {}
        self._allowed: dict[str, dict[str, tuple[Any, ...]]] = {}
        """Per table, the closed sets of values of its columns (enums)."""
        self.entities = {e.table: e for e in spec.entities.values()}
        self._tables = {t.name: t for t in world.tables}
        self._plans: dict[str, tuple[list[tuple[Any, ...]], list[tuple[str, str]]]] = {}
        self._available: dict[str, list[tuple[str, str]]] = {}
        self._flags: dict[str, list[tuple[str, str]]] = {}
        """Per table, ``(in_stock flag, stock level)`` column pairs."""
        """Per table, ``(available_x, x)`` column pairs: what is available is at most x."""
        self.amounts = amount_parts(spec)
        self.derived = derived_columns(spec)
        """The columns that creates derive from the row and the rows it names."""
        """The tables whose amounts follow from their child rows."""
        self.references = {
            t.name: {c.name: c.references for c in t.columns if c.references} for t in world.tables
        }
        """Per table, the table each of its reference columns names."""
        self._counterparts: dict[str, list[tuple[str, str]]] = {}
        """Per table, ``(from, to)`` columns whose values differ in a row (``base_currency``,
        ``target_currency``)."""
        self._timing: dict[str, tense.Timing | None] = {}
        """Per table, the columns that put a row in time."""
        self._moments: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str, str]]]] = {}
        """Per table, ``(day, date-time)`` column pairs that describe the same moment and
        ``(start, end, length)`` triples (an end is its start plus the length)."""

    def rows(
        self, table: Table, table_keys: list[Any], keys: dict[str, list[Any]], draw: columns.Draw
    ) -> list[dict[str, Any]]:
        """The rows of ``table`` with primary keys ``table_keys``, made a column at a time."""
        plan = self._plans.get(table.name)
        if plan is None:
            plan = self._plans[table.name] = self._plan(table)
        columns, pairs = plan
        rows: list[dict[str, Any]] = [{} for _ in table_keys]
        count = len(rows)
        for name, gate, ref, make in columns:
            if make is None and ref is None:
                values = table_keys
            elif isinstance(ref, tuple):  # a list of ids of another table's rows
                values = _id_lists(keys.get(ref[0]) or [], ref[1], ref[2], count, draw)
            elif ref is not None:
                pool = keys.get(ref) or []
                values = draw.picks(pool, count) if pool else [None] * count
            else:
                values = make(rows, draw)
            if gate:
                for row, value in zip(rows, values, strict=True):
                    row[name] = (
                        None if any(row.get(o) not in allowed for o, allowed in gate) else value
                    )
            else:
                for row, value in zip(rows, values, strict=True):
                    row[name] = value
        for first, second in self._counterparts.get(table.name, ()):
            _apart(rows, first, second, draw.rng)  # a rate from one currency to another
        near = None
        for group in self._groups.get(table.name, ()):
            near = group.fill(rows, draw, self.home, near)
        rng = draw.rng
        flags = self._flags.get(table.name, ())
        allowed = self._allowed.get(table.name)
        available = self._available.get(table.name, ())
        moments, lengths = self._moments.get(table.name, ([], []))
        timing = self._timing.get(table.name)
        if not (pairs or timing or moments or lengths or flags or available):
            return rows
        occasion = pairs_.is_occasion(table.name)
        for row in rows:
            if pairs:
                pairs_.order(pairs, row, rng, allowed, occasion=occasion)
            if moments or lengths:
                pairs_.agree(moments, row, lengths)  # a departure's day is the departure's
            if timing is not None:  # a completed appointment lies in the past
                tense.place(row, timing, self.clock, rng, occasion=occasion)
                if moments:
                    pairs_.agree(moments, row)
            for flag, level in flags:
                if isinstance(row.get(level), int | float):
                    row[flag] = row[level] > 0  # in stock exactly when the stock is above zero
            for free, booked in available:
                total = row.get(booked)
                if isinstance(total, int | float) and isinstance(row.get(free), int | float):
                    # what is available is the booked level less what is held (pending payments)
                    held = total * rng.choice((0.0, 0.0, 0.02, 0.05, 0.1)) if total > 0 else 0
                    value = total - held
                    row[free] = int(value) if isinstance(row[free], int) else round(value, 2)
        return rows

    def _plan(self, table: Table) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]]]:
        """How each column of a table is made, decided once: ``(name, gate, referenced table,
        maker)`` in making order, and the (start, end) pairs to keep in order."""
        entity = self.entities.get(table.name)
        groups = self._groups[table.name] = address_groups(table)
        countries = {g.country: g for g in groups if g.country}
        made = []
        for column in sorted(table.columns, key=lambda c: _order(c, entity)):
            if column.primary_key:
                made.append((column.name, None, None, None))
                continue
            spec_column = entity.columns.get(column.name) if entity else None
            gate = (
                tuple((o, tuple(a)) for o, a in spec_column.only_when.items())
                if spec_column is not None and spec_column.only_when
                else None
            )
            if column.references:
                made.append((column.name, gate, column.references, None))
                continue
            listed = _listed_ids(column, table, self.world)
            if listed is not None:
                made.append((column.name, gate, listed, None))
                continue
            if column.name in countries:
                choices = sorted(countries[column.name].candidates)
                made.append((column.name, gate, None, columns.choice(choices)))
                continue
            made.append((column.name, gate, None, self._maker(column, table.name)))
        names = {c.name for c in table.columns}
        levels = [n for n in sorted(names) if _STOCK_LEVEL.search(n)]
        self._flags[table.name] = [
            (c.name, levels[0])
            for c in table.columns
            if levels and c.name in ("in_stock", "is_in_stock", "available_in_stock")
        ]
        self._available[table.name] = [
            (name, name.removeprefix("available_"))
            for name in sorted(names)
            if name.startswith("available_") and name.removeprefix("available_") in names
        ]
        self._allowed[table.name] = {
            c.name: tuple(c.enum or (c.value_schema or {}).get("enum") or ())
            for c in table.columns
            if c.enum or (c.value_schema or {}).get("enum")
        }
        self._moments[table.name] = (pairs_.same_moments(names), pairs_.spans(names))
        ordered = pairs_.pairs_of(names)
        self._timing[table.name] = _timing(table, entity, ordered)
        timeless = {c.name for c in table.columns if c.semantic not in ("date", "datetime", "time")}
        self._counterparts[table.name] = [
            (first, name)
            for name in sorted(timeless)
            if (first := pairs_.counterpart(name, timeless)) is not None
        ]
        return made, ordered

    def _maker(self, column: Column, table: str = "") -> columns.Maker:
        """How ``column``'s values are made for all rows (from the rows so far and a draw)."""
        name = column.name
        schema = column.value_schema or {}
        semantic = column.semantic
        owner = self._tables.get(table)
        entity = owner.entity if owner is not None else ""
        if column.enum:
            values = list(column.enum)
            spec_column = self.entities[table].columns.get(name) if table in self.entities else None
            narrowed = [v for v in schema.get("enum") or () if v in values]
            if narrowed and (spec_column is None or spec_column.kind != "status"):
                values = narrowed  # the values every tool taking the column accepts
            return columns.choice(values)
        pattern = schema.get("pattern") if isinstance(schema.get("pattern"), str) else None
        compiled = _compile(pattern) if pattern else None

        def checked(make: columns.Maker) -> columns.Maker:
            if compiled is None:
                return make

            def maker(rows: list[dict[str, Any]], draw: columns.Draw) -> list[Any]:
                values = make(rows, draw)
                for index, value in enumerate(values):
                    if not compiled.search(value):
                        values[index] = draw.factory.value(schema, semantic, name)
                return values

            return maker

        words = vocabulary_of(schema) if column.type == "TEXT" else ()
        if words:  # the service's own values (its stations, not airports) come first
            same = [
                c.name
                for c in (owner.columns if owner is not None else ())
                if c.type == "TEXT" and vocabulary_of(c.value_schema or {}) == words
            ]
            shift = sorted(same).index(name) if name in same else 0
            return checked(columns.vocabulary(words, shift))
        if column.type == "TEXT" and "enum" not in schema:
            if _CRYPTO.search(name):
                return checked(columns.choice(kinds.CRYPTOCURRENCIES))
            if semantic == "currency" and _three_letters(schema):
                return checked(columns.currencies(self.currency))
            if (semantic == "country" or name.endswith("country")) and _two_letters(schema):
                return checked(columns.choice(kinds.MAJOR_COUNTRIES))
            if _AIRPORT.search(name):
                return checked(columns.airports())
            if semantic == "phone":
                return checked(
                    columns.one_by_one(
                        lambda row, draw: kinds.phone(draw.rng, _country_of(row, self.home))
                    )
                )
            if semantic == "email" and text_kind(name) is None:  # not an email_body
                source = _name_source(name, owner) if owner is not None else ()
                return checked(
                    columns.one_by_one(
                        lambda row, draw: kinds.email_for(
                            _name_in(row, source)
                            or _person_name(row)
                            or draw.rng.choice(faker_pool("person_name")),
                            draw.rng,
                            _EMAIL_DOMAINS,
                        )
                    )
                )
        if column.type == "TEXT" and semantic in ("date", "datetime") and pattern is None:
            low, high = kinds.date_window(name, self.clock)
            days = max(1, (high - low).days)
            if semantic == "date" or schema.get("format") == "date":
                return columns.dates(low, days)
            return columns.moments(low, days, 6, 21)
        if column.type in ("INTEGER", "REAL") and "enum" not in schema:
            integer = column.type == "INTEGER" or schema.get("type") == "integer"
            span = kinds.number_range(name, integer, table, self.world.name)
            if span is not None and _within(span, schema):
                low, high = _span_in(span, schema)
                return (
                    columns.integers(int(low), int(high))
                    if integer
                    else columns.decimals(low, high)
                )
        named_kind = (
            name_kind(name, entity or "", [c.name for c in owner.columns])
            if column.type == "TEXT" and owner is not None
            else None
        )
        if named_kind is not None and not {"enum", "format"} & set(schema):
            return checked(names.name_maker(named_kind, entity or "", faker_pool))
        if (
            column.type == "TEXT"
            and semantic in (None, "text", "company", "title", "label", "email")
            and text_kind(name) is not None
            and not ({"enum", "pattern", "format"} & set(schema))
        ):
            named = named_columns(c.name for c in owner.columns) if owner else None
            text = text_maker(name, entity, named=named)
            fitted = {"minLength", "maxLength"} & set(schema)

            def texts(rows: list[dict[str, Any]], draw: columns.Draw) -> list[Any]:
                rng = draw.rng
                if not fitted:
                    return [text(row, rng) for row in rows]
                return [fit_length(text(row, rng), schema, rng) for row in rows]

            return texts
        is_text = column.type == "TEXT"
        if semantic == "category" and is_text and not ({"enum", "pattern"} & set(schema)):
            examples = examples_in(column.description)
            if examples:
                return checked(columns.choice(examples))  # "such as 'Physics' or 'Chemistry'"
        if (
            is_text
            and semantic in WORDED
            and pattern is not None
            and compiled is not None
            and names_words(name)
            and not ({"enum", "format"} & set(schema))
        ):  # a channel's name "design-reviews" under a pattern of slugs, not "f4_u2ebx"
            make = field_maker(name, entity, examples_in(column.description))
            drawn = columns.generic(schema, semantic, name)

            def fits(value: str) -> bool:
                return fits_schema(value, schema)

            def shaped(rows: list[dict[str, Any]], draw: columns.Draw) -> list[Any]:
                rng = draw.rng
                made = [worded(make(rng, entity, faker_pool), pattern, fits, rng) for _ in rows]
                missing = [i for i, value in enumerate(made) if value is None]
                if missing:
                    fill = drawn([rows[i] for i in missing], draw)
                    for index, value in zip(missing, fill, strict=True):
                        made[index] = value
                return made

            return shaped
        if (
            is_text
            and semantic in (None, "title", "label")
            and not ({"enum", "pattern", "format"} & set(schema))
        ):  # a pet's name, a task's title, a trip's purpose: by what the row is
            make = field_maker(name, entity, examples_in(column.description))
            fitted = {"minLength", "maxLength"} & set(schema)

            def labels(rows: list[dict[str, Any]], draw: columns.Draw) -> list[Any]:
                rng = draw.rng
                if not fitted:
                    return [make(rng, entity, faker_pool) for _ in rows]
                return [fit_length(make(rng, entity, faker_pool), schema, rng) for _ in rows]

            return labels
        return columns.generic(schema, semantic, name)


_STOCK_LEVEL = re.compile(r"^(stock|stock_quantity|stock_level|units_in_stock|quantity_in_stock)$")


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
    if column.type == "TEXT" and text_kind(column.name) is not None:
        return (3, "~")  # free texts after the names they mention
    return (3, "")  # stable: keep the table's order among the rest


_PAIRED = re.compile(r"interaction|pair|match|swap|link|conflict")


def _listed_ids(column: Column, table: Table, world: World) -> tuple[str, int, int] | None:
    """``(table, fewest, most)`` of a list column holding ids of another table's rows (a drug
    interaction's ``medications``): by its name (the other table's entity in the plural, or
    ``<entity>_ids``) and an item pattern the other table's ids match. A row of what pairs
    things (an interaction, a match) names two at least."""
    schema = column.value_schema or {}
    items = schema.get("items")
    if schema.get("type") != "array" or not isinstance(items, dict):
        return None
    if "enum" in items or "format" in items:
        return None
    named_ids = column.name.endswith("_ids")
    words = column.name.removesuffix("_ids")
    for other in world.tables:
        if other.name == table.name or not other.entity:
            continue
        if words not in (f"{other.entity}s", other.name) and not (
            named_ids and words == other.entity
        ):
            continue
        wanted = "integer" if other.key_column.type == "INTEGER" else "string"
        if items.get("type") != wanted:
            continue
        pattern = items.get("pattern")
        sample = f"{other.id_prefix}{'1' * (other.id_width or 5)}"
        described = re.search(r"\bid\b|identifier", str(items.get("description", "")).lower())
        if isinstance(pattern, str):
            if not other.id_prefix or not re.search(pattern, sample):
                continue
        elif not (named_ids or described):
            continue
        fewest = int(schema.get("minItems", 1))
        if _PAIRED.search(table.name) or _PAIRED.search(table.entity):
            fewest = max(fewest, 2)
            return other.name, fewest, fewest  # a pair names two
        most = int(schema.get("maxItems", max(fewest, 3)))
        return other.name, fewest, max(fewest, min(most, fewest + 2))
    return None


def _id_lists(pool: list[Any], fewest: int, most: int, count: int, draw: columns.Draw) -> list[Any]:
    """``count`` lists of distinct ids from ``pool``, of ``fewest`` to ``most`` each."""
    if not pool:
        return [[] for _ in range(count)]
    sizes = draw.gen.integers(fewest, most + 1, count).tolist()
    return [
        [pool[i] for i in draw.gen.choice(len(pool), min(size, len(pool)), replace=False).tolist()]
        for size in sizes
    ]


def _name_source(email: str, table: Table) -> tuple[str, ...]:
    """The column(s) naming the person an e-mail column belongs to: the name of the same prefix
    (``attendee_name`` for ``attendee_email``; or its first and last names), else the table's
    one person-name column; () when none is known."""
    names = {c.name: c for c in table.columns}
    prefix = re.sub(r"_?e?_?mail(_address)?$", "", email)
    if prefix:
        for full in (f"{prefix}_name", f"{prefix}_full_name"):
            if full in names:
                return (full,)
        first, last = f"{prefix}_first_name", f"{prefix}_last_name"
        if first in names and last in names:
            return first, last
    people = [c.name for c in table.columns if c.semantic == "person_name"]
    return (people[0],) if len(people) == 1 else ()


def _name_in(row: dict[str, Any], source: tuple[str, ...]) -> str | None:
    parts = [row.get(column) for column in source]
    if not parts or not all(isinstance(p, str) and p for p in parts):
        return None
    return " ".join(parts)  # type: ignore[arg-type]


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


def _country_of(row: dict[str, Any], home: str = "US") -> str:
    for key, value in row.items():
        if key.endswith("country") and isinstance(value, str) and len(value) == 2:
            return value
    return home


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _apart(rows: list[dict[str, Any]], first: str, second: str, rng: Any) -> None:
    """Give ``second`` another of the values its column holds where a row has the same value in
    ``first`` and ``second`` (a rate from CAD to CAD)."""
    held = [r.get(second) for r in rows]
    for row in rows:
        if row.get(first) is not None and row.get(first) == row.get(second):
            others = [v for v in held if v is not None and v != row[first]]
            if others:
                row[second] = rng.choice(others)


def _timing(
    table: Table, entity: SpecEntity | None, pairs: list[tuple[str, str]]
) -> tense.Timing | None:
    """The columns that put the rows of a table in time by their status (an appointment, a
    stay, a flight, a prescription that expires); None for other tables."""
    status = next(
        (
            c.name
            for c in table.columns
            if (
                entity is not None
                and c.name in entity.columns
                and entity.columns[c.name].kind == "status"
            )
            or c.name == "status"
        ),
        None,
    )
    dates = [
        c.name
        for c in table.columns
        if c.semantic in ("date", "datetime")
        and not {"birth", "dob"} & set(split_identifier(c.name))
    ]
    if status is None:
        return None
    paired = sorted({first for first, end in pairs if first in dates and end in dates})
    start = (
        tense.start_column(dates, occasion=pairs_.is_occasion(table.name))
        or (paired[0] if len(paired) == 1 else None)  # a loan's checkout before its due date
        or tense.made_column(dates)
    )
    if start is None:
        closing = tense.closing_column(dates)
        return None if closing is None else tense.Timing(status, closing, [], dates, closes=True)
    same = [b for a, b in pairs_.same_moments(dates) if a == start]
    if same:  # a flight's time starts at its departure time, its day follows
        start, same = same[0], [start, *same[1:]]
    else:
        same = [a for a, b in pairs_.same_moments(dates) if b == start]
    group = {start, *same}
    ends = [*same, *(end for first, end in pairs if first in group and end in dates)]
    if not ends:  # an order placed, delivered by its estimated arrival
        ends = [c for c in dates if c != start and tense.closes(c)]
    return tense.Timing(status, start, list(dict.fromkeys(ends)), dates)


def _two_letters(schema: dict[str, Any]) -> bool:
    pattern = str(schema.get("pattern", ""))
    if isinstance(schema.get("minLength"), int) and schema["minLength"] > 2:
        return False
    return "{2}" in pattern or schema.get("maxLength") == 2 or not pattern


def _three_letters(schema: dict[str, Any]) -> bool:
    pattern = str(schema.get("pattern", ""))
    if isinstance(schema.get("minLength"), int) and schema["minLength"] > 3:
        return False
    return "{3}" in pattern or schema.get("maxLength") == 3 or not pattern


def _within(span: tuple[float, float], schema: dict[str, Any]) -> bool:
    """Whether a name's usual range meets the schema's bounds (else the bounds decide)."""
    low, high = span
    floor, ceiling = schema.get("minimum"), schema.get("maximum")
    if isinstance(floor, int | float) and floor > high:
        return False
    return not (isinstance(ceiling, int | float) and ceiling < low)


def _span_in(span: tuple[float, float], schema: dict[str, Any]) -> tuple[float, float]:
    """A name's usual range narrowed to the schema's bounds."""
    low, high = span
    if isinstance(schema.get("minimum"), int | float):
        low = max(low, schema["minimum"])
    if isinstance(schema.get("maximum"), int | float):
        high = min(high, schema["maximum"])
    if high < low:
        low, high = high, low
    return low, high
