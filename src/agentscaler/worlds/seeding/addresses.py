"""Postal addresses whose parts agree: a street, city, region, postcode and country of one place.

Cities come with the subdivision they lie in from ``airportsdata`` (the cities airports serve),
kept where that subdivision is one of the country's in ISO 3166-2 (``pycountry``); streets and
postcodes come from the Faker locale of the country, a US ZIP code or a Canadian postal code
from the ranges of its state or province, and the one-line form follows the locale's address
format. Each country's addresses are drawn once per process from fixed seeds.
"""

from __future__ import annotations

import random
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, NamedTuple

LOCALES = {
    "US": "en_US",
    "CA": "en_CA",
    "AU": "en_AU",
    "GB": "en_GB",
    "DE": "de_DE",
    "FR": "fr_FR",
}
"""Countries whose addresses are made, with the Faker locale of each."""
ABBREVIATED = frozenset({"US", "CA", "AU"})
"""Countries whose addresses name the region by its ISO 3166-2 code (``FL``, ``ON``, ``NSW``)."""
POOL = 128
"""Addresses drawn per country."""
HOME = {"USD": "US", "CAD": "CA", "AUD": "AU", "GBP": "GB", "EUR": "DE"}
"""The country a world's addresses are in by default, by the world's main currency."""


class Address(NamedTuple):
    street: str
    city: str
    region: str
    """The region as the country writes it in an address (a code or a name)."""
    postcode: str
    country: str
    line: str
    """The whole address on one line, in the locale's format."""


def _plain(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", ascii_text.lower())


@cache
def subdivisions(country: str) -> dict[str, tuple[str, str]]:
    """Top-level ISO 3166-2 subdivisions of ``country``: plain name -> ``(code, name)``."""
    import pycountry

    found: dict[str, tuple[str, str]] = {}
    for sub in pycountry.subdivisions.get(country_code=country) or ():
        if getattr(sub, "parent_code", None):
            continue
        found[_plain(sub.name)] = (sub.code.split("-", 1)[1], sub.name)
    return found


@cache
def cities(country: str) -> tuple[tuple[str, str, str], ...]:
    """``(city, region code, region name)`` of the cities of ``country`` with a known
    subdivision."""
    import airportsdata

    subs = subdivisions(country)
    found: dict[str, tuple[str, str, str]] = {}
    for airport in airportsdata.load("IATA").values():
        city = airport.get("city") or ""
        if airport.get("country") != country or not city or not city[0].isalpha():
            continue
        if "/" in city or "(" in city or len(city) > 30:
            continue
        sub = subs.get(_plain(airport.get("subd") or ""))
        if sub is not None:
            found.setdefault(city, (city, *sub))
    return tuple(sorted(found.values()))


_lock = threading.Lock()
_pools: dict[str, tuple[Address, ...]] = {}


def addresses(country: str) -> tuple[Address, ...]:
    """``POOL`` addresses of ``country`` (one of :data:`LOCALES`), the same in every process."""
    pool = _pools.get(country)
    if pool is not None:
        return pool
    with _lock:
        pool = _pools.get(country)
        if pool is None:
            pool = _pools[country] = _draw(country)
    return pool


def _draw(country: str) -> tuple[Address, ...]:
    from faker import Faker

    from agentscaler.canonical import stable_seed

    fake = Faker(LOCALES[country], use_weighting=False)
    fake.seed_instance(stable_seed("addresses", country))
    rng = random.Random(stable_seed("address-cities", country))
    places = cities(country)
    line_format = _line_format(fake)
    made = []
    for _ in range(POOL):
        city, code, name = rng.choice(places)
        region = code if country in ABBREVIATED else name
        if country == "US":
            postcode = fake.postcode_in_state(code)
        elif country == "CA":
            postcode = fake.postcode_in_province(code).replace(" ", "")
            postcode = f"{postcode[:3]} {postcode[3:]}"  # the form Canada Post writes
        else:
            postcode = fake.postcode()
        street = " ".join(fake.street_address().split())
        line = (
            line_format.replace("{{street_address}}", street)
            .replace("{{city}}", city)
            .replace("{{state_abbr}}", region)
            .replace("{{province_abbr}}", region)
            .replace("{{postcode}}", postcode)
            .replace("{{postalcode}}", postcode)
        )
        if country not in ABBREVIATED and region != city:
            line = f"{line}, {region}"
        made.append(Address(street, city, region, postcode, country, line))
    return tuple(made)


def _line_format(fake: object) -> str:
    formats = fake.provider("faker.providers.address").address_formats  # type: ignore[attr-defined]
    first = next(iter(formats))
    return ", ".join(part.strip() for part in first.split("\n"))


def home_country(currency: str) -> str:
    return HOME.get(currency, "US")


POSTCODES = {
    "US": r"\d{5}(-\d{4})?",
    "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d",
    "AU": r"\d{4}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
}
"""The form of each country's postcodes (its postal service's format)."""


@cache
def postcode_pattern(country: str) -> re.Pattern[str]:
    return re.compile(f"^({POSTCODES[country]})$")


def agrees(address: Address) -> bool:
    """Whether an address's parts agree: its city lies in its region (``airportsdata``), its
    region is one of the country's ISO 3166-2 subdivisions, its postcode has the country's form
    (and a US ZIP code lies in its state's range), and its line holds them all."""
    if address.country not in LOCALES:
        return False
    regions = {
        (city, code if address.country in ABBREVIATED else name)
        for city, code, name in cities(address.country)
    }
    if (address.city, address.region) not in regions:
        return False
    if not postcode_pattern(address.country).match(address.postcode):
        return False
    if address.country == "US" and not _zip_in_state(address.postcode, address.region):
        return False
    return all(part in address.line for part in (address.street, address.city, address.postcode))


def _zip_in_state(postcode: str, state: str) -> bool:
    from faker.providers.address.en_US import Provider

    span = Provider.states_postcode.get(state)
    return span is not None and span[0] <= int(postcode[:5]) <= span[1]


def line_agrees(line: str) -> bool:
    """Whether a one-line address names a city of one of :data:`LOCALES`, the region that city
    lies in, and a postcode of that country's form (of the state's range in the US)."""
    return any(_line_in(country, line) for country in LOCALES)


@cache
def _unanchored(country: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])" + postcode_pattern(country).pattern.strip("^$") + r"(?![\w-])")


