"""Readable domain names from dominant terms (TF-IDF over member names and parameters).

A tool's terms are the singular words of its name (after its leading verb: ``cancel_order`` ->
``order``) and of its parameter names, minus words every catalog uses (``id``, ``name``, ``type``). A term's score in a domain
is the share of members that use it times its inverse document frequency over the whole pool, and
tool-name words count double. The top terms make the name (``order / refund``) and the id
(``d0007-order-refund``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from agentscaler.graph.dependencies import name_nouns
from agentscaler.graph.texts import schema_fields
from agentscaler.naming import singular, split_identifier
from agentscaler.records.tool import ToolSpec

GENERIC = frozenset(
    """id ids name names type types value values data info detail details list item items key
    keys number num count limit offset page size max min default option options param params
    parameter parameters flag flags text string str int bool true false by for to of the and or
    in on at with from new all api tool request response result results query status code format
    mode level description desc date time start end input output field fields url path""".split()
)
_UNSAFE = re.compile(r"[^a-z0-9]+")


def tool_terms(tool: ToolSpec) -> Counter[str]:
    """Weighted terms of one tool: name words count 2, parameter-name words 1 (each once)."""
    terms: Counter[str] = Counter()

    def useful(word: str) -> str | None:
        if len(word) < 3 or word.isdigit():
            return None
        word = singular(word)
        return None if word in GENERIC else word

    for word in {useful(w) for w in name_nouns(tool.name)} - {None}:
        terms[word] = 2  # type: ignore[index]
    for field in schema_fields(tool.parameters, limit=32):
        for raw in split_identifier(field.name):
            word = useful(raw)
            if word and word not in terms:
                terms[word] = 1
    return terms


class DomainNamer:
    """Names domains of one pool (the inverse document frequencies are the pool's)."""

    def __init__(self, tools: Sequence[ToolSpec]) -> None:
        self.terms = [tool_terms(t) for t in tools]
        document_frequency: Counter[str] = Counter()
        for counts in self.terms:
            document_frequency.update(counts.keys())
        n = max(len(tools), 1)
        self.idf = {
            term: math.log((1 + n) / (1 + df)) + 1.0 for term, df in document_frequency.items()
        }

    def top_terms(self, members: Sequence[int], k: int = 3) -> tuple[str, ...]:
        scores: Counter[str] = Counter()
        for index in members:
            for term, weight in self.terms[index].items():
                scores[term] += weight
        size = max(len(members), 1)
        ranked = sorted(((score / size) * self.idf[term], term) for term, score in scores.items())
        ranked.sort(key=lambda item: (-item[0], item[1]))
        return tuple(term for _, term in ranked[:k])

    def fallback_term(self, members: Sequence[int], tools: Sequence[ToolSpec]) -> str:
        words = split_identifier(tools[members[0]].name) if members else ()
        return singular(words[-1]) if words else "tools"


def domain_name(terms: Sequence[str]) -> str:
    return " / ".join(terms[:2]) if terms else "misc"


def domain_id(index: int, terms: Sequence[str]) -> str:
    """``d0007-order-refund``: position in the pool plus a filesystem-safe slug."""
    slug = "-".join(_UNSAFE.sub("-", t.lower()).strip("-") for t in terms[:2] if t)
    slug = slug.strip("-")[:40].strip("-") or "misc"
    return f"d{index:04d}-{slug}"
