"""Writes that change a part of an amount compute the amount again: a new tip changes the
order's total by the spec's formula, visible in the generated code, and the invariant that the
total equals its parts holds after every write tool of the worlds with such amounts."""

from __future__ import annotations

import random

import pytest

from agentscaler.catalog import vertical_tools
from agentscaler.worlds.checks.invariants import InvariantChecker
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.infer import amounts as infer_amounts
from agentscaler.worlds.seeding.sampling import ArgumentSampler


@pytest.fixture(scope="module")
def food():
    return compile_world("v-food-tip", "food_delivery", vertical_tools("food_delivery"))


def _tip_call(world):
    env = world.make_env(world.seed_state(3))
    order = next(o for o in env.db.rows("food_orders") if o["tip_amount"] is not None)
    new_tip = round(order["tip_amount"] + 4.25, 2)
    result = env.step(
        ("update_order_tip", {"food_order_id": order["food_order_id"], "tip_amount": new_tip})
    )
    assert result.ok, result.content
    return env, order, env.db.get("food_orders", order["food_order_id"])


def test_a_new_tip_recomputes_the_total(food):
    source = food.source
    body = source[source.index("def update_order_tip") :].split("\n\n\n")[0]
    assert '"total": round(db.coalesce(food_order["order_subtotal"], 0)' in body
    assert 'db.coalesce(food_order["tip_amount"], 0)' in body

    env, before, after = _tip_call(food)
    assert after["total"] == pytest.approx(before["total"] + 4.25, abs=0.005)
    assert after["total"] == pytest.approx(
        after["order_subtotal"] + after["delivery_fee"] + after["tip_amount"], abs=0.005
    )
    assert not InvariantChecker(food.spec).violations(env.db)
    env.close()


def test_without_the_recompute_the_total_breaks_its_invariant(monkeypatch):
    monkeypatch.setattr(infer_amounts, "_recompute_effects", lambda spec: spec)
    broken = compile_world("v-food-tip-broken", "food_delivery", vertical_tools("food_delivery"))
    env, before, after = _tip_call(broken)
    assert after["total"] == before["total"]
    found = InvariantChecker(broken.spec).violations(env.db)
    assert any("food_order.total" in str(v) for v in found), found
    env.close()


@pytest.mark.parametrize("vertical", ["food_delivery", "retail_orders"])
def test_amounts_add_up_after_every_write_tool(vertical):
    world = compile_world(f"v-{vertical}-writes", vertical, vertical_tools(vertical))
    checker = InvariantChecker(world.spec)
    declared = [t for e in world.spec.entities.values() for t in e.invariants if "abs(" in t]
    assert len(declared) == 2, declared
    env = world.make_env(world.seed_state(4))
    assert not checker.violations(env.db)
    snapshot = env.snapshot()
    landed = 0
    for name, entry in world.tools.items():
        if entry.kind != "write":
            continue
        for attempt in range(6):
            env.restore(snapshot)
            args = ArgumentSampler(env).sample(name, random.Random(f"{name}:{attempt}"))
            result = env.step((name, args))
            if result.ok and result.changes:
                landed += 1
                assert not checker.violations(env.db), (name, args)
                break
    assert landed >= 5
    env.close()
