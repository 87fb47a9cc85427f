"""Initial states (seeding) and the argument sampler."""

from __future__ import annotations

import random
import re

from agentscaler.worlds.seeding.sampling import ArgumentSampler
from agentscaler.worlds.seeding.seed import seed_rows, seed_state


def test_seeding_is_deterministic_and_differs_by_seed(shop):
    assert seed_state(shop.world, 3) == seed_state(shop.world, 3)
    assert seed_state(shop.world, 3) != seed_state(shop.world, 4)
    spec = shop.load_spec()
    assert shop.seed_state(3) == seed_state(shop.world, 3, schema=shop.schema, spec=spec)
    assert seed_state(shop.world, 3, spec=spec) == seed_state(shop.world, 3, spec=spec)


def test_seeded_rows_respect_keys_formats_and_meanings(shop):
    rows = seed_rows(shop.world, 11, {"customers": 6, "orders": 25})
    assert (len(rows["customers"]), len(rows["orders"])) == (6, 25)
    customer_ids = {r["customer_id"] for r in rows["customers"]}
    assert len(customer_ids) == 6
    for customer in rows["customers"]:
        assert re.fullmatch(r"CUS-\d{6}", customer["customer_id"])
        assert "@" in customer["email"]
        assert len(customer["full_name"].split()) >= 2
        assert isinstance(customer["vip"], bool)
    statuses = {"pending", "processing", "shipped", "delivered", "cancelled"}
    for order in rows["orders"]:
        assert re.fullmatch(r"ORD-\d{6}", order["order_id"])
        assert order["customer_id"] in customer_ids  # foreign keys point at real rows
        assert order["status"] in statuses
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", order["placed"])
    order_ids = {o["order_id"] for o in rows["orders"]}
    assert rows["order_items"] and all(i["order_id"] in order_ids for i in rows["order_items"])


def test_integer_keys_and_row_counts(helpdesk):
    env = helpdesk.make_env()
    env.reset(seed=5, options={"rows_per_table": 7})
    tickets = env.db.find("tickets", limit=100)
    assert len(tickets) == 7 and all(isinstance(t["ticket_id"], int) for t in tickets)


def test_sampled_arguments_validate_and_succeed(shop):
    env = shop.make_env()
    failures = []
    for tool in shop.tools:
        for seed in range(5):
            env.reset()
            arguments = ArgumentSampler(env).sample(tool, random.Random(seed))
            shop.tools[tool].validator.validate(arguments)  # never raises
            result = env.step((tool, arguments))
            if not result.ok:
                failures.append((tool, arguments, result.content))
    assert not failures, failures


def test_transition_samples_pick_eligible_rows(shop):
    env = shop.make_env()
    successes = 0
    for seed in range(10):
        env.reset()
        arguments = ArgumentSampler(env).sample("cancel_order", random.Random(seed))
        row = env.db.get("orders", arguments["order_id"])
        assert row["status"] in ("pending", "processing")
        successes += env.step(("cancel_order", arguments)).ok
    assert successes == 10


def test_update_samples_change_something(shop):
    env = shop.make_env()
    for seed in range(5):
        env.reset()
        before = env.state_hash()
        arguments = ArgumentSampler(env).sample(
            "update_customer_email", random.Random(seed), optional=0.0
        )
        assert env.step(("update_customer_email", arguments)).ok
        assert env.state_hash() != before


def test_lookup_samples_match_an_existing_row(notes):
    env = notes.make_env()
    for seed in range(5):
        arguments = ArgumentSampler(env).sample("get_weather", random.Random(seed))
        result = env.step(("get_weather", arguments))
        assert result.ok, result.observation
        assert set(result.observation) == {"temperature", "condition"}


def test_compute_tools_follow_their_inputs_by_formula_or_lookup_table(shop, notes):
    # no formula fits: the tool reads its own lookup table, keyed by its inputs
    env = shop.make_env()
    row = env.random_rows("calculate_shipping_cost_results", 1, random.Random(0))[0]
    inputs = {"weight_kg": row["weight_kg"], "destination_country": row["destination_country"]}
    first = env.call("calculate_shipping_cost", **inputs)
    assert first.ok and first.observation == {"cost": row["cost"], "currency": row["currency"]}
    assert shop.make_env().call("calculate_shipping_cost", **inputs).observation == (
        first.observation
    )
    absent = env.call("calculate_shipping_cost", weight_kg=987.5, destination_country="Nowhere")
    assert not absent.ok and absent.observation["error"]["type"] == "not_found"
    # a formula: the result follows from the argument
    assert notes.make_env().call("math_factorial", number=5).observation == {"result": 120}
