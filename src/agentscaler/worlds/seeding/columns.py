"""Whole columns of seeded values at once: what :class:`ValueFactory` makes one value at a time,
made for every row of a table in one go.

A column's way of making values is decided once from its schema, meaning and name (the branches
of :meth:`ValueFactory.value`); the values then come from a numpy generator in bulk (numbers,
dates, picks from the value pools, enum members). Values whose making is irregular (patterns,
nested objects, arrays, texts that name the row) are made one by one from the same draw's Python
stream. The same seed always gives the same column.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import numpy as np

from agentscaler.canonical import canonical_json
from agentscaler.naming import split_identifier
from agentscaler.worlds.schemas import resolve_schema, schema_type
from agentscaler.worlds.seeding import kinds
from agentscaler.worlds.seeding.common_fields import AIRCRAFT
from agentscaler.worlds.seeding.labels import field_maker
from agentscaler.worlds.seeding.pairs import free_pairs, order, pairs_of
from agentscaler.worlds.seeding.patterns import compile_pattern, draw_many
from agentscaler.worlds.seeding.texts import text_kind
from agentscaler.worlds.seeding.values import (
    _BIRTH_DAYS,
    _BIRTH_START,
    _COMBINERS,
    _DATE_DAYS,
    _DATE_START,
    _PICKED,
    _STATUS_WORDS,
    ValueFactory,
    _also_patterns,
    _bounds,
    _code_kind,
    _singular_name,
    _type_of_semantic,
    faker_pool,
    fit_length,
    fits_pattern,
)

Rows = list[dict[str, Any]]


class Draw:
    """The random streams of one table's rows: numpy's for whole columns, Python's (through a
    :class:`ValueFactory`) for values made one by one."""

    __slots__ = ("_factory", "_rng", "gen", "seed")

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.gen = np.random.default_rng(seed)
        self._factory: ValueFactory | None = None
        self._rng: random.Random | None = None

    @property
    def factory(self) -> ValueFactory:
        """The factory of the values made one by one (its stream apart from the numpy one)."""
        if self._factory is None:
            self._factory = ValueFactory(self.seed ^ 0x5EED)
        return self._factory

    @property
    def rng(self) -> random.Random:
        rng = self._rng
        if rng is None:
            rng = self._rng = self.factory.rng
        return rng

    def indices(self, size: int, count: int) -> list[int]:
        """``count`` indices into a sequence of ``size`` items."""
        return self.gen.integers(0, size, count).tolist()

    def picks(self, values: tuple[Any, ...] | list[Any], count: int) -> list[Any]:
        return [values[i] for i in self.indices(len(values), count)]


Maker = Callable[[Rows, Draw], list[Any]]
"""Makes a column's values for every row (``rows`` hold the columns made before it)."""


def one_by_one(make: Callable[[dict[str, Any], Draw], Any]) -> Maker:
    """A column maker from a maker of one value (from its row and the draw)."""
    return lambda rows, draw: [make(row, draw) for row in rows]


def constant(value: Any) -> Maker:
    return lambda rows, draw: [value] * len(rows)


def choice(values: tuple[Any, ...] | list[Any]) -> Maker:
    values = tuple(values)
    return lambda rows, draw: draw.picks(values, len(rows))


def vocabulary(values: tuple[Any, ...], shift: int = 0) -> Maker:
    """Values of a vocabulary (a schema's ``examples``), each once before any comes again: a
    shop's products or a library's books are distinct until the list runs out. Vocabularies of
    the same length in one table are read as parallel lists (a medication's brand name and its
    generic name): their rows take the same positions. Columns of one table drawing from the
    same list (a train's origin and destination) are ``shift`` places apart: a row never holds
    one value twice."""

    def make(rows: Rows, draw: Draw) -> list[Any]:
        order = np.random.default_rng([draw.seed, len(values)])
        out: list[Any] = []
        n = len(values)
        while len(out) < len(rows):
            picked = order.permutation(n).tolist()
            out += [values[picked[(j + shift) % n]] for j in range(n)]
        return out[: len(rows)]

    return make


def integers(low: int, high: int) -> Maker:
    """Integers in ``[low, high]``."""
    return lambda rows, draw: draw.gen.integers(low, high + 1, len(rows)).tolist()


def decimals(low: float, high: float) -> Maker:
    """Numbers in ``[low, high]`` to the cent."""

    def make(rows: Rows, draw: Draw) -> list[Any]:
        values = np.round(draw.gen.uniform(low, high, len(rows)), 2)
        return np.minimum(np.maximum(values, low), high).tolist()  # np.clip, without its wrapper

    return make


