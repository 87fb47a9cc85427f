"""Real-world values by meaning: ISO currencies and countries, IATA airports with their cities,
E.164 phone numbers of a country, e-mail addresses made from a person's name, dates around the
world's clock, and numbers in the range a column of that name holds.

Codes come from maintained data packages (``pycountry``, ``airportsdata``, ``phonenumbers``);
every draw takes the caller's random stream, so a seed gives the same values everywhere.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

MAJOR_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SEK", "NZD", "SGD")
"""Currencies a world's prices are usually in (checked against ISO 4217 by ``pycountry``)."""
CRYPTOCURRENCIES = ("BTC", "ETH", "USDT", "BNB", "SOL", "XRP", "USDC", "ADA", "DOGE", "TRX")
"""Tickers of the largest cryptocurrencies by market value (not ISO 4217 codes)."""
MAJOR_COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "CA", "AU", "JP", "SE", "IE")
"""Countries most generated people, addresses and phones come from."""


@cache
def iso_currencies() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


@cache
def iso_countries() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def airports() -> tuple[tuple[str, str, str], ...]:
    """``(IATA code, city, country)`` of the airports that have a city and a 3-letter code."""
    import airportsdata

    found = []
    for code, airport in airportsdata.load("IATA").items():
        if len(code) == 3 and airport.get("city") and airport.get("country"):
            found.append((code, airport["city"], airport["country"]))
    return tuple(sorted(found))


@cache
def major_airports() -> tuple[tuple[str, str, str], ...]:
    """Airports of the major countries' big cities (large airports first by a fixed list)."""
    big = {
        "JFK", "LAX", "ORD", "ATL", "DFW", "DEN", "SFO", "SEA", "MIA", "BOS", "LHR", "LGW",
        "MAN", "CDG", "ORY", "FRA", "MUC", "BER", "AMS", "MAD", "BCN", "FCO", "MXP", "DUB",
        "YYZ", "YVR", "SYD", "MEL", "NRT", "HND", "ARN", "CPH", "ZRH", "VIE", "LIS", "ATH",
        "IST", "DXB", "SIN", "HKG", "ICN", "EWR", "IAD", "PHX", "LAS", "MSP", "DTW", "PHL",
    }  # fmt: skip
    return tuple(a for a in airports() if a[0] in big)


def currency(rng: random.Random, main: str | None = None) -> str:
    """An ISO 4217 code: mostly the world's main currency, else another major one."""
    if main is not None and rng.random() < 0.85:
        return main
    return rng.choice(MAJOR_CURRENCIES)


def country(rng: random.Random) -> str:
    return rng.choice(MAJOR_COUNTRIES)


def airport(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(major_airports() or airports())


@cache
def _mobile_example(region: str) -> tuple[int, str, str]:
    """``(country code, national number, E.164 form)`` of the example mobile number of
    ``region``."""
    import phonenumbers

    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        example = phonenumbers.example_number_for_type("US", phonenumbers.PhoneNumberType.MOBILE)
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    return example.country_code, str(example.national_number), e164


@cache
def _mobile_numbers(region: str) -> tuple[int, str, re.Pattern[str], frozenset[int]]:
    """``(country code, example national number, national pattern, possible lengths)`` of the
    mobile numbers of ``region`` (the US's when the region has none)."""
    import phonenumbers

    country_code, national, _ = _mobile_example(region)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(
        phonenumbers.region_code_for_country_code(country_code)
        if phonenumbers.PhoneMetadata.metadata_for_region(region) is None
        else region
    )
    mobile = metadata.mobile
    lengths = mobile.possible_length or metadata.general_desc.possible_length
    return (
        country_code,
        national,
        re.compile(mobile.national_number_pattern),
        frozenset(lengths or (len(national),)),
    )


def phone(rng: random.Random, region: str = "US") -> str:
    """A valid E.164 mobile number of ``region`` (random digits after the operator prefix)."""
    country_code, national, pattern, lengths = _mobile_numbers(region)
    keep = max(3, len(national) - 6)
    for _ in range(20):
        digits = national[:keep] + "".join(rng.choices("0123456789", k=len(national) - keep))
        if len(digits) in lengths and pattern.fullmatch(digits) and digits[0] != "0":
            return f"+{country_code}{digits}"
    return _mobile_example(region)[2]


def is_e164(text: Any) -> bool:
    import phonenumbers

    if not isinstance(text, str) or not text.startswith("+"):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, None))
    except phonenumbers.NumberParseException:
        return False


_NOT_LETTER = re.compile(r"[^a-z]")


