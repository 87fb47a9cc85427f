"""Names and short labels by what a column names: people, organisations, job titles, time zones,
licence plates and driving licences, vehicles, opening hours, places and the names of venues
("Hartley Cinema", "Oak Ridge Service Point").

A column's kind is read from its name and its table's entity (``vet_name`` names a person,
``agency`` an organisation, ``title`` of a user a job, ``name`` of a cinema a venue); values come
from Faker's pools and the ``faker_vehicle`` make and model list, drawn with the caller's random
stream so a seed gives the same names everywhere.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Any

from agentscaler.naming import split_identifier

Pools = Callable[[str], tuple[Any, ...]]
"""The Faker values of a kind (``person_name``, ``company``, ``city``, ``timezone``, ...)."""

PERSON_ROLES = frozenset(
    "author prescriber doctor physician vet veterinarian instructor teacher tutor driver agent "
    "performer artist director "
    "owner contact assignee recipient sender organizer organiser host manager coach trainer "
    "stylist technician adjuster dentist therapist nurse pharmacist reviewer approver "
    "landlord tenant holder beneficiary guardian referee speaker presenter".split()
)
"""Roles whose ``<role>`` or ``<role>_name`` column holds a person's name."""
ORGANISATIONS = frozenset(
    "agency operator payee vendor merchant employer company insurer publisher studio brokerage "
    "lender bank airline manufacturer brand supplier provider carrier issuer organization "
    "organisation firm retailer distributor".split()
)
"""Words whose column holds an organisation's name."""
PEOPLE = frozenset(
    "user member contact employee instructor customer staff agent person profile candidate "
    "applicant attendee traveler traveller passenger patient student teacher guest".split()
)
"""Entities that are people (their ``title`` is a job title)."""
VENUES = frozenset(
    "facility venue cinema branch point center centre restaurant hotel clinic store shop gym "
    "office station stadium theater theatre library school garage warehouse pharmacy hospital "
    "salon studio court field hall park lot depot terminal kitchen bakery cafe bar".split()
)
"""Entities that are places with a name of their own."""
VEHICLES = frozenset("vehicle vehicles car cars auto automobile truck van fleet".split())


MIN_VOCABULARY = 3
"""Examples a schema gives at least for its values to be drawn from them alone."""


def vocabulary_of(schema: dict[str, Any]) -> tuple[str, ...]:
    """The texts a value schema's ``examples`` give that the schema itself accepts (its pattern
    and length), when there are enough of them to draw a column from; else ``()``."""
    given = schema.get("examples")
    if not isinstance(given, list) or "enum" in schema or "const" in schema:
        return ()
    pattern = schema.get("pattern")
    low, high = schema.get("minLength"), schema.get("maxLength")
    kept = tuple(
        value
        for value in given
        if isinstance(value, str)
        and (not isinstance(pattern, str) or re.search(pattern, value))
        and (not isinstance(low, int) or len(value) >= low)
        and (not isinstance(high, int) or len(value) <= high)
    )
    return kept if len(kept) >= MIN_VOCABULARY else ()


def name_kind(column: str, entity: str = "", siblings: Sequence[str] = ()) -> str | None:
    """What ``column`` of a table of ``entity`` (with columns ``siblings``) names, or None."""
    return _name_kind(column, entity, "make" in siblings and "license_plate" in siblings)


@lru_cache(maxsize=65536)
def _name_kind(column: str, entity: str, with_make_and_plate: bool) -> str | None:
    words = split_identifier(column)
    if not words:
        return None
    head = words[-1]
    pair = words[-2:]
    every = set(words)
    if head in ("timezone", "tz") or pair == ("time", "zone"):
        return "timezone"
    if pair == ("license", "plate") or head == "plate" or pair == ("plate", "number"):
        return "plate"
    if {"driver", "drivers", "driving"} & every and {"license", "licence"} & every:
        return "licence"
    if head == "iban":
        return "iban"
    if head in ("expiry", "expiration") and ("card" in every or "card" in split_identifier(entity)):
        return "card_expiry"
    if head == "hours" and {"opening", "business", "office", "working", "open"} & every:
        return "hours"
    if words == ("make", "model") or (head == "vehicle" and len(words) == 1):
        return "vehicle"
    ent = split_identifier(entity)
    if head in ("make", "manufacturer", "brand", "model") and (
        bool(VEHICLES & set(ent)) or with_make_and_plate or bool(VEHICLES & set(words[:-1]))
    ):
        return "vehicle_model" if head == "model" else "vehicle_make"
    if head == "name" and len(words) > 1 and words[-2] in PERSON_ROLES:
        return "person"
    if len(words) == 1 and head in PERSON_ROLES - {"contact", "owner", "holder", "provider"}:
        return "person"
    if words == ("display", "name"):
        return "person"
    if head in ORGANISATIONS or (head == "name" and len(words) > 1 and words[-2] in ORGANISATIONS):
        return "company"
    if pair == ("job", "title") or head in ("occupation", "profession", "headline"):
        return "job"
    if head == "title" and len(words) == 1 and ent and ent[-1] in PEOPLE:
        return "job"
    if head in ("neighborhood", "neighbourhood", "district", "area") and len(words) <= 2:
        return "area"
    if head == "location" and len(words) <= 2:
        return "place"
    if head == "name" and len(words) == 1 and ent and ent[-1] in VENUES:
        return "venue"
    return None


