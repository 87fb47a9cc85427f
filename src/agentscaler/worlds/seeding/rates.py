"""The currency rates table of a world: European Central Bank reference rates on the world
clock's date, against one base currency.

A world whose tools convert currencies holds the entity :data:`RATES_ENTITY`; each row is one
currency with how many of its units one unit of :data:`BASE_CURRENCY` buys on the clock's date
(the last ECB fixing on or before it). The rates come from the ECB history bundled with the
``CurrencyConverter`` package, read once per process.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from agentscaler.worlds.spec.model import SpecColumn, SpecEntity, SpecIdFormat, WorldSpec

RATES_ENTITY = "currency_rate"
RATES_TABLE = "currency_rates"
BASE_CURRENCY = "USD"
RATE_COLUMN = "units_per_base"
_FIRST = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR", "MXN")
"""Currencies listed first (the seeded table holds the first rows_per_table of them)."""


@functools.cache
def _converter() -> Any:
    from currency_converter import CurrencyConverter

    return CurrencyConverter(fallback_on_wrong_date=True, fallback_on_missing_rate=True)


def _date(clock: str) -> dt.date:
    return dt.date.fromisoformat(clock[:10])


@functools.cache
def rates_on(day: dt.date) -> dict[str, float]:
    """``{currency: units per one BASE_CURRENCY}`` on ``day`` (last fixing on or before it), for
    every currency the ECB quoted then that is a current ISO 4217 code."""
    from agentscaler.worlds.seeding.kinds import iso_currencies

    converter = _converter()
    iso = set(iso_currencies())
    rates: dict[str, float] = {}
    for code in sorted(converter.currencies):
        first, last = converter.bounds[code]
        if code not in iso or not first <= day <= last + dt.timedelta(days=7):
            continue  # a currency no longer quoted or in use (replaced by the euro) or not yet
        try:
            rates[code] = float(converter.convert(1.0, BASE_CURRENCY, code, date=day))
        except Exception:  # the package raises on a gap it cannot fill
            continue
    return rates


def rates_entity(clock: str) -> SpecEntity:
    """The rates entity of a world whose clock reads ``clock``."""
    codes = sorted(
        rates_on(_date(clock)),
        key=lambda c: (c not in _FIRST, _FIRST.index(c) if c in _FIRST else 0, c),
    )
    return SpecEntity(
        table=RATES_TABLE,
        key="currency",
        id=SpecIdFormat(values=tuple(codes)),
        description=(
            f"Reference exchange rates (European Central Bank) on the world's date: units of "
            f"each currency one {BASE_CURRENCY} buys."
        ),
        columns={
            "currency": SpecColumn(type="TEXT", kind="currency"),
            RATE_COLUMN: SpecColumn(
                type="REAL", description=f"Units of this currency per one {BASE_CURRENCY}."
            ),
            "base": SpecColumn(type="TEXT", kind="currency", values=(BASE_CURRENCY,)),
            "as_of": SpecColumn(type="TEXT", kind="date", description="Date of the fixing."),
        },
    )


def with_rates(spec: WorldSpec) -> WorldSpec:
    """``spec`` with the rates entity when one of its tools looks rates up."""
    uses = any(
        lookup.entity == RATES_ENTITY
        for tool in spec.tools.values()
        for lookup in tool.find.values()
    )
    if not uses or RATES_ENTITY in spec.entities:
        return spec
    entities = {**spec.entities, RATES_ENTITY: rates_entity(spec.clock)}
    return spec.model_copy(update={"entities": entities})


def fill_rates(spec: WorldSpec, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Set the seeded rows of the rates table to the rates of the clock's date."""
    entity = spec.entities.get(RATES_ENTITY)
    if entity is None or entity.table not in rows:
        return
    day = _date(spec.clock)
    rates = rates_on(day)
    for row in rows[entity.table]:
        code = row.get("currency")
        if code in rates:
            row.update({RATE_COLUMN: rates[code], "base": BASE_CURRENCY, "as_of": day.isoformat()})


__all__ = [
    "BASE_CURRENCY",
    "RATES_ENTITY",
    "RATES_TABLE",
    "RATE_COLUMN",
    "fill_rates",
    "rates_entity",
    "rates_on",
    "with_rates",
]
