"""Realistic, deterministic values for a JSON Schema and a column semantic.

Used by seeding (rows of the initial state), the argument sampler and compute-style tools (whose
outputs are a pure function of their arguments). Dates fall in fixed windows, never relative to
today, so the same seed gives the same values on every day and machine.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import string
import threading
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from agentscaler.canonical import canonical_json, stable_seed
from agentscaler.naming import split_identifier
from agentscaler.worlds.schemas import resolve_schema, schema_type
from agentscaler.worlds.seeding import kinds
from agentscaler.worlds.seeding.common_fields import examples_in
from agentscaler.worlds.seeding.labels import field_text
from agentscaler.worlds.seeding.pairs import free_pairs, order, pairs_of
from agentscaler.worlds.seeding.texts import free_text, text_kind
from agentscaler.worlds.seeding.worded import WORDED, names_words, worded

_DATE_START = dt.date(2024, 1, 1)
_DATE_DAYS = 365 * 3
_BIRTH_START = dt.date(1950, 1, 1)
_BIRTH_DAYS = 365 * 55
_STATUS_WORDS = ("active", "pending", "completed", "cancelled")

_COMBINERS = frozenset({"allOf", "anyOf", "oneOf"})

_faker_instance: Any = None


def _faker() -> Any:
    """The process's Faker (creating one costs ~0.3 s); used only to draw the pools, locked."""
    global _faker_instance
    if _faker_instance is None:
        from faker import Faker

        _faker_instance = Faker("en_US", use_weighting=False)  # uniform picks: several times faster
    return _faker_instance


POOL_SIZE = 512
"""Faker values drawn per kind (names, emails, cities, ...); every draw picks one of them."""

_pools: dict[str, tuple[Any, ...]] = {}
_pools_lock = threading.Lock()

_POOLED: dict[str, Callable[[Any], Any]] = {
    "email": lambda f: f.email(),
    "person_name": lambda f: f"{f.first_name()} {f.last_name()}",  # no "Dr." or "DDS"
    "first_name": lambda f: f.first_name(),
    "last_name": lambda f: f.last_name(),
    "username": lambda f: f.user_name(),
    "street": lambda f: f.street_address(),
    "city": lambda f: f.city(),
    "state": lambda f: f.state(),
    "country": lambda f: f.country(),
    "zip": lambda f: f.postcode(),
    "url": lambda f: f.url(),
    "company": lambda f: f.company(),
    "color": lambda f: f.color_name(),
    "job": lambda f: f.job(),
    "timezone": lambda f: f.timezone(),
    "plate": lambda f: f.license_plate(),
    "iban": lambda f: f.iban(),
    "user_agent": lambda f: f.user_agent(),
    "domain": lambda f: f.domain_name(),
    "words": lambda f: tuple(f.get_words_list()),
}


_PICKED = frozenset(_POOLED) - {"street", "words"}
"""Semantics whose values are drawn as they are from their pool."""


def faker_pool(kind: str) -> tuple[Any, ...]:
    """``POOL_SIZE`` Faker values of one kind, the same in every process (drawn once, lazily).

    Drawing from a fixed pool with the caller's random stream costs one ``choice`` instead of a
    Faker call (the bulk of seeding time), and keeps every value a function of the seed alone.
    """
    pool = _pools.get(kind)
    if pool is not None:
        return pool
    with _pools_lock:
        pool = _pools.get(kind)
        if pool is None:
            fake = _faker()
            fake.random = random.Random(stable_seed("faker-pool", kind))
            make = _POOLED[kind]
            pool = make(fake) if kind == "words" else tuple(make(fake) for _ in range(POOL_SIZE))
            _pools[kind] = pool
    return pool


def draw_pools() -> None:
    """Draw every Faker pool and the addresses of every country, and load the code lists now
    (airports, phone numbering plans, vehicle makes and models), the compiled patterns of
    number and price ranges and numpy's random generators: a one-time cost of the process,
    otherwise paid lazily."""
    import numpy.random

    from agentscaler.worlds.seeding import addresses, names, prices

    numpy.random.default_rng(0)
    for kind in _POOLED:
        faker_pool(kind)
    for country in addresses.LOCALES:
        addresses.addresses(country)
    kinds.major_airports()
    names.load_vehicles()
    kinds.number_range("", False, "")  # compiles the ranges' patterns
    prices.compile_rules()
    for region in kinds.MAJOR_COUNTRIES:
        kinds.phone(random.Random(0), region)


