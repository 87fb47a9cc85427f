"""Words for groups of states: which values of a state column an adjective like "open" means.

A description says "an open claim", "open refills", "closed deals" or "has not been decided"
where the state column holds ``submitted``, ``under_review``, ``approved``, ``closed_won`` ...:
the word names no value but a group of them, read from the values' own words:

* terminal values end a row's life (``completed``, ``cancelled``, ``closed_lost``, ``returned``,
  ``expired`` ...); "open", "outstanding", "ongoing", "borrowed" mean every value that does not
  say closed when some do (``closed_won``), else every value that is not terminal;
* "closed" (when no value is called that) means the values that say closed, else the terminal
  ones; "decided" means the decisions (``approved``, ``refused`` ...).
"""

from __future__ import annotations

from agentscaler.worlds.infer.rules.text import DETERMINERS, spoken

_TERMINAL = frozenset(
    """completed complete cancelled canceled closed done resolved returned expired failed
    rejected refused declined denied withdrawn archived delivered used stopped dismissed
    transferred lost won finished refunded settled fulfilled paid""".split()
)
_DECISIONS = frozenset("approved accepted granted refused rejected declined denied".split())
_OPEN = frozenset("open outstanding ongoing borrowed".split())
_CLOSED = frozenset({"closed"})
_DECIDED = frozenset({"decided"})
GROUP_WORDS = _OPEN | _CLOSED | _DECIDED
"""Words that may name a group of states."""
PLAIN_GROUP_WORDS = ("open", "closed", "decided")
"""The words rule names and messages use for a group, in order of preference."""


def is_terminal(value: object) -> bool:
    """Whether a state ends a row's life (any of its words is a terminal word)."""
    return any(word in _TERMINAL for word in spoken(value).split())


def group_values(word: str, values: list[str]) -> list[str]:
    """The values of a state column ``word`` names as a group (empty when it names none, or
    names them all, or is one of the values itself)."""
    if word not in GROUP_WORDS or word in {spoken(v) for v in values}:
        return []
    terminal = [v for v in values if is_terminal(v)]
    if word in _OPEN:
        closed = [v for v in values if "closed" in spoken(v).split()]
        found = [v for v in values if v not in (closed or terminal)]
    elif word in _CLOSED:
        found = [v for v in values if "closed" in spoken(v).split()] or terminal
    else:
        found = [v for v in values if set(spoken(v).split()) & _DECISIONS]
    return found if found and len(found) < len(values) else []


def is_state_adjective(words: list[str], index: int) -> bool:
    """Whether ``words[index]`` is used as a state ("an open claim", "open refills must ...",
    "is open"), not as a verb ("Open a ticket", "open the account")."""
    following = words[index + 1] if index + 1 < len(words) else None
    return following is None or following not in DETERMINERS
