"""Words in identifiers: splitting, singular/plural, entity of an id, and read/write by verb.

One place for these rules, shared by ingestion statistics, the tool graph and the compiler.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

ToolKind = Literal["read", "write"]

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

READ_VERBS = frozenset(
    """get list search find check view show fetch retrieve query lookup look count calculate compute
    estimate validate verify track browse read describe display summarize analyze analyse compare
    recommend predict convert translate is has can lookup inspect monitor preview quote explore
    evaluate assess detect identify measure forecast suggest filter sort rank match scan""".split()
)

WRITE_VERBS = frozenset(
    """create add update edit modify set change cancel delete remove book reserve register submit
    send post place approve reject complete close assign transfer pay refund schedule reschedule
    enroll subscribe unsubscribe upload rename move mark confirm issue apply renew return redeem
    activate deactivate block unblock archive publish login logout turn enable disable start stop
    reset purchase buy sell order request file log record save upgrade downgrade extend top charge
    withdraw deposit invite share follow unfollow like comment reply forward flag restore lock
    unlock insert put patch write make generate open checkout checkin claim dispute escalate
    resolve reopen suspend resume accept decline rate review attach detach link unlink sign
    terminate revoke grant allocate release dispatch ship deliver collect adopt hire fire promote
    invoice bill replace swap split merge copy clear empty kill pause unpause mute unmute delegate
    install uninstall configure provision rebook grade""".split()
)


@lru_cache(maxsize=65536)
def split_identifier(name: str) -> tuple[str, ...]:
    """Lower-case words of an identifier: ``getOrderID`` -> ``('get', 'order', 'id')``; two
    capitalized halves of two letters that are no words make one (``WiFi`` -> ``wifi``)."""
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        if not part:
            continue
        pieces = _CAMEL.findall(part)
        index = 0
        while index < len(pieces):
            piece = pieces[index]
            following = pieces[index + 1] if index + 1 < len(pieces) else ""
            if _two_letter_half(piece) and _two_letter_half(following):
                words.append((piece + following).lower())
                index += 2
                continue
            words.append(piece.lower())
            index += 1
    return tuple(words)


_SHORT_WORDS = frozenset(
    "am an as at be by do go he hi id if in is it me my no of oh ok on or so to up us we".split()
)


def _two_letter_half(piece: str) -> bool:
    return (
        len(piece) == 2
        and piece[0].isupper()
        and piece[1].islower()
        and piece.lower() not in _SHORT_WORDS
    )


_IRREGULAR_PLURALS = {
    "person": "people",
    "child": "children",
    "man": "men",
    "woman": "women",
    "status": "statuses",
    "address": "addresses",
    "data": "data",
    "info": "info",
    "news": "news",
    "series": "series",
    "species": "species",
    "media": "media",
    "analysis": "analyses",
}
_IE_NOUNS = (
    "movie cookie zombie calorie rookie pie tie lie selfie hoodie brownie smoothie freebie "
    "goalie genie prairie newbie foodie sortie"
).split()
"""Nouns whose plural ends in -ies but whose singular is -ie, not -y (movies -> movie)."""
_IRREGULAR_PLURALS.update({noun: noun + "s" for noun in _IE_NOUNS})
_IRREGULAR_SINGULARS = {v: k for k, v in _IRREGULAR_PLURALS.items()}


def plural(word: str) -> str:
    """English plural of a singular noun (good enough for table names)."""
    w = word.lower()
    if w in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[w]
    if re.search(r"(s|x|z|ch|sh)$", w):
        return w + "es"
    if re.search(r"[^aeiou]y$", w):
        return w[:-1] + "ies"
    return w + "s"


def singular(word: str) -> str:
    """English singular of a noun (inverse of :func:`plural` on common words)."""
    w = word.lower()
    if w in _IRREGULAR_SINGULARS:
        return _IRREGULAR_SINGULARS[w]
    if w in _IRREGULAR_PLURALS:
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if re.search(r"(ses|xes|zes|ches|shes)$", w) and not w.endswith("ises"):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


_AN_SOUNDS = re.compile(
    r"^(?:[aeio]|u(?![nrs]?[aeiou]|ni|ser|sa|su|ku)|h(?:our|onest|onou?r|eir))", re.I
)
"""Word starts read with a vowel sound (``an hour``, ``an umbrella``; not ``a user``, ``a unit``)."""
_AN_LETTERS = frozenset("AEFHILMNORSX")
"""Initials whose letter name starts with a vowel sound (``an SMS``, ``an MRI``)."""


_SPOKEN_WORDS = {
    "id": "ID",
    "ids": "IDs",
    "url": "URL",
    "iban": "IBAN",
    "sku": "SKU",
    "vin": "VIN",
    "pin": "PIN",
    "ip": "IP",
    "dob": "date of birth",
    "qty": "quantity",
}
"""Words of identifiers said otherwise in a sentence (``order_id``: "order ID")."""
_TIME_SUFFIXES = frozenset({"at", "ts", "timestamp"})
"""Last words of a column holding a moment (``scheduled_send_at``: "scheduled send time")."""


@lru_cache(maxsize=65536)
def spoken(name: str) -> str:
    """An identifier as said in a sentence: ``scheduled_send_at`` -> "scheduled send time",
    ``order_id`` -> "order ID" (the identifier itself when it holds no word)."""
    words = list(split_identifier(name))
    if len(words) > 1 and words[-1] in _TIME_SUFFIXES:
        words[-1] = "time"
    return " ".join(_SPOKEN_WORDS.get(w, w) for w in words) or name


_VERB_PREPOSITIONS = {
    "reply": "to",
    "respond": "to",
    "subscribe": "to",
    "unsubscribe": "from",
    "comment": "on",
    "vote": "on",
}
"""Verbs that take their object through a preposition (``reply to the email``)."""


def preposition_of(verb: str) -> str:
    """The preposition ``verb`` takes before its object ("to" for reply), or ""."""
    return _VERB_PREPOSITIONS.get(verb, "")


def with_article(phrase: str) -> str:
    """``phrase`` with its indefinite article: ``an applicant``, ``a user``, ``an SMS plan``."""
    first = phrase.split()[0] if phrase.split() else ""
    if len(first) > 1 and first.isupper():
        vowel = first[0] in _AN_LETTERS
    else:
        vowel = bool(_AN_SOUNDS.match(first)) and not first.lower().startswith(("one", "eu"))
    return f"{'an' if vowel else 'a'} {phrase}"


def entity_of_parameter(param: str) -> str | None:
    """The entity an identifier parameter refers to: ``order_id`` / ``orderId`` -> ``order``.

    Returns None for parameters that are not identifiers, and for a bare ``id``.
    """
    words = split_identifier(param)
    if len(words) >= 2 and words[-1] in {"id", "ids", "number", "code", "no", "uuid", "key"}:
        if words[-1] in {"number", "code", "no", "key"} and words[-2] in {
            "phone",
            "zip",
            "postal",
            "country",
            "currency",
            "api",
            "promo",
            "discount",
            "area",
        }:
            return None
        *head, last = words[:-1]
        return "_".join([*head, singular(last)])  # "sales_rep_id" -> sales_rep
    return None


def verb_of(name: str) -> str | None:
    """The leading verb of a tool name, if it has one we know."""
    words = split_identifier(name)
    for word in words[:2]:
        if word in READ_VERBS or word in WRITE_VERBS:
            return word
    return None


def classify_tool(name: str, tags: tuple[str, ...] = ()) -> ToolKind:
    """READ or WRITE from an explicit ``kind:`` tag, else from the verbs in the tool's name.

    Names whose first verb is ambiguous fall back on the first known verb among the words; tools
    with no known verb are treated as reads (compute-style tools that change nothing).
    """
    for tag in tags:
        if tag in ("kind:read", "kind:write"):
            return "read" if tag == "kind:read" else "write"
    words = split_identifier(name)
    for word in words:
        if word in READ_VERBS:
            return "read"
        if word in WRITE_VERBS:
            return "write"
    return "read"