class ValueFactory:
    """Generates values with its own random stream (deterministic for a seed)."""

    def __init__(self, seed: int | str | None = 0) -> None:
        self.rng = random.Random(seed)

    # --- entry point ----------------------------------------------------------------------------
    def value(
        self,
        schema: dict[str, Any] | None,
        semantic: str | None = None,
        name: str = "",
        depth: int = 0,
        entity: str = "",
    ) -> Any:
        """A value valid for ``schema`` that looks like ``semantic`` (best effort); ``entity``:
        what the row or call is about (a pet's ``name``, a task's ``title``), when known."""
        if schema is None or _COMBINERS.isdisjoint(schema):
            schema = schema or {}  # nothing to resolve (read only below)
        else:
            also = _also_patterns(schema)
            schema = resolve_schema(schema)
            if also:  # patterns of other tools the value must match as well
                schema["allOf"] = also
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        json_type = schema_type(schema)
        if isinstance(enum, list) and enum:
            choice = self.rng.choice(enum)
            return [choice] if json_type == "array" and not isinstance(choice, list) else choice
        if json_type is None:
            json_type = _type_of_semantic(semantic)
        if json_type == "null":
            return None
        if json_type == "boolean":
            return self.rng.random() < 0.5
        if json_type == "integer":
            return self.integer(schema, semantic)
        if json_type == "number":
            return self.number(schema, semantic)
        if json_type == "array":
            return self.array(schema, name, depth)
        if json_type == "object":
            return self.object(schema, depth)
        return self.string(schema, semantic, name, entity)

    # --- scalars --------------------------------------------------------------------------------
    def integer(self, schema: dict[str, Any], semantic: str | None) -> int:
        low, high = {
            "quantity": (1, 5),
            "rating": (1, 5),
            "year": (2000, 2026),
            "age": (18, 80),
            "duration": (15, 240),
            "price": (5, 500),
            "percentage": (0, 50),
            "category": (1, 5),
        }.get(semantic or "", (1, 100))
        low, high = _bounds(schema, low, high, integer=True)
        value = self.rng.randint(int(low), int(high))
        step = schema.get("multipleOf")
        if isinstance(step, int) and step > 0:
            value = max(int(low), (value // step) * step)
            if value < low:
                value += step
        return value

    def number(self, schema: dict[str, Any], semantic: str | None) -> float:
        low, high = {
            "price": (5.0, 500.0),
            "rating": (1.0, 5.0),
            "percentage": (0.0, 50.0),
            "latitude": (-60.0, 70.0),
            "longitude": (-170.0, 170.0),
            "duration": (0.5, 12.0),
            "quantity": (1.0, 10.0),
        }.get(semantic or "", (1.0, 1000.0))
        low, high = _bounds(schema, low, high, integer=False)
        value = round(self.rng.uniform(float(low), float(high)), 2)
        return min(max(value, float(low)), float(high))

    def string(
        self, schema: dict[str, Any], semantic: str | None, name: str = "", entity: str = ""
    ) -> str:
        fmt = schema.get("format")
        pattern = schema.get("pattern")
        coded = _coded(name, semantic, pattern, self.rng)
        if coded is not None and _length_ok(coded, schema):
            return coded
        if isinstance(pattern, str):
            timely = self._moment(fmt, semantic, name)
            if timely is not None and fits_pattern(timely, pattern, schema):
                return timely
            if timely is None and semantic in WORDED and name and names_words(name):
                label = field_text(name, entity, self.rng, faker_pool)
                shaped = worded(label, pattern, lambda v: fits_schema(v, schema), self.rng)
                if shaped is not None:  # a channel's "design-reviews", not "f4_u2ebx"
                    return shaped
            sized = _sized_pattern(pattern, schema)
            for attempt in range(16):
                made = self.from_pattern(sized if attempt % 2 else pattern)
                if made is None:
                    break
                if _length_ok(made, schema) and _also_ok(made, schema):
                    return made
        timely = self._moment(fmt, semantic, name)
        if timely is not None:
            return timely
        if fmt == "email":
            semantic = "email"
        if fmt in ("uri", "url", "iri"):
            semantic = "url"
        if fmt == "uuid":
            semantic = "uuid"
        if fmt == "ipv4":
            semantic = "ip"
        examples = examples_in(schema.get("description") or "")
        text = self._semantic_string(semantic, name, entity, examples)
        return fit_length(text, schema, self.rng)

    def _moment(self, fmt: Any, semantic: str | None, name: str) -> str | None:
        """A date, date-time or time of day when the format or the kind says the string is
        one, else None."""
        if fmt == "date" or (semantic == "date" and not fmt):
            words = split_identifier(name)
            if {"birth", "dob", "birthday"} & set(words):
                return self.date(_BIRTH_START, _BIRTH_DAYS)
            return self.date()
        if fmt == "date-time" or semantic == "datetime":
            return self.datetime()
        if fmt == "time":  # with seconds, as the format states
            return f"{self.rng.randint(7, 21):02d}:{self.rng.choice((0, 15, 30, 45)):02d}:00"
        if semantic == "time":
            return f"{self.rng.randint(7, 21):02d}:{self.rng.choice((0, 15, 30, 45)):02d}"
        return None

    def date(self, start: dt.date = _DATE_START, days: int = _DATE_DAYS) -> str:
        return (start + dt.timedelta(days=self.rng.randrange(days))).isoformat()

    def datetime(self) -> str:
        day = _DATE_START + dt.timedelta(days=self.rng.randrange(_DATE_DAYS))
        return f"{day.isoformat()}T{self.rng.randint(6, 22):02d}:{self.rng.choice((0, 15, 30, 45)):02d}:00Z"

    def from_pattern(self, pattern: str) -> str | None:
        """A string matching ``pattern``, or None when the pattern cannot be sampled."""
        from agentscaler.worlds.seeding.patterns import draw

        return draw(pattern, self.rng)

    def _pick(self, kind: str) -> Any:
        return self.rng.choice(faker_pool(kind))

    def _semantic_string(
        self, semantic: str | None, name: str, entity: str = "", examples: tuple[str, ...] = ()
    ) -> str:
        rng = self.rng
        if semantic in _PICKED:
            return self._pick(semantic)
        match semantic:
            case "phone":
                return (
                    f"+1-{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
                )
            case "address":
                return f"{self._pick('street')}, {self._pick('city')}"
            case "uuid":
                return str(uuid.UUID(int=rng.getrandbits(128), version=4))
            case "ip":
                return ".".join(str(rng.randint(1, 254)) for _ in range(4))
            case "currency":
                return rng.choice(("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF"))
            case "title":
                return field_text(name or "title", entity, rng, faker_pool, examples)
            case "text":
                return free_text(name, {}, entity, rng)
            case "language":
                return rng.choice(("English", "Spanish", "French", "German", "Japanese", "Chinese"))
            case "token":
                return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))
            case "code":
                return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(8))
            case "status":
                return rng.choice(_STATUS_WORDS)
            case "label":
                return field_text(name or "name", entity, rng, faker_pool, examples)
            case "category":
                return rng.choice(examples or ("standard", "premium", "basic", "express", "other"))
            case "date":
                return self.date()
            case "datetime":
                return self.datetime()
        if text_kind(name) is not None:
            return free_text(name, {}, entity, rng)
        words = [w for w in split_identifier(name) if w not in ("id", "name")]
        if words and words[-1] == "symbol" and not {"stock", "ticker"} & set(words):
            return "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(3, 4)))
        return field_text(name, entity, rng, faker_pool, examples)

    # --- containers -----------------------------------------------------------------------------
    def array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        items = schema.get("items")
        if isinstance(items, list):  # tuple form
            return [self.value(s if isinstance(s, dict) else {}, depth=depth + 1) for s in items]
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and prefix:
            return [self.value(s if isinstance(s, dict) else {}, depth=depth + 1) for s in prefix]
        items = items if isinstance(items, dict) else {"type": "string"}
        low = int(schema.get("minItems", 1))
        high = int(schema.get("maxItems", max(low, 3)))
        high = max(low, min(high, low + 3))
        if depth > 3:
            low = high = min(low, high)
        count = self.rng.randint(low, high)
        from agentscaler.worlds.infer.semantics import semantic_of

        item_semantic = semantic_of(_singular_name(name), items) if name else None
        values: list[Any] = []
        seen: set[str] = set()
        for _ in range(count * 4):
            if len(values) >= count:
                break
            value = self.value(items, item_semantic, name, depth + 1)
            key = canonical_json(value)
            if schema.get("uniqueItems") and key in seen:
                continue
            seen.add(key)
            values.append(value)
        return values

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        from agentscaler.worlds.infer.semantics import semantic_of

        properties = schema.get("properties")
        if not isinstance(properties, dict) or not properties:
            names = [n for n in schema.get("required") or () if isinstance(n, str)]
            return {n: self.value({}, semantic_of(n, {}), n, depth + 1) for n in names}
        required = set(schema.get("required") or ())
        result: dict[str, Any] = {}
        for key, sub in properties.items():
            if not isinstance(sub, dict):
                sub = {}
            if key in required or (depth < 3 and self.rng.random() < 0.7):
                result[key] = self.value(sub, semantic_of(key, sub), key, depth + 1)
        ordered = free_pairs(pairs_of(result), properties)
        if ordered:  # an object's end after its start (a task's end_date)
            order(ordered, result, self.rng)
        return result


