"""Named formats of text values that descriptions state and schemas do not (Semantic
Versioning, well-formed HTML): a check per format, with a value that has the format and
one that does not (what argument sampling and the semantic check use)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
"""The grammar of semver.org (2.0.0), as its regular expression."""

_VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)


class _TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.broken = False
        self.tags = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags += 1
        if tag not in _VOID_TAGS:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_TAGS:
            return
        if not self.open or self.open[-1] != tag:
            self.broken = True
        else:
            self.open.pop()


def _html(text: str) -> bool:
    """At least one tag, every opened tag closed in order (void elements need no end tag)."""
    parser = _TagBalance()
    try:
        parser.feed(text)
        parser.close()
    except Exception:
        return False
    return parser.tags > 0 and not parser.broken and not parser.open


@dataclass(frozen=True)
class TextFormat:
    name: str
    check: Callable[[str], bool]
    valid: str
    """A value that has the format."""
    invalid: str
    """A value that does not."""
    spoken: str
    """How an error names it."""


TEXT_FORMATS: dict[str, TextFormat] = {
    f.name: f
    for f in (
        TextFormat(
            "semver",
            lambda text: _SEMVER.fullmatch(text) is not None,
            "1.4.2",
            "1.4",
            "a Semantic Versioning version (MAJOR.MINOR.PATCH)",
        ),
        TextFormat(
            "html",
            _html,
            "<html><body><p>Hello</p></body></html>",
            "<html><body><p>Hello</body>",
            "well-formed HTML (every tag closed)",
        ),
    )
}


def has_format(value: object, name: str) -> bool:
    """Whether ``value`` is a text in the named format (an unknown name is a programming error)."""
    text_format = TEXT_FORMATS[name]
    return isinstance(value, str) and text_format.check(value)