_STREET = ("street", "street_address", "address_line1", "address_line_1", "address1", "line1")
_CITY = ("city", "town")
_REGION = ("state", "region", "province", "state_code", "county")
_POSTCODE = ("postal_code", "postcode", "zip", "zip_code", "zipcode", "post_code")
_COUNTRY = ("country", "country_code")


@lru_cache(maxsize=65536)
def part_of(name: str) -> tuple[str, str] | None:
    """``(prefix, part)`` of an address part's name (``pickup_city`` -> ``("pickup", "city")``;
    a one-line address is the part ``line``), else None."""
    for part, names in (
        ("street", _STREET),
        ("postcode", _POSTCODE),
        ("country", _COUNTRY),
        ("region", _REGION),
        ("city", _CITY),
    ):
        for word in names:
            if name == word or name.endswith(f"_{word}"):
                return name[: -len(word)].rstrip("_"), part
    if name == "address" or name.endswith("_address"):
        return name[: -len("address")].rstrip("_"), "line"
    return None


@dataclass
class AddressGroup:
    """The columns of one address in a table's rows (its line, parts and country), and the
    addresses they may take: by country, those whose parts fit the columns' schemas."""

    columns: dict[str, str] = field(default_factory=dict)
    """Column -> part (``street``, ``city``, ``region``, ``postcode``, ``line``, ``object``)."""
    country: str | None = None
    """The column naming the country, if any."""
    candidates: dict[str, tuple[Address, ...]] = field(default_factory=dict)

    def fill(
        self,
        rows: list[dict[str, Any]],
        draw: Any,
        home: str,
        near: list[Address | None] | None = None,
    ) -> list[Address | None]:
        """Set the address parts of every row from one address of the row's country (in the
        city of ``near``'s address of the row when it has one: a ride's drop-off in the town of
        its pickup); returns the addresses used."""
        used: list[Address | None] = [None] * len(rows)
        if not self.candidates or not rows:
            return used
        fallback = home if home in self.candidates else next(iter(self.candidates))
        picks = draw.gen.random(len(rows)).tolist()
        for index, (row, pick) in enumerate(zip(rows, picks, strict=True)):
            country = row.get(self.country) if self.country else None
            pool = self.candidates.get(country) or self.candidates[fallback]
            address = pool[int(pick * len(pool))]
            other = near[index] if near else None
            if other is not None and not self.country and other.country in self.candidates:
                address = _moved(other, address)  # another street of the same town
            used[index] = address
            for column, part in self.columns.items():
                value = row.get(column)
                if value is None:
                    continue  # a column of another state, or one left empty
                if part == "object":
                    if isinstance(value, dict):
                        row[column] = _filled(value, address)
                    continue
                row[column] = getattr(address, part)
        return used


def _moved(address: Address, other: Address) -> Address:
    """``address`` with the street of ``other`` (same town, region and postcode)."""
    line = address.line.replace(address.street, other.street, 1)
    return address._replace(street=other.street, line=line)


def _filled(value: dict[str, Any], address: Address) -> dict[str, Any]:
    filled = dict(value)
    for key in value:
        found = part_of(key)
        if found is not None and found[1] != "line" and isinstance(value[key], str):
            filled[key] = getattr(address, found[1])
    return filled


