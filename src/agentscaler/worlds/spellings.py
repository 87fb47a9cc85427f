"""One column, several spellings: the values tools name differently matched by meaning.

Tools that share a column may each spell its closed set of values their own way: one states
``easy / medium / hard`` and another ``Beginner / Intermediate / Advanced``, one ``15`` and
another ``15 minutes``, one ``resolved_to`` and another ``resolves_to``, one a boolean and
another ``"0"`` / ``"1"``. The column keeps one canonical value set (the values every tool can
name), and each tool's own spelling maps onto it: its arguments are read into the column's
spelling and its results shown in its own.

Values are matched by meaning, in order of strictness: the same words (case, separators and
word endings aside: ``resolved_to`` = ``resolves_to``), the same number where one side states a
unit (``15`` = ``15 minutes``), the same rank on a scale of levels (``easy`` = ``Beginner`` =
``low``), one value's words leading or ending the other's (``Internship`` = ``Internship at
Sebelas Maret University``, ``Pool`` = ``UberPool``), and a truth value spelled as text
(``"1"`` / ``"yes"`` / ``"true"`` = ``true``). A value matches only when exactly one value of
the other side does. A tool taking free text for a column of objects, lists or truth values
takes and shows them as their JSON text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+(?:\.\d+)?")
_ENDINGS = ("ing", "ed", "es", "s")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z][A-Za-z ]*)?\s*$")
_LEVELS = (
    frozenset("easy beginner basic low novice elementary simple light junior minor".split()),
    frozenset("medium intermediate moderate normal average standard mid middle".split()),
    frozenset("hard advanced high expert difficult severe senior heavy major".split()),
)
_TRUE = frozenset({"1", "true", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "no", "n", "off"})


def _words(value: Any) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORD.findall(str(value)))


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _same_words(a: Any, b: Any) -> bool:
    wa, wb = _words(a), _words(b)
    return bool(wa) and tuple(map(_stem, wa)) == tuple(map(_stem, wb))


def _same_number(a: Any, b: Any) -> bool:
    ma, mb = _NUMBER.match(str(a)), _NUMBER.match(str(b))
    if ma is None or mb is None or isinstance(a, bool) or isinstance(b, bool):
        return False
    # the same number, where exactly one side states its unit
    return float(ma.group(1)) == float(mb.group(1)) and (ma.group(2) is None) != (
        mb.group(2) is None
    )


def _level(value: Any) -> int | None:
    words = set(_words(value))
    ranks = [i for i, level in enumerate(_LEVELS) if words & level]
    return ranks[0] if len(ranks) == 1 and len(words) <= 2 else None


def _same_level(a: Any, b: Any) -> bool:
    rank = _level(a)
    return rank is not None and rank == _level(b)


def _part_of(a: Any, b: Any) -> bool:
    wa, wb = _words(a), _words(b)
    if not wa or not wb or wa == wb:
        return False
    short, long = (wa, wb) if len(wa) < len(wb) else (wb, wa)
    return long[: len(short)] == short or long[-len(short) :] == short


def _same_truth(a: Any, b: Any) -> bool:
    if isinstance(a, bool) == isinstance(b, bool):
        return False
    flag, text = (a, str(b).lower()) if isinstance(a, bool) else (b, str(a).lower())
    return text in (_TRUE if flag else _FALSE)


_RULES: tuple[Callable[[Any, Any], bool], ...] = (
    _same_words,
    _same_number,
    _same_level,
    _part_of,
    _same_truth,
)


def spelling(tool_values: Sequence[Any], column_values: Sequence[Any]) -> dict[Any, Any]:
    """``{tool value: column value}`` for each of ``tool_values`` that names one of
    ``column_values`` by meaning (values the two share are left out: they need no mapping)."""
    found: dict[Any, Any] = {}
    taken: set[Any] = set()
    for value in tool_values:
        if _hashable(value) and value in column_values:
            taken.add(value)
    rest = [v for v in tool_values if _hashable(v) and v not in column_values]
    for rule in _RULES:
        for value in list(rest):
            candidates = [
                c for c in column_values if _hashable(c) and c not in taken and rule(value, c)
            ]
            if len(candidates) == 1:
                rivals = [v for v in rest if v is not value and rule(v, candidates[0])]
                if rivals:
                    continue  # two values of the tool would name the same one
                found[value] = candidates[0]
                taken.add(candidates[0])
                rest.remove(value)
    return found


def shared_by_meaning(chosen: Sequence[Any], others: Sequence[Sequence[Any]]) -> list[Any]:
    """The values of ``chosen`` that every one of ``others`` names, literally or by meaning."""
    named: set[Any] = {v for v in chosen if _hashable(v)}
    for other in others:
        mapped = spelling(other, chosen)
        named &= {v for v in chosen if _hashable(v) and v in other} | set(mapped.values())
    return [v for v in chosen if _hashable(v) and v in named]


AS_TEXT = "json"
"""The spelling of a tool that takes and shows a column's object, list or truth value as its
JSON text (a free text argument ``contractDetails`` for a column of objects)."""

Spelling = dict[Any, Any] | str


def to_column(value: Any, mapping: Spelling) -> Any:
    """An argument in the column's spelling (each item of a list)."""
    if isinstance(mapping, str):
        return _from_text(value)
    if isinstance(value, list):
        return [to_column(v, mapping) for v in value]
    for tool_value, column_value in mapping.items():
        if _equal(value, tool_value):
            return column_value
    return value