@lru_cache(maxsize=8192)
def ascii_word(text: str) -> str:
    """Lower-case ASCII letters of a name part (``Zoë`` -> ``zoe``)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_LETTER.sub("", plain.lower())


_TITLES = frozenset(("mr", "mrs", "ms", "dr", "md", "phd", "jr", "sr", "ii", "iii", "dds", "dvm"))


@lru_cache(maxsize=8192)
def _local_part(name: str) -> str:
    """The local part of a person's address: the first and last of their name's words, in
    lower-case ASCII, without titles (``maria.gonzalez``)."""
    parts = [word for word in map(ascii_word, name.split()) if word and word not in _TITLES]
    if not parts:
        parts = ["user"]
    return ".".join(parts[:1] + parts[-1:]) if len(parts) > 1 else parts[0]


def email_for(name: str, rng: random.Random, domains: tuple[str, ...]) -> str:
    """An address made from a person's name (``maria.gonzalez@example.com``)."""
    local = _local_part(name)
    if rng.random() < 0.3:
        local += str(rng.randint(1, 99))
    return f"{local}@{rng.choice(domains)}"


_PAST = re.compile(
    r"(created|placed|booked|ordered|registered|since|joined|submitted|opened|issued|filed|"
    r"paid|posted|sent|received|requested|reported|hired|signed|purchased|order_date|incident|"
    r"last_|_at$|signup|enrolled|started_on)"
)
_FUTURE = re.compile(
    r"(due|expir|departure|arrival|start|end|appointment|scheduled|check_in|check_out|pickup|"
    r"return|deadline|until|resume|valid|delivery|estimated|next_|event|travel|visit|pause)"
)


def date_window(column: str, clock: dt.datetime) -> tuple[dt.date, dt.date]:
    """The days a date column's values fall in, around the world's clock: birth dates of adults,
    past events, dates ahead, or both sides."""
    today = clock.date()
    if re.search(r"(birth|dob|born)", column):
        return today.replace(year=today.year - 80), today.replace(year=today.year - 19)
    if _PAST.search(column) and not _FUTURE.search(column):
        return today - dt.timedelta(days=730), today - dt.timedelta(days=1)
    if _FUTURE.search(column):
        return today - dt.timedelta(days=30), today + dt.timedelta(days=180)
    return today - dt.timedelta(days=365), today + dt.timedelta(days=90)


_RANGES: tuple[tuple[str, tuple[float, float]], ...] = (
    (r"miles", (0, 150_000)),
    (r"points", (0, 40_000)),
    (r"fines?_owed|overdue_amount", (0, 12)),
    (r"(stock|inventory|units_available|quantity_available)", (0, 200)),
    (r"seats_available|available_seats|seats_left", (0, 180)),
    (r"spots_left|places_left", (0, 25)),
    (r"copies_available", (0, 6)),
    (r"copies|total_copies", (1, 8)),
    (r"refills_remaining", (0, 5)),
    (r"days_remaining|days_left|vacation_days", (0, 30)),
    (r"renewals", (0, 3)),
    (r"capacity", (20, 400)),
    (r"max_guests|guests|party_size|passengers|adults", (1, 6)),
    (r"rating|stars", (1, 5)),
    (r"percent|percentage|progress", (0, 100)),
    (r"delay_minutes", (0, 240)),
    (r"minutes", (5, 240)),
    (r"hours", (1, 12)),
    (r"nights", (1, 10)),
    (r"weight_kg", (0.2, 30)),
    (r"(balance|wallet)", (0, 5_000)),
    (r"overdraft", (0, 1_000)),
    (r"minimum_order|min_order", (0, 25)),
    (r"daily_limit|spending_limit|withdrawal_limit", (200, 5_000)),
    (r"credit_limit", (500, 20_000)),
    (r"(deductible)", (100, 2_000)),
    (r"time_limit|timeout", (10, 600)),
    (r"(coverage|limit|budget|salary|income)", (1_000, 150_000)),
    (r"(fee|tip|shipping_cost|tax|copay|discount)", (0, 60)),
    (r"(price|fare|cost|amount|total|subtotal|charge|rent|premium)", (5, 600)),
    (r"^(quantity|qty)$", (1, 4)),
    (r"(count|number_of|quantity|qty)", (1, 10)),
)


@lru_cache(maxsize=8192)
def number_range(
    column: str, integer: bool, table: str = "", world: str = ""
) -> tuple[float, float] | None:
    """The plausible range of a number column by its name, its table's and its world's (an
    amount of money by what it prices in that service, see :mod:`.prices`; None: no idea)."""
    from agentscaler.worlds.seeding.prices import money_range

    span = money_range(column, table, world)
    return span if span is not None else _name_range(column)


@lru_cache(maxsize=8192)
def _name_range(column: str) -> tuple[float, float] | None:
    """The range of a number column by its name alone (the first rule of ``_RANGES`` naming it)."""
    for pattern, span in _compiled_ranges():
        if pattern.search(column):
            return span
    return None


@cache
def _compiled_ranges() -> tuple[tuple[re.Pattern[str], tuple[float, float]], ...]:
    return tuple((re.compile(pattern), span) for pattern, span in _RANGES)
