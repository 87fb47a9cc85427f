"""Seeded states are coherent: every invariant of the spec holds on the rows of each built-in
vertical's main entity, and codes, phones and e-mails are real; breaking one generator shows."""

from __future__ import annotations

from collections import Counter

import pytest

from agentscaler.catalog import builtin_tools, vertical_tools
from agentscaler.worlds.checks.invariants import InvariantChecker
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.runtime.dbapi import Database
from agentscaler.worlds.runtime.state import connect_bytes
from agentscaler.worlds.seeding import coherent, kinds


def _verticals() -> list[str]:
    return sorted({t.tag_value("vertical") for t in builtin_tools()})


def _main_entity(world) -> str:
    counts = Counter(t.entity for t in world.spec.tools.values() if t.entity)
    return counts.most_common(1)[0][0]


def _rows(world, seed: int = 5):
    return Database(connect_bytes(world.seed_state(seed)), world.schema)


@pytest.mark.parametrize("vertical", _verticals())
def test_five_rows_of_the_main_entity_keep_every_invariant(vertical):
    world = compile_world(f"v-{vertical}", vertical, vertical_tools(vertical))
    entity_name = _main_entity(world)
    entity = world.spec.entities[entity_name]
    db = _rows(world)
    rows = db.rows(entity.table)[:5]
    assert len(rows) == 5
    violations = InvariantChecker(world.spec).violations(db, {entity.table})
    assert not violations, violations
    for row in rows:
        for name, column in entity.columns.items():
            value = row.get(name)
            if value is None or not isinstance(value, str):
                continue
            if column.kind == "currency":
                assert value in kinds.iso_currencies(), (name, value)
            if column.kind == "phone":
                assert kinds.is_e164(value), (name, value)
            if column.kind == "email":
                assert "@" in value and " " not in value, (name, value)
            if column.kind == "country" and len(value) == 2:
                assert value in kinds.iso_countries(), (name, value)


def test_a_broken_gate_generator_breaks_the_invariant(monkeypatch):
    world = compile_world("v-retail", "retail", vertical_tools("retail_orders"))
    checker = InvariantChecker(world.spec)
    assert not checker.violations(_rows(world, 9))
    assert world.spec.entities["order"].columns["cancellation_reason"].only_when == {
        "status": ("cancelled",)
    }

    real_plan = coherent.CoherentRows._plan

    def without_gates(self, table):
        columns, pairs = real_plan(self, table)
        return [(name, None, ref, make) for name, _gate, ref, make in columns], pairs

    monkeypatch.setattr(coherent.CoherentRows, "_plan", without_gates)
    broken = compile_world("v-retail-broken", "retail", vertical_tools("retail_orders"))
    found = checker.violations(_rows(broken, 9), limit=1000)
    assert any("cancellation_reason is set while status is" in str(v) for v in found), found


def test_ends_come_after_starts_and_dates_sit_around_the_clock():
    world = compile_world("v-airline", "airline", vertical_tools("airline"))
    db = _rows(world)
    clock = world.spec.clock[:10]
    flights = db.rows("flights")
    assert flights and all(f["arrival_time"] > f["departure_time"] for f in flights)
    passengers = db.rows("passengers")
    assert all(p["date_of_birth"] < clock for p in passengers)
    ages = [int(clock[:4]) - int(p["date_of_birth"][:4]) for p in passengers]
    assert min(ages) >= 18
