"""Canonical JSON and content hashes.

Canonical JSON sorts keys, uses compact separators, keeps non-ASCII text as is and refuses NaN
and objects that are not JSON (no ``default=str``): two equal values always give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
"""One encoder for every call (``json.dumps`` with options builds a new one each time)."""


def canonical_json(value: Any) -> str:
    """Serialize ``value`` to canonical JSON text."""
    return _ENCODER.encode(value)


def plain_text(value: Any) -> str:
    """A value as a person would write it: strings bare, numbers plain, the rest canonical JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return canonical_json(value)


def content_hash(value: Any, *, length: int = 64) -> str:
    """SHA-256 hex digest (optionally truncated) of the canonical JSON of ``value``."""
    digest = hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
    return digest[:length]


def text_hash(text: str, *, length: int = 64) -> str:
    """SHA-256 hex digest (optionally truncated) of a string."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def stable_seed(*parts: Any) -> int:
    """A 64-bit seed from any JSON-able parts, identical across runs and machines."""
    digest = hashlib.sha256(canonical_json(list(parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")
