"""Seeded amounts of money are plausible for what they price in their service: parking costs a
few dollars an hour, a room a night at a hotel far more, a salary tens of thousands."""

from __future__ import annotations

import pytest

from agentscaler.catalog import vertical_tools
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.seeding import kinds, prices
from agentscaler.worlds.seeding.seed import seed_rows

_CASES = [
    ("parking", "facilities", "hourly_rate", 1.5, 8),
    ("home_services", "service_pros", "hourly_rate", 40, 150),
    ("hotels", "rooms", "nightly_rate", 70, 450),
    ("hr", "job_postings", "salary_min", 30_000, 180_000),
    ("movie_tickets", "showtimes", "ticket_price", 8, 20),
    ("real_estate", "listings", "price", 80_000, 2_000_000),
]


def _values(vertical: str, table: str, column: str, seed: int = 4) -> list[float]:
    world = compile_world(f"v-{vertical}", vertical, vertical_tools(vertical))
    rows = seed_rows(world.world, seed, 30, world.spec)[table]
    return [r[column] for r in rows if isinstance(r.get(column), int | float)]


@pytest.mark.parametrize(("vertical", "table", "column", "low", "high"), _CASES)
def test_amounts_sit_in_the_range_of_what_they_price(vertical, table, column, low, high):
    assert prices.money_range(column, table, vertical) == (low, high)
    values = _values(vertical, table, column)
    assert len(values) >= 20
    assert all(low <= v <= high for v in values), (min(values), max(values))
    assert max(values) - min(values) > (high - low) / 4  # spread over the range, not one price


def test_what_is_not_money_has_no_money_range():
    for name in ("miles_balance", "surge_multiplier", "price_level", "average_rating"):
        assert not prices.is_money(name), name
    assert prices.money_range("hourly_rate", "trainers", "gyms") == (40, 120)
    assert prices.money_range("hourly_rate", "consultants", "agency") == (15, 120)  # any service


def test_a_broken_range_lookup_is_seen(monkeypatch):
    kinds.number_range.cache_clear()
    monkeypatch.setattr(prices, "money_range", lambda *args: None)
    try:
        values = _values("parking", "facilities", "hourly_rate", seed=9)
        assert any(v > 8 for v in values)
    finally:
        kinds.number_range.cache_clear()
