"""Worlds behave like the services they model (the README's examples), and the semantic check
catches code that does not do what the spec says."""

from __future__ import annotations

import re

import pytest

from agentscaler.catalog import vertical_tools
from agentscaler.worlds.checks.semantic import check_semantics
from agentscaler.worlds.compiler import compile_world, write_world
from agentscaler.worlds.runtime.loader import load_world

_WORLDS: dict[str, object] = {}


def _world(vertical: str):
    if vertical not in _WORLDS:
        _WORLDS[vertical] = compile_world(f"v-{vertical}", vertical, vertical_tools(vertical))
    return _WORLDS[vertical]


def _set(env, table: str, key_column: str, key, **values) -> None:
    """Put a row into a known state (as a seeded state would be)."""
    assignments = ", ".join(f'"{c}" = ?' for c in values)
    env.db._conn.execute(
        f'UPDATE "{table}" SET {assignments} WHERE "{key_column}" = ?', (*values.values(), key)
    )
    env.restore(env.snapshot().data)  # drop cached table digests


def _first(env, table: str):
    return env.db.find(table, limit=1)[0]


def test_place_order_inserts_the_order_with_its_items_and_takes_stock():
    env = _world("retail_orders").make_env()
    customer = _first(env, "customers")["customer_id"]
    first, second = (p["product_id"] for p in env.db.find("products", limit=2))
    for product in (first, second):
        _set(env, "products", "product_id", product, stock_quantity=10, in_stock=1)
    address = {
        "street": "1 Main St",
        "city": "Springfield",
        "postal_code": "97403",
        "country": "US",
    }
    result = env.call(
        "place_order",
        customer_id=customer,
        items=[{"product_id": first, "quantity": 2}, {"product_id": second, "quantity": 1}],
        shipping_address=address,
        payment_method="credit_card",
    )
    assert result.ok, result.observation
    order = result.observation
    assert order["customer_id"] == customer and order["status"] == "pending"
    assert sorted((i["product_id"], i["quantity"]) for i in order["items"]) == sorted(
        [(first, 2), (second, 1)]
    )
    rows = env.db.find("order_items", where={"order_id": order["order_id"]})
    assert len(rows) == 2  # child rows of the new order, not a column of the customer
    stock = {p["product_id"]: p["stock_quantity"] for p in env.db.find("products", limit=100)}
    assert (stock[first], stock[second]) == (8, 9)
    tables = {c.table for c in result.changes}
    assert tables == {"orders", "order_items", "products"}

    before = env.state_hash()
    short = env.call(
        "place_order",
        customer_id=customer,
        items=[{"product_id": first, "quantity": 9}],
        shipping_address=address,
        payment_method="credit_card",
    )
    assert short.error_type == "precondition_failed"
    assert short.observation["error"]["rule"] == "enough_stock_quantity"
    assert env.state_hash() == before


def _flight_and_passenger(env, miles: int):
    flight = _first(env, "flights")
    passenger = _first(env, "passengers")
    _set(
        env,
        "flights",
        "flight_id",
        flight["flight_id"],
        status="scheduled",
        seats_available=5,
        price=100.0,
    )
    _set(env, "passengers", "passenger_id", passenger["passenger_id"], miles_balance=miles)
    return flight["flight_id"], passenger["passenger_id"]


def test_booking_with_miles_needs_the_miles_and_deducts_them():
    env = _world("airline").make_env()
    flight, passenger = _flight_and_passenger(env, miles=53)
    before = env.state_hash()
    short = env.call(
        "book_flight",
        passenger_id=passenger,
        flight_id=flight,
        cabin_class="economy",
        payment_method="miles",
    )
    assert short.error_type == "precondition_failed"
    assert short.observation["error"]["rule"] == "enough_miles_balance"
    assert "miles balance 53" in short.observation["error"]["message"]
    assert env.state_hash() == before

    _set(env, "passengers", "passenger_id", passenger, miles_balance=25_000)
    booked = env.call(
        "book_flight",
        passenger_id=passenger,
        flight_id=flight,
        cabin_class="economy",
        payment_method="miles",
    )
    assert booked.ok, booked.observation
    assert env.db.get("passengers", passenger)["miles_balance"] == 25_000 - 100 * 100
    assert env.db.get("flights", flight)["seats_available"] == 4

    # cancelling gives the seat and the miles back
    cancelled = env.call(
        "cancel_booking",
        booking_id=booked.observation["booking_id"],
        cancellation_reason="change_of_plans",
    )
    assert cancelled.ok, cancelled.observation
    assert env.db.get("passengers", passenger)["miles_balance"] == 25_000
    assert env.db.get("flights", flight)["seats_available"] == 5