def derive(schema: dict[str, Any] | None, tool: str) -> Any:
    """A value shaped like ``schema``, the same for every call of ``tool`` (a tool no table or
    formula backs)."""
    from agentscaler.worlds.infer.semantics import semantic_of

    factory = ValueFactory(stable_seed(tool))
    if not schema:
        schema = {"type": "object", "properties": {"result": {"type": "string"}}}
    resolved = resolve_schema(schema)
    if schema_type(resolved) == "object" and isinstance(resolved.get("properties"), dict):
        return {
            prop: factory.value(sub, semantic_of(prop, sub), prop, 1)
            for prop, sub in resolved["properties"].items()
            if isinstance(sub, dict)
        }
    return factory.value(resolved)


def _type_of_semantic(semantic: str | None) -> str:
    if semantic in ("quantity", "year", "age"):
        return "integer"
    if semantic in ("price", "rating", "percentage", "latitude", "longitude", "duration"):
        return "number"
    if semantic == "boolean":
        return "boolean"
    return "string"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bounds(
    schema: dict[str, Any], low: float, high: float, *, integer: bool
) -> tuple[float, float]:
    """The semantic range ``[low, high]`` moved inside the schema's bounds."""
    nudge = 1 if integer else 0.01
    floors = [schema["minimum"]] if _is_number(schema.get("minimum")) else []
    ceilings = [schema["maximum"]] if _is_number(schema.get("maximum")) else []
    if _is_number(schema.get("exclusiveMinimum")):
        floors.append(schema["exclusiveMinimum"] + nudge)
    if _is_number(schema.get("exclusiveMaximum")):
        ceilings.append(schema["exclusiveMaximum"] - nudge)
    floor = max(floors) if floors else None
    ceiling = min(ceilings) if ceilings else None
    if floor is not None and ceiling is not None and floor > ceiling:
        ceiling = floor  # contradictory bounds: the floor wins
    span = high - low
    if floor is not None:
        low = max(low, floor)
    if ceiling is not None:
        high = min(high, ceiling)
    if low > high:  # the usual range lies outside the schema's: take one of the same width
        if floor is not None and (ceiling is None or low == floor):
            low, high = floor, floor + span if ceiling is None else ceiling
        else:
            low, high = ceiling - span, ceiling  # type: ignore[operator]
            if floor is not None:
                low = max(low, floor)
            elif high >= 0:
                low = max(low, 0)
    if integer:
        low, high = math.ceil(low), math.floor(high)
        if low > high:
            high = low
    return low, high