def to_tool(value: Any, mapping: Spelling) -> Any:
    """A column's value in a tool's spelling (each item of a list)."""
    if isinstance(mapping, str):
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, list):
        return [to_tool(v, mapping) for v in value]
    for tool_value, column_value in mapping.items():
        if _equal(value, column_value):
            return tool_value
    return value


def _from_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        return value  # text that is no JSON is kept as it was given
    return parsed if isinstance(parsed, dict | list | bool) else value


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def read_arguments(
    arguments: dict[str, Any], spellings: dict[str, dict[Any, Any]]
) -> dict[str, Any]:
    """A call's arguments with each spelled one in its column's spelling."""
    return {
        name: to_column(value, spellings[name]) if name in spellings else value
        for name, value in arguments.items()
    }


def show_result(result: Any, shown: dict[str, Spelling], depth: int = 0) -> Any:
    """A tool's result with the values of its spelled columns in the tool's spelling (in the
    row it returns, the rows of a list and the rows one level inside an object)."""
    if depth > 3:
        return result
    if isinstance(result, list):
        return [show_result(item, shown, depth + 1) for item in result]
    if isinstance(result, dict):
        return {
            key: to_tool(value, shown[key])
            if key in shown
            else show_result(value, shown, depth + 1)
            for key, value in result.items()
        }
    return result


def typed_enum(
    values: list[Any] | None, schema: dict[str, Any] | None
) -> tuple[list[Any] | None, dict[str, Any] | None]:
    """A column's enum and value schema, where tools list its values as text but the schema
    keeps a number or a truth value: the listed values in the schema's type where the text
    spells one (``"2015"`` -> ``2015``; the others, ``"dontcare"``, left out) and listed by the
    schema too; a truth value needs no list. Anything else is returned as it is."""
    json_type = (schema or {}).get("type")
    if not values or not schema or "enum" in schema or json_type not in _TYPED:
        return values, schema
    if all(_TYPED[json_type](v) for v in values):
        return values, schema
    if json_type == "boolean":
        return None, schema
    typed: list[Any] = []
    for value in values:
        number = _number_of(value)
        if number is None or (json_type == "integer" and not number.is_integer()):
            continue
        made: Any = int(number) if json_type == "integer" else number
        low, high = schema.get("minimum"), schema.get("maximum")
        if (isinstance(low, int | float) and made < low) or (
            isinstance(high, int | float) and made > high
        ):
            continue
        if made not in typed:
            typed.append(made)
    if not typed:
        return None, schema
    return typed, {**schema, "enum": typed}


def _number_of(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


_TYPED: dict[str, Callable[[Any], bool]] = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}