def test_a_cancelled_booking_cannot_be_changed():
    env = _world("airline").make_env()
    flight, passenger = _flight_and_passenger(env, miles=0)
    booked = env.call(
        "book_flight",
        passenger_id=passenger,
        flight_id=flight,
        cabin_class="economy",
        payment_method="credit_card",
    )
    assert booked.ok, booked.observation
    booking = booked.observation["booking_id"]
    assert env.call("cancel_booking", booking_id=booking, cancellation_reason="illness").ok
    before = env.state_hash()
    other = next(f for f in env.db.find("flights", limit=10) if f["flight_id"] != flight)
    _set(env, "flights", "flight_id", other["flight_id"], status="scheduled", seats_available=3)
    before = env.state_hash()
    changed = env.call("change_booking", booking_id=booking, flight_id=other["flight_id"])
    assert changed.error_type == "precondition_failed"
    assert changed.observation["error"]["rule"] == "booking_is_confirmed"
    assert env.state_hash() == before


def _without_rule(source: str, rule: str) -> str:
    """``tools.py`` with the named rule's check deleted (as a careless edit would)."""
    lines = source.splitlines(keepends=True)
    out = []
    skip = 0
    for index, line in enumerate(lines):
        if skip:
            skip -= 1
            continue
        if line.strip().startswith(f"# rule {rule}"):
            continue
        if (
            line.strip().startswith("if ")
            and index + 1 < len(lines)
            and f'rule="{rule}"' in lines[index + 1]
        ):
            skip = 1
            continue
        out.append(line)
    return "".join(out)


def test_approving_vacation_needs_the_days_the_balance_holds():
    """The balance never goes below zero, so approving more vacation than it holds is refused;
    other kinds of leave do not touch it."""
    env = _world("hr").make_env()
    employee = _first(env, "employees")["employee_id"]
    _set(env, "employees", "employee_id", employee, vacation_days_remaining=3)
    requests = [r["leave_request_id"] for r in env.db.find("leave_requests", limit=2)]
    for request, leave_type in zip(requests, ("vacation", "sick"), strict=True):
        _set(
            env,
            "leave_requests",
            "leave_request_id",
            request,
            employee_id=employee,
            status="pending",
            leave_type=leave_type,
            days_requested=5,
        )
    before = env.state_hash()
    refused = env.call("approve_leave_request", leave_request_id=requests[0])
    assert refused.error_type == "precondition_failed"
    assert refused.observation["error"]["rule"] == "enough_vacation_days_remaining"
    assert env.state_hash() == before
    sick = env.call("approve_leave_request", leave_request_id=requests[1])
    assert sick.ok, sick.observation
    assert env.db.get("employees", employee)["vacation_days_remaining"] == 3


@pytest.mark.parametrize(
    ("vertical", "tool", "rule"),
    [
        ("retail_orders", "cancel_order", "order_is_pending_or_processing"),
        ("retail_orders", "place_order", "enough_stock_quantity"),
        ("airline", "book_flight", "enough_miles_balance"),
        ("hr", "approve_leave_request", "enough_vacation_days_remaining"),
    ],
)
def test_the_rule_check_fails_when_the_rule_is_gone_from_the_code(tmp_path, vertical, tool, rule):
    world = _world(vertical)
    proofs = {(p.tool, p.rule): p.status for p in check_semantics(world, world.spec).rules}
    assert proofs[(tool, rule)] == "proven"
    folder = write_world(world, tmp_path / vertical)
    source = (folder / "tools.py").read_text()
    edited = _without_rule(source, rule)
    assert edited != source and f'rule="{rule}"' not in edited
    (folder / "tools.py").write_text(edited)
    broken = load_world(folder)
    report = check_semantics(broken)
    proof = next(p for p in report.rules if p.tool == tool and p.rule == rule)
    assert proof.status == "failed", proof
    assert not report.passed
    assert re.search(r"succeeded|failed with", proof.detail)
