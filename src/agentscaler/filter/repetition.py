"""n-gram repetition: a cheap detector of degenerate, looping assistant text."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def repeat_ratio(text: str, n: int) -> tuple[float, int]:
    """Share of word n-grams in ``text`` that repeat an earlier one, and the number of n-grams."""
    tokens = words(text)
    total = len(tokens) - n + 1
    if total <= 0:
        return 0.0, 0
    seen: set[tuple[str, ...]] = set()
    repeats = 0
    for i in range(total):
        gram = tuple(tokens[i : i + n])
        if gram in seen:
            repeats += 1
        else:
            seen.add(gram)
    return repeats / total, total