@cache
def _vehicles() -> tuple[tuple[str, str], ...]:
    from faker_vehicle import vehicles

    return tuple(sorted({(v["Make"], v["Model"]) for v in vehicles}))


@cache
def _models_by_make() -> dict[str, tuple[str, ...]]:
    models: dict[str, list[str]] = {}
    for make, model in _vehicles():
        models.setdefault(make, []).append(model)
    return {make: tuple(found) for make, found in models.items()}


def load_vehicles() -> None:
    """Load the vehicle makes and models now (a one-time cost of the process)."""
    _models_by_make()


def _clock(hour: int) -> str:
    return f"{hour:02d}:00"


def _hours(rng: random.Random) -> str:
    opens, closes = rng.choice((7, 8, 9, 10)), rng.choice((17, 18, 19, 20, 21, 22))
    text = f"Mon-Fri {_clock(opens)}-{_clock(closes)}"
    weekend = rng.random()
    if weekend < 0.4:
        text += f", Sat {_clock(opens + 1)}-{_clock(min(closes, 18) - 2)}"
    elif weekend < 0.7:
        text += f", Sat-Sun {_clock(opens + 1)}-{_clock(min(closes, 18) - 2)}"
    return text


def _licence(rng: random.Random) -> str:
    letter = rng.choice("ABCDEFGHJKLMNPRSTWY")
    return letter + "".join(rng.choice("0123456789") for _ in range(7))


def _words_of(entity: str) -> str:
    return " ".join(w.capitalize() for w in split_identifier(entity))


_POOL_OF_KIND = {
    "person": "person_name",
    "company": "company",
    "job": "job",
    "timezone": "timezone",
    "plate": "plate",
    "iban": "iban",
    "area": "city",
}
"""The kinds of name made by one pick from a value pool, and their pool (as :func:`make_name`
makes them)."""


def make_name(kind: str, rng: random.Random, row: dict[str, Any], entity: str, pools: Pools) -> str:
    """One value of ``kind`` (the row gives a vehicle model its make; ``pools`` the Faker
    values of a kind)."""
    pick = rng.choice
    match kind:
        case "person":
            return pick(pools("person_name"))
        case "company":
            return pick(pools("company"))
        case "job":
            return pick(pools("job"))
        case "timezone":
            return pick(pools("timezone"))
        case "plate":
            return pick(pools("plate"))
        case "licence":
            return _licence(rng)
        case "iban":
            return pick(pools("iban"))  # a real country code and check digits
        case "card_expiry":
            return f"{rng.randint(1, 12):02d}/{rng.randint(26, 30)}"  # still valid at the clock
        case "hours":
            return _hours(rng)
        case "vehicle":
            return " ".join(pick(_vehicles()))
        case "vehicle_make":
            return pick(_vehicles())[0]
        case "vehicle_model":
            make = next(
                (v for k, v in row.items() if k.split("_")[-1] in ("make", "brand") and v), None
            )
            models = _models_by_make().get(str(make)) if make is not None else None
            return pick(models) if models else pick(_vehicles())[1]
        case "area":
            return pick(pools("city"))
        case "place":
            return f"{pick(pools('street'))}, {pick(pools('city'))}"
        case "venue":
            owner = pick(pools("last_name")) if rng.random() < 0.5 else pick(pools("city"))
            return f"{owner} {_words_of(entity)}"
    raise ValueError(f"no names of kind {kind!r}")


def name_maker(
    kind: str, entity: str, pools: Pools
) -> Callable[[list[dict[str, Any]], Any], list[Any]]:
    """A column maker (rows, draw) of ``kind`` for a table of ``entity``."""
    pool = _POOL_OF_KIND.get(kind)
    if pool is not None:  # one pick from a value pool a row: the pool is looked up once

        def picks(rows: list[dict[str, Any]], draw: Any) -> list[Any]:
            pick = draw.rng.choice
            values = pools(pool)
            return [pick(values) for _ in rows]

        return picks

    def make(rows: list[dict[str, Any]], draw: Any) -> list[Any]:
        rng = draw.rng
        return [make_name(kind, rng, row, entity, pools) for row in rows]

    return make