def address_groups(table: Any) -> list[AddressGroup]:
    """The addresses in a table's columns: parts sharing a prefix form one address, and a
    table's one-line address with a prefix joins the unprefixed parts when they have no line
    (``normalized_address`` with ``street``, ``city``)."""
    by_prefix: dict[str, dict[str, str]] = {}
    schemas = {}
    for column in table.columns:
        if column.primary_key or column.references or column.enum:
            continue
        found = part_of(column.name)
        if found is None:
            continue
        prefix, part = found
        if part == "line" and column.type != "TEXT":
            props = (column.value_schema or {}).get("properties")
            if column.semantic != "address" or not isinstance(props, dict):
                continue
            part = "object"
        elif column.type != "TEXT" or column.semantic in ("status", "category", "email"):
            continue
        by_prefix.setdefault(prefix, {})[column.name] = part
        schemas[column.name] = column.value_schema or {}
    plain = by_prefix.get("")
    if plain is not None and "line" not in plain.values():
        for prefix in [
            p for p, parts in by_prefix.items() if p and set(parts.values()) == {"line"}
        ]:
            if len(by_prefix[prefix]) == 1:
                plain.update(by_prefix.pop(prefix))
                break
    groups = []
    for parts in by_prefix.values():
        if set(parts.values()) <= {"country"}:
            continue
        group = AddressGroup(
            columns={c: p for c, p in parts.items() if p != "country"},
            country=next((c for c, p in parts.items() if p == "country"), None),
        )
        constrained = tuple(
            (part, *(_hashable(schemas[column].get(k)) for k in _LIMITS))
            for column, part in group.columns.items()
            if part != "object" and not set(_LIMITS).isdisjoint(schemas[column])
        )
        for country in LOCALES:
            if group.country and not _fits(country, schemas[group.country]):
                continue
            fitting = _fitting(country, constrained) if constrained else addresses(country)
            if fitting:
                group.candidates[country] = fitting
        groups.append(group)
    return groups


_LIMITS = ("pattern", "minLength", "maxLength")


def _hashable(limit: Any) -> Any:
    """A limit as a cache key (one of another type than text or number is not a limit)."""
    return limit if isinstance(limit, str | int | float) else None


@lru_cache(maxsize=1024)
def _fitting(country: str, constrained: tuple[tuple[Any, ...], ...]) -> tuple[Address, ...]:
    """The addresses of ``country`` whose parts fit every ``(part, pattern, minLength,
    maxLength)`` of ``constrained`` (the same constraints recur across tables and worlds)."""
    limits = [
        (part, {k: v for k, v in zip(_LIMITS, values, strict=True) if v is not None})
        for part, *values in constrained
    ]
    return tuple(
        a
        for a in addresses(country)
        if all(_fits(getattr(a, part), schema) for part, schema in limits)
    )


def _fits(value: str, schema: dict[str, Any]) -> bool:
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            if re.search(pattern, value) is None:
                return False
        except re.error:
            return False
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(low, int) and len(value) < low:
        return False
    return not (isinstance(high, int) and len(value) > high)


def parts_agree(parts: dict[str, str]) -> bool:
    """Whether the address parts of one row agree (``street``, ``city``, ``region``,
    ``postcode``, ``country``, ``line``; any subset): for one country (the row's, or any of
    :data:`LOCALES` when it names none), the city lies in the region and in the country
    (``airportsdata``), the region is the country's (ISO 3166-2), the postcode has the
    country's form (in the US, of the state's range), the line is such an address and holds
    every other part."""
    line = parts.get("line")
    if line is not None and not all(
        v in line for k, v in parts.items() if k in ("street", "city", "region", "postcode")
    ):
        return False
    country = parts.get("country")
    for place in (country,) if country else tuple(LOCALES):
        if place not in LOCALES:
            return False
        if line is not None and not _line_in(place, line):
            continue
        known = cities(place)
        abbreviated = place in ABBREVIATED
        regions = {code if abbreviated else name for _, code, name in known}
        city, region, postcode = parts.get("city"), parts.get("region"), parts.get("postcode")
        if city is not None and region is not None:
            if (city, region) not in {(c, code if abbreviated else n) for c, code, n in known}:
                continue
        elif (city is not None and city not in {c for c, _, _ in known}) or (
            region is not None and region not in regions
        ):
            continue
        if postcode is not None:
            if not postcode_pattern(place).match(postcode):
                continue
            if place == "US" and region is not None and not _zip_in_state(postcode, region):
                continue
        return True
    return False


def _line_in(country: str, line: str) -> bool:
    postcodes = [m.group(0) for m in _unanchored(country).finditer(line)]
    if not postcodes:
        return False
    for city, code, name in cities(country):
        region = code if country in ABBREVIATED else name
        if (
            city in line
            and re.search(rf"(^|[ ,]){re.escape(region)}([ ,]|$)", line)
            and (country != "US" or any(_zip_in_state(p, region) for p in postcodes))
        ):
            return True
    return False


def row_parts(row: dict[str, Any], group: AddressGroup) -> list[dict[str, str]]:
    """The address parts a seeded row holds for one of its table's address groups (an address
    object's parts as one address)."""
    parts: dict[str, str] = {}
    found = []
    for column, part in group.columns.items():
        value = row.get(column)
        if part == "object" and isinstance(value, dict):
            inner = {}
            for key, item in value.items():
                named = part_of(key)
                if named is not None and isinstance(item, str):
                    inner[named[1]] = item
            found.append(inner)
        elif isinstance(value, str):
            parts[part] = value
    if group.country and isinstance(row.get(group.country), str):
        parts["country"] = row[group.country]
    if parts:
        found.append(parts)
    return found
