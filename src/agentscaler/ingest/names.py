"""Tool names valid for OpenAI-compatible servers: ``^[a-zA-Z0-9_-]{1,64}$``.

A valid name is kept as it is, so the rules are idempotent. Otherwise:

* accents are folded to ASCII (``café`` -> ``cafe``);
* every run of other characters becomes one ``_`` (``math.sqrt`` -> ``math_sqrt``,
  ``get weather`` -> ``get_weather``), and underscores left at either end are stripped;
* when letters could not be folded (``天气``), or nothing is left, or the name is longer than 64
  characters, a short hash of the original name is appended (``_1a2b3c4d``) so distinct names
  stay distinct; long names are cut to make room for it.

The original name is kept in the tool's provenance (``Provenance.original_name``).
"""

from __future__ import annotations

import re
import unicodedata

from agentscaler.canonical import text_hash

MAX_NAME_LENGTH = 64
"""Longest tool name OpenAI-compatible servers accept."""
HASH_LENGTH = 8

_VALID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_INVALID_RUN = re.compile(r"[^a-zA-Z0-9_-]+")


def is_valid_name(name: str) -> bool:
    return _VALID.fullmatch(name) is not None


def openai_name(name: str) -> str:
    """A valid tool name for ``name`` (unchanged when already valid)."""
    if _VALID.fullmatch(name):
        return name
    decomposed = unicodedata.normalize("NFKD", name)
    lossy = any(ord(ch) > 127 and not unicodedata.combining(ch) for ch in decomposed)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    cleaned = _INVALID_RUN.sub("_", ascii_text).strip("_")
    suffix = "_" + text_hash(name, length=HASH_LENGTH)
    if not cleaned:
        return "tool" + suffix
    if lossy or len(cleaned) > MAX_NAME_LENGTH:
        return cleaned[: MAX_NAME_LENGTH - len(suffix)].rstrip("_") + suffix
    return cleaned