def _days(first: int, offsets: list[int]) -> list[str]:
    """The ISO dates ``offsets`` days after the day of ordinal ``first`` (only the days drawn
    are written out: a window of decades holds tens of thousands)."""
    return [dt.date.fromordinal(first + offset).isoformat() for offset in offsets]


def dates(start: dt.date, count: int) -> Maker:
    """ISO dates among the ``count`` days from ``start``."""
    first, count = start.toordinal(), max(1, count)
    return lambda rows, draw: _days(first, draw.indices(count, len(rows)))


_MINUTES = (0, 15, 30, 45)


def moments(start: dt.date, count: int, first_hour: int, last_hour: int) -> Maker:
    """ISO date-times (UTC, on the quarter hour) among ``count`` days from ``start``."""
    first, count = start.toordinal(), max(1, count)

    def make(rows: Rows, draw: Draw) -> list[Any]:
        n = len(rows)
        gen = draw.gen
        days = _days(first, gen.integers(0, count, n).tolist())
        hour = gen.integers(first_hour, last_hour + 1, n).tolist()
        minute = gen.integers(0, 4, n).tolist()
        return [
            f"{d}T{h:02d}:{_MINUTES[m]:02d}:00Z" for d, h, m in zip(days, hour, minute, strict=True)
        ]

    return make


def _clock_times(seconds: bool) -> Maker:
    def make(rows: Rows, draw: Draw) -> list[Any]:
        n = len(rows)
        hour = draw.gen.integers(7, 22, n).tolist()
        minute = draw.gen.integers(0, 4, n).tolist()
        tail = ":00" if seconds else ""
        return [f"{h:02d}:{_MINUTES[m]:02d}{tail}" for h, m in zip(hour, minute, strict=True)]

    return make


def _characters(alphabet: str, length: int) -> Maker:
    def make(rows: Rows, draw: Draw) -> list[Any]:
        picked = draw.gen.integers(0, len(alphabet), (len(rows), length)).tolist()
        return ["".join(alphabet[i] for i in row) for row in picked]

    return make


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"


def _semantic_strings(semantic: str | None, name: str) -> Maker | None:
    """A column maker for strings of ``semantic`` (None: made one by one)."""
    if semantic in _PICKED:
        kind = semantic
        return lambda rows, draw: draw.picks(faker_pool(kind), len(rows))
    match semantic:
        case "address":

            def address(rows: Rows, draw: Draw) -> list[Any]:
                streets = draw.picks(faker_pool("street"), len(rows))
                cities = draw.picks(faker_pool("city"), len(rows))
                return [f"{s}, {c}" for s, c in zip(streets, cities, strict=True)]

            return address
        case "ip":
            return lambda rows, draw: [
                ".".join(map(str, quad))
                for quad in draw.gen.integers(1, 255, (len(rows), 4)).tolist()
            ]
        case "currency":
            return choice(("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF"))
        case "title":
            return _labels(name or "title")
        case "language":
            return choice(("English", "Spanish", "French", "German", "Japanese", "Chinese"))
        case "token":
            return _characters(_LETTERS + _DIGITS, 24)
        case "code":
            return _characters(_LETTERS[:26] + _DIGITS, 8)
        case "status":
            return choice(_STATUS_WORDS)
        case "label":
            return _labels(name or "name")
        case "category":
            return choice(("standard", "premium", "basic", "express", "other"))
        case "date":
            return dates(_DATE_START, _DATE_DAYS)
        case "datetime":
            return moments(_DATE_START, _DATE_DAYS, 6, 22)
        case "phone" | "uuid" | "text":
            return None
    if text_kind(name) is not None:
        return None
    words = [w for w in split_identifier(name) if w not in ("id", "name")]
    if words and words[-1] in ("symbol", "ticker"):
        return None
    if words and words[-1] == "gate":
        return lambda rows, draw: [
            f"{letter}{number}"
            for letter, number in zip(
                draw.picks("ABCDEF", len(rows)),
                draw.gen.integers(1, 40, len(rows)).tolist(),
                strict=True,
            )
        ]
    if words and words[-1] in ("aircraft", "plane"):
        return choice(AIRCRAFT)
    if words and (words[-1] in _CODE_WORDS or words[0] in _CODE_WORDS):
        return _characters(_LETTERS[:26] + _DIGITS, 10)  # a tracking number, a reference
    return _labels(name)


