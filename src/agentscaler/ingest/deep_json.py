"""Reading JSON whose values nest deeper than Python's parser can follow, without losing the rest.

``json.loads`` recurses once per level and gives up (``RecursionError``) on a document holding
one absurdly nested value, which would cost every other record of the file. This parser is
iterative: it reads the whole document, and any value nested deeper than ``max_depth`` becomes a
:class:`TooDeep` marker in place, so the records around it are read as usual and the record
holding it is rejected on its own (:func:`find_too_deep` says where). It is the fallback for the
rare file the fast parser refuses; it runs at Python speed.
"""

from __future__ import annotations

import json
import math
import re
from json.decoder import scanstring
from typing import Any

MAX_DEPTH = 200
"""Values nested deeper than this are replaced by a :class:`TooDeep` marker."""

_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_CONSTANTS = {
    "true": True,
    "false": False,
    "null": None,
    "NaN": float("nan"),
    "Infinity": float("inf"),
    "-Infinity": float("-inf"),
}
_CONSTANT = re.compile(r"-Infinity|Infinity|NaN|true|false|null")


class TooDeep:
    """Stands for a value nested deeper than the parser follows (the record is rejected)."""

    __slots__ = ("depth",)

    def __init__(self, depth: int) -> None:
        self.depth = depth

    def __repr__(self) -> str:
        return f"<value nested more than {self.depth} levels deep>"


def loads(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``text`` like ``json.loads``; values deeper than ``max_depth`` become TooDeep."""
    parser = _Parser(text, max_depth)
    value = parser.value()
    parser.skip_space()
    if parser.pos != len(text):
        raise parser.error("Extra data")
    return value


class _Parser:
    def __init__(self, text: str, max_depth: int) -> None:
        self.text = text
        self.pos = 0
        self.max_depth = max_depth

    def error(self, message: str) -> json.JSONDecodeError:
        return json.JSONDecodeError(message, self.text, min(self.pos, len(self.text)))

    def skip_space(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def scalar(self) -> Any:
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.error("Expecting value")
        char = text[pos]
        if char == '"':
            value, self.pos = scanstring(text, pos + 1)
            return value
        match = _NUMBER.match(text, pos)
        if match and not text.startswith("-Infinity", pos):
            self.pos = match.end()
            return json.loads(match.group())
        match = _CONSTANT.match(text, pos)
        if match:
            self.pos = match.end()
            return _CONSTANTS[match.group()]
        raise self.error("Expecting value")

    def value(self) -> Any:
        """One value, iteratively: a stack of open containers."""
        stack: list[tuple[list[Any] | dict[str, Any], str | None]] = []
        while True:
            self.skip_space()
            if self.pos < len(self.text) and self.text[self.pos] in "[{":
                if len(stack) >= self.max_depth:
                    self.skip_container()
                    item: Any = TooDeep(self.max_depth)
                else:
                    opening = self.text[self.pos]
                    self.pos += 1
                    container: list[Any] | dict[str, Any] = [] if opening == "[" else {}
                    self.skip_space()
                    closing = "]" if opening == "[" else "}"
                    if self.pos < len(self.text) and self.text[self.pos] == closing:
                        self.pos += 1
                        item = container
                    else:
                        key = self.key() if isinstance(container, dict) else None
                        stack.append((container, key))
                        continue
            else:
                item = self.scalar()
            # attach the finished item and close every container it completes
            while True:
                if not stack:
                    return item
                container, key = stack[-1]
                if isinstance(container, dict):
                    container[key] = item  # type: ignore[index]
                else:
                    container.append(item)
                self.skip_space()
                char = self.text[self.pos] if self.pos < len(self.text) else ""
                if char == ",":
                    self.pos += 1
                    if isinstance(container, dict):
                        stack[-1] = (container, self.key())
                    break
                if char == ("}" if isinstance(container, dict) else "]"):
                    self.pos += 1
                    stack.pop()
                    item = container
                    continue
                raise self.error("Expecting ',' delimiter")

    def key(self) -> str:
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] != '"':
            raise self.error("Expecting property name enclosed in double quotes")
        key, self.pos = scanstring(self.text, self.pos + 1)
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] != ":":
            raise self.error("Expecting ':' delimiter")
        self.pos += 1
        return key

    def skip_container(self) -> None:
        """Move past the container starting here (strings respected), without building it."""
        depth = 0
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == '"':
                _, self.pos = scanstring(text, self.pos + 1)
                continue
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    self.pos += 1
                    return
            self.pos += 1
        raise self.error("Unterminated container")


def first_unrepresentable(value: Any, base: str = "") -> tuple[str, str] | None:
    """``(JSON pointer, what)`` of the first value inside ``value`` that JSON cannot carry (a
    :class:`TooDeep` marker, NaN or an infinity), or None."""
    from agentscaler.ingest.refs import join

    stack: list[tuple[Any, str]] = [(value, base)]
    while stack:
        item, pointer = stack.pop()
        if isinstance(item, TooDeep):
            return pointer, f"values nested more than {item.depth} levels deep"
        if isinstance(item, float) and not math.isfinite(item):
            return pointer, f"{item}, which JSON cannot represent"
        if isinstance(item, dict):
            stack.extend((v, join(pointer, k)) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend((v, join(pointer, i)) for i, v in reversed(list(enumerate(item))))
    return None
