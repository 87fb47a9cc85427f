"""Normal forms compared by decontamination: identifier words, parameter names, word n-grams."""

from __future__ import annotations

import re
from collections.abc import Iterable

from agentscaler.graph.texts import schema_fields
from agentscaler.naming import split_identifier
from agentscaler.records.tool import ToolSpec

_WORD = re.compile(r"[a-z0-9]+")


def name_key(name: str) -> str:
    """``getWeather``, ``get-weather`` and ``get_weather`` -> ``get_weather``."""
    return "_".join(split_identifier(name)) or name.lower()


def parameter_names(tool: ToolSpec) -> frozenset[str]:
    """Top-level parameter names of ``tool`` in normal form."""
    return frozenset(name_key(f.name) for f in schema_fields(tool.parameters) if "." not in f.path)


def signature(tool: ToolSpec) -> tuple[str, frozenset[str]]:
    """What an exact copy keeps: the name and the parameter names, up to case and separators."""
    return name_key(tool.name), parameter_names(tool)


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    a, b = set(a), set(b)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def signature_score(a: ToolSpec, b: ToolSpec) -> tuple[float, float, float]:
    """``(score, name, parameters)``: Jaccard of name words and of parameter names, and their
    mean (1.0: the same signature). Two tools without parameters are compared by name alone
    (empty parameter lists say nothing about being the same tool)."""
    name = jaccard(split_identifier(a.name), split_identifier(b.name))
    pa, pb = parameter_names(a), parameter_names(b)
    params = jaccard(pa, pb)
    if not pa and not pb:
        return name, name, params
    return (name + params) / 2, name, params


def renamed(tool: ToolSpec, original: ToolSpec) -> bool:
    """``tool`` keeps every word of ``original``'s name (adding a prefix, a suffix or a vendor)
    and exactly its parameters (at least one)."""
    params = parameter_names(original)
    return (
        bool(params)
        and parameter_names(tool) == params
        and set(split_identifier(original.name)) <= set(split_identifier(tool.name))
    )


def coverage(text: str, question: str, n: int) -> float:
    """Share of ``question``'s word n-grams found in ``text`` (n shrinks to the question's
    length for questions shorter than n words)."""
    size = min(n, len(words(question)))
    theirs = ngrams(question, size) if size else frozenset()
    if not theirs:
        return 0.0
    return len(theirs & ngrams(text, size)) / len(theirs)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ngrams(text: str, n: int) -> frozenset[tuple[str, ...]]:
    """Word n-grams of ``text`` (the whole text as one gram when it is shorter than ``n``)."""
    tokens = words(text)
    if len(tokens) < n:
        return frozenset([tuple(tokens)]) if tokens else frozenset()
    return frozenset(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
