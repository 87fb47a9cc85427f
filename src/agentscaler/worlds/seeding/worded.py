"""Names and labels written to fit a pattern: a channel named ``design-reviews`` under
``^[a-z0-9][a-z0-9_-]{0,79}$``, a document ``invoice_73.pdf`` under
``^[A-Za-z0-9._-]{1,120}\\.(pdf|jpg|jpeg|png)$``, where a string drawn from the pattern alone
reads ``f4_u2ebxf6lnr93ga0k9264i``.

A field's realistic value (:func:`~.labels.field_text`) is tried as it is, then lower case,
with its words joined by ``-``, ``_`` or nothing, and with the file extension the pattern
lists; the first that the schema admits (its pattern and lengths) is kept, and None tells the
caller to draw from the pattern.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from functools import lru_cache

from agentscaler.naming import split_identifier

_EXTENSIONS = re.compile(r"\\\.\(\??:?([A-Za-z0-9|]+)\)\$?$")
_CODED = frozenset(
    """id ids key code codes number token hash uuid guid sku isbn iata icao pnr reference ref
    serial confirmation voucher tracking""".split()
)
"""Words of a column whose values are codes (a pattern there is the code's form, not a name's)."""
WORDED = frozenset({None, "label", "title", "username"})
"""Kinds of column whose values are names or labels (a pattern shapes them, see :func:`worded`)."""


@lru_cache(maxsize=4096)
def _extensions(pattern: str) -> tuple[str, ...]:
    """The file extensions a pattern ends with (``\\.(pdf|jpg)$`` -> ``("pdf", "jpg")``)."""
    found = _EXTENSIONS.search(pattern)
    return tuple(found.group(1).split("|")) if found else ()


def names_words(name: str) -> bool:
    """Whether a column ``name`` holds a name or label a pattern may shape (not a code)."""
    return not (_CODED & set(split_identifier(name)))


def _variants(text: str, pattern: str, rng: random.Random) -> list[str]:
    lower = text.lower()
    words = re.findall(r"[a-z0-9]+", lower)
    stems = [text, lower, "-".join(words), "_".join(words), "".join(words)]
    extensions = _extensions(pattern)
    if extensions:
        extension = rng.choice(extensions)
        for stem in list(stems):
            base = stem.rsplit(".", 1)[0] if "." in stem else stem
            stems.append(f"{base}.{extension}")
    return stems


def worded(text: str, pattern: str, fits: Callable[[str], bool], rng: random.Random) -> str | None:
    """``text`` written to fit ``pattern`` (``fits``: whether the schema admits a string), or
    None."""
    if not text:
        return None
    return next((v for v in _variants(text, pattern, rng) if v and fits(v)), None)
