"""Short realistic texts for free-text columns: reasons, notes, descriptions, advice, comments,
messages and bios.

A text is a sentence of the column's kind, naming what the row is about (its entity and the
names it holds: a drug interaction's advice names its two medications). Every draw takes the
caller's random stream, so a seed gives the same texts everywhere.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from agentscaler.naming import split_identifier

_KIND_OF_WORD = {
    "reason": "reason",
    "reasons": "reason",
    "note": "note",
    "notes": "note",
    "remarks": "note",
    "memo": "note",
    "description": "description",
    "details": "description",
    "detail": "description",
    "summary": "description",
    "explanation": "description",
    "advice": "advice",
    "recommendation": "advice",
    "recommendations": "advice",
    "instructions": "request",
    "request": "request",
    "requests": "request",
    "preferences": "request",
    "warning": "advice",
    "comment": "comment",
    "comments": "comment",
    "feedback": "comment",
    "review": "comment",
    "bio": "bio",
    "biography": "bio",
    "about": "bio",
    "message": "message",
    "body": "message",
    "content": "message",
    "text": "message",
}

_REASONS = {
    "cancel": (
        "Customer changed their plans.",
        "Found a better price elsewhere.",
        "Schedule conflict with another commitment.",
        "The {thing} was booked by mistake.",
        "No longer needed after a change of plans.",
        "Duplicate {thing} created in error.",
        "Family emergency, cannot attend.",
        "Delivery estimate was too late.",
    ),
    "return": (
        "Item arrived damaged.",
        "Wrong size was delivered.",
        "Item not as described on the listing.",
        "Ordered the wrong model by mistake.",
        "Arrived after the date it was needed.",
        "Quality below what was expected.",
    ),
    "": (
        "Requested by the customer over the phone.",
        "Changed after a review of the {thing}.",
        "Policy requires it for this {thing}.",
        "Customer asked to update the {thing}.",
        "Flagged during the routine monthly check.",
    ),
}
_TEMPLATES = {
    "note": (
        "Prefers to be contacted by e-mail.",
        "Called about the {thing}; no action needed.",
        "Follow-up scheduled for next week.",
        "{Subject} confirmed by phone.",
        "Asked for a reminder two days before.",
        "Discussed the {thing} with {subject}; all details confirmed.",
    ),
    "description": (
        "{Subject}: details on file and up to date.",
        "Standard {thing}, reviewed and confirmed.",
        "{Subject}, checked at the last review.",
        "A {thing} with the usual terms and conditions.",
        "Details of {subject} as agreed with the customer.",
    ),
    "advice": (
        "Take {subject} and {other} at least two hours apart.",
        "Ask your pharmacist before combining {subject} with {other}.",
        "Watch for side effects when using {subject} together with {other}.",
        "Review the {thing} with a specialist before any change.",
        "Check the details of {subject} before you confirm.",
    ),
    "request": (
        "Please call on arrival.",
        "A quiet spot away from the entrance, if possible.",
        "Please leave it at the front desk.",
        "Running late, arriving after 9 pm.",
        "No contact, please; leave it by the door.",
        "Ring the bell twice; the intercom is broken.",
    ),
    "comment": (
        "Friendly staff and quick service.",
        "The {thing} arrived on time and as described.",
        "Took longer than expected, but the result was good.",
        "Would happily use {subject} again.",
        "Clear instructions and helpful support.",
    ),
    "bio": (
        "{Subject} has over ten years of experience.",
        "{Subject} joined the team in the spring and leads client onboarding.",
        "Experienced professional who enjoys helping clients.",
        "{Subject} specialises in complex requests and follow-ups.",
    ),
    "message": (
        "Hi, could you confirm the status of my {thing}?",
        "Thanks for your help with the {thing}.",
        "Please call me back about the {thing} when you can.",
        "Could you send me the details of {subject}?",
        "Just checking that everything is ready for tomorrow.",
    ),
}
_NAMED = re.compile(r"(^|_)(name|title|medication|drug|product|item|service|model|brand)(_|$)")
_ID_LIKE = re.compile(r"\d{3,}|^[A-Z0-9-]+$")


@lru_cache(maxsize=4096)
def text_kind(name: str) -> str | None:
    """The kind of free text a column of this name holds (``reason``, ``note``...), or None."""
    words = split_identifier(name)
    return _KIND_OF_WORD.get(words[-1]) if words else None


def named_columns(columns: Any) -> tuple[str, ...]:
    """The columns among ``columns`` whose values name what a row is about."""
    return tuple(c for c in columns if _NAMED.search(c))


def _names(row: dict[str, Any], skip: str, named: tuple[str, ...] | None) -> list[str]:
    found = []
    for column in named if named is not None else row:
        value = row.get(column)
        if column == skip or not isinstance(value, str) or not _NAMED.search(column):
            continue
        if 2 <= len(value) <= 60 and not _ID_LIKE.search(value) and "@" not in value:
            found.append(value)
    return found


def free_text(
    name: str,
    row: dict[str, Any],
    entity: str,
    rng: random.Random,
    kind: str | None = None,
    named: tuple[str, ...] | None = None,
) -> str:
    """A sentence for the free-text column ``name`` of a row of ``entity`` (``named``: the
    row's columns that may name what it is about, when known)."""
    return text_maker(name, entity, kind, named)(row, rng)


TextMaker = Callable[[dict[str, Any], random.Random], str]
"""Makes one free-text value from its row and a random stream."""


@lru_cache(maxsize=4096)
def text_maker(
    name: str, entity: str, kind: str | None = None, named: tuple[str, ...] | None = None
) -> TextMaker:
    """The maker of :func:`free_text`'s sentences for one column: its templates are chosen
    once, by how many names a row holds (none, one, two or more), and the sentences naming no
    one are written out once."""
    kind = kind or text_kind(name) or "note"
    thing = entity.replace("_", " ").strip() or "request"
    if kind == "reason":
        words = split_identifier(name)
        group = next((g for g in ("cancel", "return") if any(w.startswith(g) for w in words)), "")
        if not group and any(w.startswith("refund") for w in words):
            group = "return"
        templates = _REASONS[group]
    else:
        templates = _TEMPLATES[kind]
    one = tuple(t for t in templates if "{other}" not in t) or templates
    none = tuple(t for t in one if "ubject}" not in t) or one
    nobody = f"the {thing}"
    written = tuple(
        t.format(thing=thing, subject=nobody, Subject=nobody[:1].upper() + nobody[1:], other=nobody)
        for t in none
    )
    by_names = (one, templates)

    def make(row: dict[str, Any], rng: random.Random) -> str:
        names = _names(row, name, named)
        if not names:
            return rng.choice(written)
        template = rng.choice(by_names[len(names) > 1])
        subject = names[0]
        other = names[1] if len(names) > 1 else nobody
        return template.format(
            thing=thing, subject=subject, Subject=subject[:1].upper() + subject[1:], other=other
        )

    return make


@lru_cache(maxsize=1)
def _lorem_words() -> frozenset[str]:
    from faker.providers.lorem.en_US import Provider

    return frozenset(Provider.word_list)


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def is_noise(text: str) -> bool:
    """Whether a free-text value is filler rather than a sentence: fewer than three words, no
    closing ``.``, ``!`` or ``?``, "lorem ipsum", or every word from Faker's lorem word list (what
    ``sentence()`` and ``words()`` make)."""
    words = _WORD.findall(text)
    if len(words) < 3 or not text.rstrip().endswith((".", "!", "?")):
        return True
    lowered = [w.lower() for w in words]
    if "lorem" in lowered or "ipsum" in lowered:
        return True
    return all(w in _lorem_words() for w in lowered)
