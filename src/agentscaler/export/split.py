"""Which split a kept episode goes to: held-out tasks, stage 1 (all domains), stage 2 (verticals).

* Held-out: a task is held out when a hash of ``seed`` and its id, read as a number in [0, 1),
  falls below the fraction. Every kept episode of a held-out task goes to ``heldout`` and to no
  training split.
* Stage 1: every other kept episode, whatever its domain.
* Stage 2: the stage-1 episodes whose domain is one of the chosen verticals: the domains named by
  ``--stage2-domains``, or else the domains with the most kept training episodes.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from agentscaler.errors import ConfigError
from agentscaler.naming import singular, split_identifier
from agentscaler.records import Domain
from agentscaler.records.dataset import Split

_SCALE = float(1 << 64)


def task_fraction_point(task_id: str, seed: int) -> float:
    """A number in [0, 1) fixed by ``seed`` and ``task_id``, uniform over task ids."""
    digest = hashlib.sha256(f"{seed}\x00{task_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def is_heldout(task_id: str, fraction: float, seed: int) -> bool:
    """True when the task is kept apart for evaluation."""
    return fraction > 0 and task_fraction_point(task_id, seed) < fraction


def splits_of(
    *, heldout: bool, domain_id: str, stage2_domains: frozenset[str]
) -> tuple[Split, ...]:
    """The splits one kept episode is written to."""
    if heldout:
        return ("heldout",)
    if domain_id in stage2_domains:
        return ("stage1", "stage2")
    return ("stage1",)


def auto_stage2_domains(kept: Counter[str], count: int) -> tuple[str, ...]:
    """The ``count`` domains with the most kept training episodes (ties broken by id)."""
    ranked = sorted((item for item in kept.items() if item[1] > 0), key=lambda i: (-i[1], i[0]))
    return tuple(domain for domain, _ in ranked[:count])


def _words(text: str) -> frozenset[str]:
    """Singular, lower-case words of ``text``; non-ASCII words (e.g. Chinese) are kept whole."""
    words: set[str] = set()
    for token in re.findall(r"\w+", text):
        if token.isascii():
            words.update(singular(w) for w in split_identifier(token))
        else:
            words.add(token.casefold())
    return frozenset(words)


def _describe(domains: Sequence[Domain], limit: int = 25) -> str:
    shown = ", ".join(f"{d.id} ({d.name})" for d in domains[:limit])
    more = len(domains) - limit
    return shown + (f", and {more} more" if more > 0 else "") if domains else "none"


def resolve_stage2_domains(
    keywords: Iterable[str], domains: Sequence[Domain]
) -> dict[str, tuple[str, ...]]:
    """Map each keyword to the ids of the domains it selects.

    A keyword selects, in this order of preference: the domain with that id; the domains with that
    name (case-insensitive); the domains whose name words or terms contain all of the keyword's
    words (singular and plural alike). A keyword that selects nothing raises :class:`ConfigError`
    naming the available domains.
    """
    by_id = {d.id: d for d in domains}
    result: dict[str, tuple[str, ...]] = {}
    for keyword in keywords:
        if keyword in by_id:
            result[keyword] = (keyword,)
            continue
        named = tuple(d.id for d in domains if d.name.casefold() == keyword.casefold())
        if named:
            result[keyword] = named
            continue
        wanted = _words(keyword)
        matched = tuple(
            d.id
            for d in domains
            if wanted
            and wanted <= (_words(d.name) | frozenset().union(*(_words(t) for t in d.terms)))
        )
        if not matched:
            raise ConfigError(
                f"--stage2-domains: {keyword!r} matches no domain id, name or term. "
                f"Available domains: {_describe(domains)}."
            )
        result[keyword] = matched
    return result
