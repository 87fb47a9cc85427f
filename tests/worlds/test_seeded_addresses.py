"""Seeded addresses are of one place: a row's street, city, region, postcode and country (or its
one-line address) agree, by the data packages' lists of cities, subdivisions and postcode
ranges."""

from __future__ import annotations

import pytest

from agentscaler.catalog import vertical_tools
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.seeding import addresses
from agentscaler.worlds.seeding.seed import seed_rows

_WITH_ADDRESSES = ("hotels", "retail_orders", "ride_hailing", "shipping", "visas", "home_services")


def _address_parts(vertical: str, seed: int = 5) -> list[dict[str, str]]:
    world = compile_world(f"v-{vertical}", vertical, vertical_tools(vertical))
    rows = seed_rows(world.world, seed, 20, world.spec)
    found = []
    for table in world.world.tables:
        for group in addresses.address_groups(table):
            for row in rows[table.name]:
                found += [p for p in addresses.row_parts(row, group) if len(p) > 1 or "line" in p]
    return found


def test_each_countrys_addresses_agree_and_the_check_sees_a_mismatch():
    for country in addresses.LOCALES:
        pool = addresses.addresses(country)
        assert len({a.city for a in pool}) > 5, country
        assert all(addresses.agrees(a) for a in pool), country
        assert all(addresses.line_agrees(a.line) for a in pool), country
    first, *_ = addresses.addresses("US")
    other = next(a for a in addresses.addresses("US") if a.region != first.region)
    parts = {"city": first.city, "region": first.region, "postcode": first.postcode}
    assert addresses.parts_agree({**parts, "country": "US"})
    assert addresses.parts_agree({**parts, "line": first.line})
    assert not addresses.parts_agree({**parts, "region": other.region})  # city of another state
    assert not addresses.parts_agree({**parts, "postcode": other.postcode})  # ZIP of another state
    assert not addresses.parts_agree({**parts, "country": "DE"})
    assert not addresses.parts_agree({**parts, "line": other.line})  # line of another place
    german = next(a for a in addresses.addresses("DE"))
    assert not addresses.parts_agree({"city": german.city, "country": "DE", "postcode": "1234"})


@pytest.mark.parametrize("vertical", _WITH_ADDRESSES)
def test_seeded_addresses_of_builtin_worlds_agree(vertical):
    parts = _address_parts(vertical)
    assert len(parts) >= 20
    broken = [p for p in parts if not addresses.parts_agree(p)]
    assert not broken, broken[:3]


def test_rows_of_two_addresses_keep_them_in_one_town():
    rides = [p for p in _address_parts("ride_hailing") if "line" in p]
    assert rides
    # the pickup and drop-off of a ride: one group each, filled in the town of the first
    world = compile_world("v-ride_hailing", "ride_hailing", vertical_tools("ride_hailing"))
    rows = seed_rows(world.world, 5, 20, world.spec)["rides"]
    same = [
        r
        for r in rows
        if r["pickup_address"]
        and r["dropoff_address"]
        and r["pickup_address"].split(", ")[1:] == r["dropoff_address"].split(", ")[1:]
    ]
    assert len(same) == len([r for r in rows if r["pickup_address"] and r["dropoff_address"]])


def test_the_check_fails_when_parts_are_drawn_apart(monkeypatch):
    monkeypatch.setattr(
        addresses.AddressGroup, "fill", lambda self, rows, *a, **k: [None] * len(rows)
    )
    parts = _address_parts("visas", seed=6)
    assert sum(not addresses.parts_agree(p) for p in parts) > len(parts) // 2
