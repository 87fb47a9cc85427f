"""What the user knows and what the agent needs: user facts, gold arguments and questions.

Shared by the oracle agent (which facts to ask for before a call) and the scripted user (which
facts a question asks for). A fact is named by the words of its name (``customer_email`` ->
"customer email"); a question asks for a fact when it contains those words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.naming import singular, split_identifier, spoken
from agentscaler.records import GoldCall, UserFact

_WORD = re.compile(r"[A-Za-z0-9]+")
_GENERIC = frozenset({"customer", "user", "client", "my", "your", "the", "current"})
"""Name words a question may leave out ("your email" asks for ``customer_email``)."""
_JSONISH = re.compile(r"[\[{].*[\]}]", re.DOTALL)


def fact_phrase(fact: UserFact) -> str:
    """How the fact is named in a sentence: ``order_id`` -> "order id"."""
    return spoken(fact.name)


def value_text(value: Any) -> str:
    """A value as the user would type it (strings bare, numbers plain, the rest as JSON)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def text_words(text: str) -> frozenset[str]:
    """Lower-case singular words of free text, identifiers split (``order_id`` -> order, id)."""
    words: set[str] = set()
    for token in _WORD.findall(text):
        for word in split_identifier(token):
            words.add(singular(word))
    return frozenset(words)


def _name_word_sets(fact: UserFact) -> list[frozenset[str]]:
    """The words a question about ``fact`` holds: its name's or their spoken form's
    (``scheduled_send_at``: scheduled, send, at or scheduled, send, time)."""
    sets = []
    for name in (fact.name, spoken(fact.name)):
        words = frozenset(singular(w) for w in split_identifier(name))
        if words and words not in sets:
            sets.append(words)
    return sets


def strip_data(text: str) -> str:
    """``text`` without the JSON objects and lists it quotes (tool results in a reply)."""
    return _JSONISH.sub(" ", text)


def facts_asked(facts: Sequence[UserFact], text: str) -> list[UserFact]:
    """The facts a message asks about: every word of the fact's name appears in it (else the
    facts whose words, generic ones like "customer" left out, all appear)."""
    words = text_words(strip_data(text))
    exact = [f for f in facts if any(n <= words for n in _name_word_sets(f))]
    if exact:
        return exact
    loose = []
    for fact in facts:
        cores = [n - _GENERIC for n in _name_word_sets(fact)]
        if any(core and core <= words for core in cores):
            loose.append(fact)
    return loose


def _scalars(value: Any) -> Iterable[str]:
    """Canonical text of every scalar inside a JSON value."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _scalars(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _scalars(item)
    elif value is not None:
        yield canonical_json(value)


def facts_for_calls(
    facts: Sequence[UserFact], calls: Sequence[GoldCall], earlier: Sequence[GoldCall]
) -> list[UserFact]:
    """The user facts the agent needs to make ``calls`` (after ``earlier`` calls).

    A fact is needed when an argument is marked as coming from it, or when an argument's value
    equals the fact's value and did not appear in the output of an earlier call (where the agent
    could have read it). A detail of the request (a quantity, a score) is the user's choice: it
    is needed even when the same value happens to appear in an earlier output.
    """
    if not facts:
        return []
    seen_in_outputs = {text for call in earlier for text in _scalars(call.output)}
    by_name = {f.name: f for f in facts}
    by_value: dict[str, list[UserFact]] = {}
    for fact in facts:
        by_value.setdefault(canonical_json(fact.value), []).append(fact)
    needed: dict[str, UserFact] = {}
    for call in calls:
        for name, value in call.arguments.items():
            source = call.sources.get(name)
            if source is not None and source.kind == "user_fact":
                fact = by_name.get(source.path) or by_name.get(name)
                if fact is not None:
                    needed.setdefault(fact.name, fact)
                    continue
            if source is not None and source.kind == "output":
                continue
            for key in _scalars(value):
                for fact in by_value.get(key, ()):
                    if key not in seen_in_outputs or fact.role == "detail":
                        needed.setdefault(fact.name, fact)
    return list(needed.values())


def disclosed(fact: UserFact, user_texts: Iterable[str]) -> bool:
    """True when the user already wrote the fact's value as a whole token ("3" is not said by
    "VWR-9352656" nor by "3.5")."""
    needle = value_text(fact.value).casefold()
    if not needle:
        return False
    pattern = re.compile(rf"(?<![\w.-]){re.escape(needle)}(?![\w-]|\.\d)")
    return any(pattern.search(text.casefold()) for text in user_texts)


def join_phrases(phrases: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]