def _length_ok(text: str, schema: dict[str, Any]) -> bool:
    min_len, max_len = schema.get("minLength"), schema.get("maxLength")
    return not (isinstance(min_len, int) and len(text) < min_len) and not (
        isinstance(max_len, int) and len(text) > max_len
    )


def fits_pattern(text: str, pattern: str, schema: dict[str, Any]) -> bool:
    """Whether ``text`` matches ``pattern`` and the schema's lengths (a date made by kind is
    kept when the pattern admits it: ``^[0-2][0-9]:[0-5][0-9]$`` takes ``19:30``, and a drawn
    string would be ``29:07``)."""
    try:
        return re.search(pattern, text) is not None and _length_ok(text, schema)
    except re.error:
        return False


def fits_schema(text: str, schema: dict[str, Any]) -> bool:
    """Whether ``text`` matches the schema's pattern, the patterns it adds (``allOf``) and its
    lengths."""
    pattern = schema.get("pattern")
    return (not isinstance(pattern, str) or fits_pattern(text, pattern, schema)) and _also_ok(
        text, schema
    )


def _also_patterns(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        part
        for part in schema.get("allOf") or ()
        if isinstance(part, dict) and set(part) == {"pattern"} and isinstance(part["pattern"], str)
    ]


def _also_ok(text: str, schema: dict[str, Any]) -> bool:
    for part in _also_patterns(schema):
        try:
            if re.search(part["pattern"], text) is None:
                return False
        except re.error:
            continue
    return True