def _labels(name: str) -> Maker:
    """Short realistic values for the field ``name`` (see :mod:`.labels`)."""
    make = field_maker(name, "")

    def labels(rows: Rows, draw: Draw) -> list[Any]:
        rng = draw.rng
        return [make(rng, "", faker_pool) for _ in rows]

    return labels


_CODE_WORDS = frozenset("reference tracking serial confirmation voucher pnr".split())
"""Words of a column holding an opaque code (``tracking_number``, ``reference``)."""


def _patterned(pattern: str, slow: Maker) -> Maker:
    """Strings matching ``pattern``, drawn in bulk when it is made of counted characters."""

    def make(rows: Rows, draw: Draw) -> list[Any]:
        made = draw_many(pattern, len(rows), draw.gen)
        return made if made is not None else slow(rows, draw)

    return make


def _fitted(make: Maker, schema: dict[str, Any]) -> Maker:
    if not isinstance(schema.get("minLength"), int) and not isinstance(
        schema.get("maxLength"), int
    ):
        return make

    def fitted(rows: Rows, draw: Draw) -> list[Any]:
        made = make(rows, draw)
        rng = draw.rng
        return [fit_length(v, schema, rng) for v in made]

    return fitted


def _strings(schema: dict[str, Any], semantic: str | None, name: str) -> Maker:
    """Strings as :meth:`ValueFactory.string` makes them."""
    fmt = schema.get("format")
    slow = one_by_one(lambda row, draw: draw.factory.string(schema, semantic, name))
    pattern = schema.get("pattern")
    if _code_kind(name, semantic) is not None:
        return slow
    timely = _moments_of(fmt, semantic, name)
    if isinstance(pattern, str):
        plain = not ({"minLength", "maxLength", "allOf"} & set(schema))
        drawn = (
            _patterned(pattern, slow) if plain and compile_pattern(pattern) is not None else slow
        )
        return drawn if timely is None else _matching(timely, pattern, schema, drawn)
    if timely is not None:
        return _fitted(timely, schema)
    semantic = {"email": "email", "uri": "url", "url": "url", "iri": "url", "uuid": "uuid"}.get(
        fmt or "", "ip" if fmt == "ipv4" else semantic
    )
    made = _semantic_strings(semantic, name)
    if made is None:
        return slow
    return _fitted(made, schema)


def _moments_of(fmt: Any, semantic: str | None, name: str) -> Maker | None:
    """Dates, date-times or times of day when the format or the kind says the column holds
    them, else None."""
    if fmt == "date" or (semantic == "date" and not fmt):
        if {"birth", "dob", "birthday"} & set(split_identifier(name)):
            return dates(_BIRTH_START, _BIRTH_DAYS)
        return dates(_DATE_START, _DATE_DAYS)
    if fmt == "date-time" or semantic == "datetime":
        return moments(_DATE_START, _DATE_DAYS, 6, 22)
    if fmt == "time":
        return _clock_times(True)
    if semantic == "time":
        return _clock_times(False)
    return None


def _matching(make: Maker, pattern: str, schema: dict[str, Any], drawn: Maker) -> Maker:
    """Values of ``make`` where the pattern and lengths admit them (a booking's ``19:30`` for
    ``^[0-2][0-9]:[0-5][0-9]$``, where a string drawn from the pattern reads ``29:07``), and
    strings drawn from the pattern for the rows where they do not."""

    def make_matching(rows: Rows, draw: Draw) -> list[Any]:
        made = make(rows, draw)
        wrong = [i for i, value in enumerate(made) if not fits_pattern(value, pattern, schema)]
        if wrong:
            for i, value in zip(wrong, drawn([rows[i] for i in wrong], draw), strict=True):
                made[i] = value
        return made

    return make_matching


def generic(
    schema: dict[str, Any] | None, semantic: str | None, name: str, depth: int = 0
) -> Maker:
    """A column of values valid for ``schema`` that look like ``semantic``, as
    :meth:`ValueFactory.value` makes them one by one."""
    schema = schema or {}
    if not _COMBINERS.isdisjoint(schema):
        also = _also_patterns(schema)
        schema = resolve_schema(schema)
        if also:
            schema["allOf"] = also
        resolved = schema
        return one_by_one(lambda row, draw: draw.factory.value(resolved, semantic, name, depth))
    if "const" in schema:
        return constant(schema["const"])
    enum = schema.get("enum")
    json_type = schema_type(schema)
    if isinstance(enum, list) and enum:
        if json_type == "array":
            return one_by_one(lambda row, draw: draw.factory.value(schema, semantic, name, depth))
        return choice(enum)
    if json_type is None:
        json_type = _type_of_semantic(semantic)
    if json_type == "null":
        return constant(None)
    if json_type == "boolean":
        return lambda rows, draw: (draw.gen.random(len(rows)) < 0.5).tolist()
    if json_type == "integer" and not schema.get("multipleOf"):
        low, high = _INTEGERS.get(semantic or "", (1, 100))
        low, high = _bounds(schema, low, high, integer=True)
        return integers(int(low), int(high))
    if json_type == "number":
        low, high = _NUMBERS.get(semantic or "", (1.0, 1000.0))
        low, high = _bounds(schema, low, high, integer=False)
        return decimals(float(low), float(high))
    if json_type == "string":
        return _strings(schema, semantic, name)
    if json_type == "array" and isinstance(schema.get("items"), dict) and depth < 3:
        return _arrays(schema, name, depth)
    if json_type == "object" and depth < 3:
        return _objects(schema, depth)
    return one_by_one(lambda row, draw: draw.factory.value(schema, semantic, name, depth))


