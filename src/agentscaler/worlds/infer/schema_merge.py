"""One value schema for a column from the schemas of every parameter and field that holds it.

A column is set, filtered and named by several tools, each stating its own JSON Schema for the
values. The column keeps the strictest constraints all of them state, so that a seeded value is
one every tool taking it accepts: numeric and length bounds intersect, enums intersect, required
properties of objects add up, and of several patterns the one whose strings match the others is
kept. Where the tools disagree (no value satisfies all), the constraint most of them state wins
and the conflict is said in the schema's ``$comment``.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

from agentscaler.worlds.schemas import resolve_schema, schema_type
from agentscaler.worlds.spellings import shared_by_meaning

_DROPPED = ("description", "title", "examples", "default", "$comment")
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_PAIRS = {
    "minimum": "maximum",
    "exclusiveMinimum": "exclusiveMaximum",
    "minLength": "maxLength",
    "minItems": "maxItems",
    "minProperties": "maxProperties",
}
_NUMERIC = frozenset({"integer", "number"})
_SAMPLES = 24
_TRUTH = frozenset({"1", "0", "true", "false", "yes", "no", "y", "n", "on", "off"})
_NUMBER_TEXT = re.compile(r"^-?\d+(\.\d+)?$")


class _Conflict(str):
    """A note saying no value satisfies every schema (a value one tool takes, another refuses)."""


def disagreements(schemas: list[dict[str, Any]]) -> list[str]:
    """What the schemas disagree on such that no value satisfies all of them (no shared enum
    value, even by meaning; types no value has; bounds no number lies within; patterns no
    string matches), at any depth of objects and lists; empty when they can be joined."""
    distinct = {repr(s): s for s in schemas if isinstance(s, dict) and s}
    if len(distinct) < 2:
        return []  # one schema agrees with itself
    notes: list[str] = []
    _merge([resolve_schema(s) for s in distinct.values()], notes, "")
    return [str(n) for n in notes if isinstance(n, _Conflict)]


def merge_value_schemas(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    """The strictest schema every one of ``schemas`` states (conflicts in ``$comment``)."""
    notes: list[str] = []
    resolved = [resolve_schema(s) for s in schemas if isinstance(s, dict) and s]
    merged = _merge(resolved, notes, "")
    if notes:
        merged["$comment"] = "tools disagree: " + "; ".join(dict.fromkeys(notes))
    examples = examples_of(resolved)
    if examples and schema_type(merged) not in ("object", "array"):
        merged["examples"] = examples
    return merged


def examples_of(schemas: list[dict[str, Any]]) -> list[Any]:
    """The example values the schemas give (``examples``, or OpenAPI's one ``example``), each
    once, in order: the vocabulary of the values a column holds."""
    found: list[Any] = []
    for schema in schemas:
        given = schema.get("examples")
        values = list(given) if isinstance(given, list) else []
        if "example" in schema:
            values.append(schema["example"])
        for value in values:
            scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
            if scalar and value not in found:
                found.append(value)
    return found


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in _DROPPED}


def _merge(schemas: list[dict[str, Any]], notes: list[str], where: str) -> dict[str, Any]:
    schemas = [_clean(s) for s in schemas if s]
    if not schemas:
        return {}
    if len(schemas) == 1:
        return schemas[0]
    arrays = [s for s in schemas if schema_type(s) == "array"]
    others = [s for s in schemas if schema_type(s) != "array"]
    if arrays and others:
        if len(arrays) > len(others):
            notes.append(
                f"{where or 'value'} is a list for {len(arrays)}, one value for "
                f"{len(others)}; kept the list"
            )
            return _merge(arrays, notes, where)
        # a value of the list's items is what a list parameter takes one of
        items = [resolve_schema(a["items"]) for a in arrays if isinstance(a.get("items"), dict)]
        return _merge(others + items, notes, where)
    if arrays:
        merged = _bounded(arrays, notes, where)
        items = [resolve_schema(a["items"]) for a in arrays if isinstance(a.get("items"), dict)]
        if items:
            merged["items"] = _merge(items, notes, f"{where}[]")
        if any(a.get("uniqueItems") for a in arrays):
            merged["uniqueItems"] = True
        return merged
    chosen = _type_for_all(schemas, notes, where)
    kept = [s for s in schemas if _fits(schema_type(s), chosen)]
    merged = _bounded(kept, notes, where)
    if chosen is not None:
        merged["type"] = chosen
    _merge_enum(kept, merged, notes, where)
    _merge_pattern(kept, merged, notes, where)
    formats = Counter(s["format"] for s in kept if isinstance(s.get("format"), str))
    if formats:
        merged["format"] = formats.most_common(1)[0][0]
        if len(formats) > 1:
            notes.append(
                f"{where or 'value'} format {' / '.join(formats)}; kept {merged['format']}"
            )
    if chosen == "object":
        _merge_object(kept, merged, notes, where)
    return merged


def _richness(schema: dict[str, Any]) -> int:
    return len(schema)


def _bounded(schemas: list[dict[str, Any]], notes: list[str], where: str) -> dict[str, Any]:
    """The richest schema as the base, with bounds intersected over all of them."""
    merged = dict(max(schemas, key=_richness))
    for key in (*_LOWER, *_UPPER):
        values = [s[key] for s in schemas if _number(s.get(key))]
        if values:
            merged[key] = max(values) if key in _LOWER else min(values)
    for low, high in _PAIRS.items():
        if _number(merged.get(low)) and _number(merged.get(high)) and merged[low] > merged[high]:
            lows = sum(_number(s.get(low)) for s in schemas)
            highs = sum(_number(s.get(high)) for s in schemas)
            dropped = low if lows < highs else high
            notes.append(
                _Conflict(
                    f"{where or 'value'} {low} {merged[low]} above {high} {merged[high]}; "
                    f"dropped {dropped}"
                )
            )
            merged.pop(dropped)
    return merged


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fits(json_type: str | None, chosen: str | None) -> bool:
    return (
        json_type is None or json_type == chosen or (chosen == "integer" and json_type == "number")
    )


def _type_for_all(schemas: list[dict[str, Any]], notes: list[str], where: str) -> str | None:
    """The JSON type whose values every schema takes (a number passes as text to a free string
    parameter, an integer as a number, an object as its JSON text), else the one most schemas
    state."""
    types = Counter(t for s in schemas if (t := schema_type(s)) is not None)
    if len(types) <= 1:
        return next(iter(types), None)
    free_strings = all(
        not ({"enum", "pattern", "format"} & set(s)) for s in schemas if schema_type(s) == "string"
    )
    if set(types) <= _NUMERIC | {"string"} and (set(types) & _NUMERIC) and free_strings:
        return "integer" if "integer" in types else "number"
    if set(types) == {"object", "string"} and free_strings:
        if where:  # inside an object no spelling reads the text: a text is not an object
            notes.append(_Conflict(f"{where} type object / string; kept object"))
        return "object"  # free text takes an object as its JSON text
    chosen = types.most_common(1)[0][0]
    note = f"{where or 'value'} type {' / '.join(types)}; kept {chosen}"
    strings = [s for s in schemas if schema_type(s) == "string"]
    notes.append(note if _spelled_as_text(set(types), strings) else _Conflict(note))
    return chosen


def _spelled_as_text(types: set[str], strings: list[dict[str, Any]]) -> bool:
    """Whether the text schemas spell values of the other type, which a tool's spelling maps
    (``"1"`` / ``"yes"`` for a truth value, ``"2015"`` for a number), so no value is lost."""
    others = types - {"string"}
    if not strings or len(others) != 1 or others - _NUMERIC - {"boolean"}:
        return False
    for schema in strings:
        if {"pattern", "format"} & set(schema):
            return False
        values = [str(v).strip().lower() for v in schema.get("enum") or ()]
        if "boolean" in others:
            if values and not set(values) <= _TRUTH:
                return False
        elif values and not any(_NUMBER_TEXT.match(v) for v in values):
            return False
    return True


def _merge_enum(
    schemas: list[dict[str, Any]], merged: dict[str, Any], notes: list[str], where: str
) -> None:
    enums = [s["enum"] for s in schemas if isinstance(s.get("enum"), list) and s["enum"]]
    if not enums:
        return
    common = [v for v in enums[0] if all(v in e for e in enums[1:])]
    if common:
        merged["enum"] = common
        return
    counts = Counter(tuple(map(repr, e)) for e in enums)
    best = counts.most_common(1)[0][0]
    merged["enum"] = next(e for e in enums if tuple(map(repr, e)) == best)
    named = shared_by_meaning(merged["enum"], enums)
    if named:
        # each tool spells the values its own way: the column keeps the ones all of them name
        merged["enum"] = named
        notes.append(
            f"{where or 'value'} enums name {len(named)} value(s) each in its own spelling; "
            "kept those, each tool maps its spelling"
        )
        return
    notes.append(
        _Conflict(
            f"{where or 'value'} enums share no value; kept the one {counts[best]} of "
            f"{len(enums)} tools state"
        )
    )


def _merge_pattern(
    schemas: list[dict[str, Any]], merged: dict[str, Any], notes: list[str], where: str
) -> None:
    patterns = Counter(s["pattern"] for s in schemas if isinstance(s.get("pattern"), str))
    if len(patterns) <= 1:
        return
    chosen, also = choose_pattern([p for p, _ in patterns.most_common()], merged)
    if chosen is None:
        chosen = patterns.most_common(1)[0][0]
        notes.append(
            _Conflict(f"{where or 'value'} patterns {' / '.join(patterns)}; kept {chosen}")
        )
    merged["pattern"] = chosen
    if also:
        merged["allOf"] = [{"pattern": p} for p in also]


def choose_pattern(
    patterns: list[str], schema: dict[str, Any] | None = None
) -> tuple[str | None, list[str]]:
    """Of several patterns, the one to draw strings from and the others a drawn string must be
    checked against: first a pattern whose drawn strings all match the others (the strictest),
    else one some of whose strings do (the others kept to check), else ``(None, [])``."""
    from agentscaler.worlds.seeding.patterns import draw

    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error:
            return None, []
    low = (schema or {}).get("minLength")
    high = (schema or {}).get("maxLength")
    some: str | None = None
    for pattern in patterns:
        rng = random.Random(0)
        good = 0
        for _ in range(_SAMPLES):
            made = draw(pattern, rng)
            if made is None:
                break
            if (_number(low) and len(made) < low) or (_number(high) and len(made) > high):
                continue
            good += all(c.search(made) for c in compiled)
        if good == _SAMPLES:
            return pattern, []
        if good and some is None:
            some = pattern
    if some is None:
        return None, []
    return some, [p for p in patterns if p != some]


def _merge_object(
    schemas: list[dict[str, Any]], merged: dict[str, Any], notes: list[str], where: str
) -> None:
    properties: dict[str, list[dict[str, Any]]] = {}
    required: list[str] = []
    for schema in schemas:
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, dict):
                properties.setdefault(name, []).append(resolve_schema(sub))
        for name in schema.get("required") or ():
            if isinstance(name, str) and name not in required:
                required.append(name)
    if properties:
        merged["properties"] = {
            name: _merge(subs, notes, f"{where}.{name}" if where else name)
            for name, subs in properties.items()
        }
    if required:
        merged["required"] = required
    if len({tuple(sorted(s.get("properties") or {})) for s in schemas}) > 1:
        merged.pop("additionalProperties", None)  # each tool names its own part of the object
