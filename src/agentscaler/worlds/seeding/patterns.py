"""Strings matching a regular expression, fast for the patterns ids and codes use.

Tool schemas give identifier formats as patterns (``^ORD-\\d{6}$``, ``[A-Z]{2}\\d{4}``). Seeding
draws thousands of them, so a pattern made only of literals, character classes and counted
repeats, groups and alternatives is compiled once into a small generator tree; any other pattern
(lookarounds, backreferences, negated classes) is drawn by ``rstr``.
"""

from __future__ import annotations

import random
import re
import string
from functools import lru_cache
from typing import Any

try:  # Python 3.11+: the parser lives in re._parser; sre_parse is its deprecated alias
    from re import _constants as _c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

Node = tuple
"""``("chars", alphabet, fewest, most)``, ``("branch", (seq, ...))`` or
``("repeat", seq, fewest, most)``, a seq being a tuple of nodes."""

_PRINTABLE = "".join(c for c in string.printable if c not in "\r\n\t\x0b\x0c")
_CATEGORIES = {
    _c.CATEGORY_DIGIT: string.digits,
    _c.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    _c.CATEGORY_SPACE: " ",
}
_UNBOUNDED_EXTRA = 8
"""How many characters an unbounded repeat (``+``, ``*``, ``{2,}``) may add to its minimum."""


def _alphabet(op, value) -> str | None:
    if op is _c.LITERAL:
        return chr(value)
    if op is _c.ANY:
        return _PRINTABLE
    if op is _c.IN:
        chars: list[str] = []
        for item_op, item in value:
            if item_op is _c.LITERAL:
                chars.append(chr(item))
            elif item_op is _c.RANGE:
                chars.extend(chr(c) for c in range(item[0], item[1] + 1))
            elif item_op is _c.CATEGORY and item in _CATEGORIES:
                chars.extend(_CATEGORIES[item])
            else:  # negation and unknown categories: leave it to rstr
                return None
        return "".join(dict.fromkeys(chars)) or None
    return None


def _sequence(parsed) -> tuple[Node, ...] | None:
    nodes: list[Node] = []
    for op, value in parsed:
        if op is _c.AT:  # ^ and $
            continue
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, body = value
            if high is _c.MAXREPEAT:
                high = low + _UNBOUNDED_EXTRA
            if len(body) == 1 and (alphabet := _alphabet(*body[0])) is not None:
                nodes.append(("chars", alphabet, low, high))
                continue
            inner = _sequence(body)
            if inner is None:
                return None
            nodes.append(("repeat", inner, low, high))
        elif op is _c.SUBPATTERN:
            inner = _sequence(value[-1])
            if inner is None:
                return None
            nodes.extend(inner)
        elif op is _c.BRANCH:
            options = [_sequence(option) for option in value[1]]
            if any(o is None for o in options):
                return None
            nodes.append(("branch", tuple(options)))
        else:
            alphabet = _alphabet(op, value)
            if alphabet is None:
                return None
            nodes.append(("chars", alphabet, 1, 1))
    return tuple(nodes)


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> tuple[Node, ...] | None:
    """The generator tree of a pattern made of literals, classes, groups, alternatives and
    counted repeats; None when it needs the general generator (lookarounds, backreferences)."""
    try:
        parsed = _sre_parse.parse(pattern)
    except re.error:
        return None
    return _sequence(parsed)


def _emit(nodes: tuple[Node, ...], rng: random.Random, out: list[str]) -> None:
    for node in nodes:
        kind = node[0]
        if kind == "chars":
            _, alphabet, low, high = node
            count = low if low == high else rng.randint(low, high)
            out.append(
                alphabet * count if len(alphabet) == 1 else "".join(rng.choices(alphabet, k=count))
            )
        elif kind == "branch":
            _emit(rng.choice(node[1]), rng, out)
        else:
            _, inner, low, high = node
            for _ in range(low if low == high else rng.randint(low, high)):
                _emit(inner, rng, out)


def draw(pattern: str, rng: random.Random) -> str | None:
    """A string matching ``pattern``, or None when none can be drawn."""
    nodes = compile_pattern(pattern)
    if nodes is not None:
        out: list[str] = []
        _emit(nodes, rng, out)
        return "".join(out)
    import rstr

    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    generator = rstr.Rstr(rng)
    for _ in range(5):
        try:
            made = generator.xeger(pattern)
        except Exception:
            return None
        if compiled.search(made):
            return made
    return None


def draw_many(pattern: str, count: int, gen: Any) -> list[str] | None:
    """``count`` strings matching ``pattern`` drawn at once with the numpy generator ``gen``, for
    a pattern made only of characters and character classes with counts (``^ORD-\\d{6}$``);
    None for any other pattern."""
    nodes = compile_pattern(pattern)
    if nodes is None or any(node[0] != "chars" for node in nodes):
        return None
    parts: list[list[str]] = []
    for _, alphabet, low, high in nodes:
        if len(alphabet) == 1 and low == high:
            parts.append([alphabet * low] * count)
            continue
        if low == high:
            picked = gen.integers(0, len(alphabet), (count, low)).tolist()
            parts.append(["".join(alphabet[i] for i in row) for row in picked])
            continue
        sizes = gen.integers(low, high + 1, count).tolist()
        flat = gen.integers(0, len(alphabet), sum(sizes)).tolist()
        made, at = [], 0
        for size in sizes:
            made.append("".join(alphabet[i] for i in flat[at : at + size]))
            at += size
        parts.append(made)
    return ["".join(pieces) for pieces in zip(*parts, strict=True)] if parts else [""] * count