_ONE_OPEN_REPEAT = re.compile(r"^\^?(\[[^\]]+\]|\\[wd]|\.)([+*])\$?$")


def _sized_pattern(pattern: str, schema: dict[str, Any]) -> str:
    """``^[a-z0-9]+$`` with the schema's lengths as its count (``^[a-z0-9]{10,20}$``), so a
    drawn string is long enough; other patterns as they are."""
    low, high = schema.get("minLength"), schema.get("maxLength")
    if not isinstance(low, int) and not isinstance(high, int):
        return pattern
    match = _ONE_OPEN_REPEAT.match(pattern)
    if match is None:
        return pattern
    fewest = max(low if isinstance(low, int) else 1, 1 if match.group(2) == "+" else 0)
    most = high if isinstance(high, int) else fewest + 12
    return f"^{match.group(1)}{{{fewest},{max(fewest, most)}}}$"


def fit_length(text: str, schema: dict[str, Any], rng: random.Random) -> str:
    min_len = schema.get("minLength")
    max_len = schema.get("maxLength")
    if isinstance(max_len, int) and len(text) > max_len:
        text = text[:max_len]
    if isinstance(min_len, int) and len(text) < min_len:
        text = text + "".join(
            rng.choice(string.ascii_lowercase) for _ in range(min_len - len(text))
        )
    return text


def _singular_name(name: str) -> str:
    from agentscaler.naming import singular

    words = split_identifier(name)
    if not words:
        return name
    return "_".join((*words[:-1], singular(words[-1])))


def _coded(name: str, semantic: str | None, pattern: Any, rng: random.Random) -> str | None:
    """Real codes for country and currency fields (ISO 3166, ISO 4217), when the pattern
    allows them."""
    code = _code_kind(name, semantic)
    if code is None:
        return None
    made = kinds.country(rng) if code == "country" else kinds.currency(rng, "USD")
    if isinstance(pattern, str):
        try:
            if re.search(pattern, made) is None:
                return None
        except re.error:
            return None
    elif (
        code == "country" and semantic == "country" and split_identifier(name)[-1:] != ("country",)
    ):
        return None
    return made


@lru_cache(maxsize=4096)
def _code_kind(name: str, semantic: str | None) -> str | None:
    """``country`` or ``currency`` when a field holds such a code (by its semantic or name)."""
    last = split_identifier(name)[-1:]
    if semantic == "country" or last == ("country",):
        return "country"
    if semantic == "currency" or last == ("currency",):
        return "currency"
    return None