def _arrays(schema: dict[str, Any], name: str, depth: int) -> Maker:
    """Lists of items as :meth:`ValueFactory.array` makes them (a list too short once its
    repeated items are dropped is made again one value at a time)."""
    from agentscaler.worlds.infer.semantics import semantic_of

    items = schema["items"]
    low = int(schema.get("minItems", 1))
    high = int(schema.get("maxItems", max(low, 3)))
    high = max(low, min(high, low + 3))
    item = generic(
        items, semantic_of(_singular_name(name), items) if name else None, name, depth + 1
    )
    unique = bool(schema.get("uniqueItems"))

    def make(rows: Rows, draw: Draw) -> list[Any]:
        counts = draw.gen.integers(low, high + 1, len(rows)).tolist()
        flat = item([{}] * sum(counts), draw)
        out, at = [], 0
        for count in counts:
            made = flat[at : at + count]
            at += count
            if unique:
                made = list({canonical_json(v): v for v in made}.values())
                if len(made) < low:
                    made = draw.factory.value(schema, None, name, depth)
            out.append(made)
        return out

    return make


def _objects(schema: dict[str, Any], depth: int) -> Maker:
    """Objects as :meth:`ValueFactory.object` makes them: required properties always, the others
    mostly."""
    from agentscaler.worlds.infer.semantics import semantic_of

    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        names = [n for n in schema.get("required") or () if isinstance(n, str)]
        parts = [(n, True, generic({}, semantic_of(n, {}), n, depth + 1)) for n in names]
    else:
        required = set(schema.get("required") or ())
        parts = []
        for key, sub in properties.items():
            sub = sub if isinstance(sub, dict) else {}
            parts.append(
                (key, key in required, generic(sub, semantic_of(key, sub), key, depth + 1))
            )

    ordered = free_pairs(
        pairs_of(key for key, _, _ in parts),
        properties if isinstance(properties, dict) else {},
    )

    def make(rows: Rows, draw: Draw) -> list[Any]:
        n = len(rows)
        out: list[dict[str, Any]] = [{} for _ in range(n)]
        for key, always, part in parts:
            values = part(out, draw)
            if always:
                for made, value in zip(out, values, strict=True):
                    made[key] = value
                continue
            kept = (draw.gen.random(n) < 0.7).tolist()
            for made, value, keep in zip(out, values, kept, strict=True):
                if keep:
                    made[key] = value
        if ordered:
            for made in out:
                order(ordered, made, draw.rng)
        return out

    return make


_INTEGERS = {
    "quantity": (1, 5),
    "rating": (1, 5),
    "year": (2000, 2026),
    "age": (18, 80),
    "duration": (15, 240),
    "price": (5, 500),
    "percentage": (0, 50),
    "category": (1, 5),
}
_NUMBERS = {
    "price": (5.0, 500.0),
    "rating": (1.0, 5.0),
    "percentage": (0.0, 50.0),
    "latitude": (-60.0, 70.0),
    "longitude": (-170.0, 170.0),
    "duration": (0.5, 12.0),
    "quantity": (1.0, 10.0),
}


def currencies(main: str) -> Maker:
    """ISO 4217 codes: mostly the world's main currency, else a major one."""

    def make(rows: Rows, draw: Draw) -> list[Any]:
        n = len(rows)
        other = draw.picks(kinds.MAJOR_CURRENCIES, n)
        own = (draw.gen.random(n) < 0.85).tolist()
        return [main if mine else code for mine, code in zip(own, other, strict=True)]

    return make


def airports() -> Maker:
    return lambda rows, draw: [a[0] for a in draw.picks(kinds.major_airports(), len(rows))]
