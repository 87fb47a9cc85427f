"""Whether an episode's replies tell the user what the task says they must be told.

A task's communicated facts (a refund amount, a new status, a booking reference) are values of
its gold calls' outputs. A fact is said when an assistant text of the episode (not a tool call,
not a tool result) contains it, compared as tau-bench compares outputs: text case-insensitively,
as a whole token (``BK-1`` is not said by ``BK-12``), with ``_`` read as a space
(``changed_mind`` is said by "changed mind"), an ISO time by its date
and its hour and minute, and a number by any number in the text equal to it (``1,234.5`` says
``1234.50``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from agentscaler.records import CommunicatedFact, Message, Task

_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})", re.IGNORECASE)
NUMBER_TOLERANCE = 0.005
"""Numbers within half a cent say the same amount (12.5 and 12.50, 7.333 and 7.33)."""


def _numbers(text: str) -> list[float]:
    found = []
    for token in _NUMBER.findall(text):
        try:
            found.append(float(token.replace(",", "")))
        except ValueError:
            continue
    return found


def said(value: Any, texts: Sequence[str]) -> bool:
    """True when some text says ``value``."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)):
        return any(
            abs(number - float(value)) <= NUMBER_TOLERANCE
            for text in texts
            for number in _numbers(text)
        )
    wanted = str(value).strip().casefold()
    if not wanted:
        return True
    variants = {wanted, wanted.replace("_", " ")}
    match = _ISO.match(wanted)
    folded = [t.casefold() for t in texts]
    if any(_contains(text, v) for v in variants for text in folded):
        return True
    if match is not None:
        day, minute = match.groups()
        return any(day in text and minute in text for text in folded)
    return False


def _contains(text: str, needle: str) -> bool:
    """``needle`` in ``text`` as a whole token (``BK-1`` is not in ``BK-12``)."""
    start = text.find(needle)
    while start != -1:
        end = start + len(needle)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() and needle[0].isalnum()) and not (
            after.isalnum() and needle[-1].isalnum()
        ):
            return True
        start = text.find(needle, start + 1)
    return False


def agent_texts(messages: Iterable[Message]) -> list[str]:
    """What the agent said to the user: its messages' text."""
    return [m.content for m in messages if m.role == "assistant" and m.content]


def missing_facts(task: Task, messages: Iterable[Message]) -> list[CommunicatedFact]:
    """The task's communicated facts no assistant text of the episode says."""
    if not task.communicate:
        return []
    texts = agent_texts(messages)
    return [fact for fact in task.communicate if not said(fact.value, texts)]


def describe_missing(facts: Sequence[CommunicatedFact]) -> str:
    return "the replies never tell the user " + "; ".join(
        f"the {f.name} ({f.value})" for f in facts
    )
