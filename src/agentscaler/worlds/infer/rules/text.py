"""Reading descriptions: sentences, words, how enum values and entity names are spoken."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from agentscaler.naming import plural, singular

_SENTENCE = re.compile(r"(?<=[.;!?])\s+|\n+")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[%$€£]")
NEGATIONS = frozenset(
    "cannot can't not never no nor neither without unless isn't aren't wasn't weren't don't "
    "doesn't".split()
)
RESULT_OPENINGS = ("returns ", "return the ", "it returns ", "the result ", "responds ")


_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
}


def number_value(word: str) -> float | None:
    """The number a word spells ("three", "24"), or ``None``."""
    if word in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[word])
    try:
        return float(word)
    except ValueError:
        return None


_CLAUSE_END = re.compile(r"(?<=[.;!?])\s+")


def clauses(text: str) -> list[str]:
    """The sentences and semicolon clauses of a text as written (case and spacing kept)."""
    return _CLAUSE_END.split(text)


def sentences(text: str) -> list[str]:
    """The sentences (and semicolon clauses) of a description, in lower case."""
    parts = [p.strip() for p in _SENTENCE.split(text or "") if p.strip()]
    return [normalize(p) for p in parts]


def normalize(text: str) -> str:
    """Lower case, hyphens and slashes as spaces, one space between words."""
    text = text.lower().replace("-", " ").replace("/", " ").replace("_", " ")
    return re.sub(r"\s+", " ", text).strip()


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def spoken(value: object) -> str:
    """How an enum value reads in a sentence: ``checked_in`` -> "checked in"."""
    return normalize(str(value))


@cache
def word_forms(phrase: str) -> tuple[tuple[str, ...], ...]:
    """Token sequences naming ``phrase`` (singular and plural of its last word)."""
    words = tuple(normalize(phrase).split())
    if not words:
        return ()
    forms = {words, (*words[:-1], plural(words[-1])), (*words[:-1], singular(words[-1]))}
    return tuple(sorted(forms, key=len, reverse=True))


def find_all(haystack: list[str], needle: tuple[str, ...]) -> list[int]:
    """Start positions of a token sequence."""
    n = len(needle)
    return [i for i in range(len(haystack) - n + 1) if tuple(haystack[i : i + n]) == needle]


@dataclass(frozen=True)
class Mention:
    """A phrase found in a sentence: its token span."""

    start: int
    end: int
    """One past the last token."""


def mentions(words: list[str], phrase: str) -> list[Mention]:
    found: list[Mention] = []
    taken: set[int] = set()
    for form in word_forms(phrase):
        for start in find_all(words, form):
            if start in taken:
                continue
            taken.update(range(start, start + len(form)))
            found.append(Mention(start, start + len(form)))
    return sorted(found, key=lambda m: m.start)


DETERMINERS = frozenset("a an the your their its his her my our this that these those".split())
"""Words that open a noun phrase ("an open claim", "the active boards")."""
_AFFIRMED = frozenset({("must", "be"), ("to", "be"), ("should", "be")})
_ARTICLES = frozenset("the a an its their".split())
_CLAUSE_BREAKS = frozenset("but while whereas so then instead".split())
_RELATIVES = frozenset("that which who whose when if unless until once before after".split())


def negated(words: list[str], start: int, end: int | None = None) -> bool:
    """Whether a negation governs the words ``start..end``: one before them in their clause
    ("a draft that has not been sent"), or one shortly after ("checked-in or cancelled bookings
    cannot be changed")."""
    end = end if end is not None else start + 1
    clause_start = start
    while clause_start > 0 and words[clause_start - 1] not in _CLAUSE_BREAKS:
        clause_start -= 1
    before = words[clause_start:start]
    if any(w in NEGATIONS for w in before):
        return True
    if tuple(before[-2:]) in _AFFIRMED:
        return False  # "must be active and the amount cannot exceed ...": a new statement
    after = []
    for index in range(end, min(end + 8, len(words))):
        word = words[index]
        if word in _CLAUSE_BREAKS or word in _RELATIVES:
            break  # "a pending request that has not started": the negation is about more
        if word == "and" and index + 1 < len(words) and words[index + 1] in _ARTICLES:
            break  # "... and the amount cannot exceed": another subject
        after.append(word)
    return any(w in NEGATIONS for w in after)


_RESULT_FOLLOWERS = frozenset(
    """the a an its their his her all every each matching one it them whether true false list
    up any""".split()
)


def is_result_sentence(sentence: str) -> bool:
    """A sentence describing what the tool returns (``Returns the pending request``)."""
    words = sentence.split()
    if len(words) >= 2 and words[0] == "returns" and words[1] in _RESULT_FOLLOWERS:
        return True
    return sentence.startswith(tuple(o for o in RESULT_OPENINGS if o != "returns "))
