"""Worlds behave like the services they model (the README's examples), and the semantic check
catches code that does not do what the spec says."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from tests.worlds.conftest import builtin_world, set_row

from agentscaler.worlds.checks.semantic import check_semantics
from agentscaler.worlds.compiler import write_world
from agentscaler.worlds.runtime.loader import load_world


def _first(env, table: str):
    return env.db.find(table, limit=1)[0]


def test_place_order_inserts_the_order_with_its_items_and_takes_stock():
    env = builtin_world("retail_orders").make_env()
    customer = _first(env, "customers")["customer_id"]
    first, second = (p["product_id"] for p in env.db.find("products", limit=2))
    for product, price in ((first, 12.5), (second, 40.0)):
        set_row(env, "products", "product_id", product, stock_quantity=10, in_stock=1, price=price)
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
    # the order's amounts are computed from its items' prices, not left empty
    assert (order["subtotal"], order["discount_amount"], order["total"]) == (65.0, 0, 65.0)
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
    set_row(
        env,
        "flights",
        "flight_id",
        flight["flight_id"],
        status="scheduled",
        seats_available=5,
        price=100.0,
    )
    set_row(env, "passengers", "passenger_id", passenger["passenger_id"], miles_balance=miles)
    return flight["flight_id"], passenger["passenger_id"]


def test_booking_with_miles_needs_the_miles_and_deducts_them():
    env = builtin_world("airline").make_env()
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

    set_row(env, "passengers", "passenger_id", passenger, miles_balance=25_000)
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


def _booked_and_another_flight(env) -> tuple[str, str, str]:
    """A new economy booking paid by card, its flight, and another scheduled flight with 3
    seats left."""
    flight, passenger = _flight_and_passenger(env, miles=0)
    booked = env.call(
        "book_flight",
        passenger_id=passenger,
        flight_id=flight,
        cabin_class="economy",
        payment_method="credit_card",
    )
    assert booked.ok, booked.observation
    other = next(f for f in env.db.find("flights", limit=10) if f["flight_id"] != flight)
    set_row(env, "flights", "flight_id", other["flight_id"], status="scheduled", seats_available=3)
    return booked.observation["booking_id"], flight, other["flight_id"]


def test_a_cancelled_booking_cannot_be_changed():
    env = builtin_world("airline").make_env()
    booking, _, other = _booked_and_another_flight(env)
    assert env.call("cancel_booking", booking_id=booking, cancellation_reason="illness").ok
    before = env.state_hash()
    changed = env.call("change_booking", booking_id=booking, flight_id=other)
    assert changed.error_type == "precondition_failed"
    assert changed.observation["error"]["rule"] == "booking_is_confirmed"
    assert env.state_hash() == before


def test_moving_a_booking_takes_a_seat_on_the_new_flight_and_frees_the_old_one():
    env = builtin_world("airline").make_env()
    booking, flight, other = _booked_and_another_flight(env)
    old_seats = env.db.get("flights", flight)["seats_available"]
    moved = env.call("change_booking", booking_id=booking, flight_id=other)
    assert moved.ok, moved.observation
    assert env.db.get("flights", other)["seats_available"] == 2
    assert env.db.get("flights", flight)["seats_available"] == old_seats + 1


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
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}pass\n")  # the check's block may be a loop's only statement
            continue
        out.append(line)
    return "".join(out)


def test_approving_vacation_needs_the_days_the_balance_holds():
    """The balance never goes below zero, so approving more vacation than it holds is refused;
    other kinds of leave do not touch it."""
    env = builtin_world("hr").make_env()
    employee = _first(env, "employees")["employee_id"]
    set_row(env, "employees", "employee_id", employee, vacation_days_remaining=3)
    requests = [r["leave_request_id"] for r in env.db.find("leave_requests", limit=2)]
    for request, leave_type in zip(requests, ("vacation", "sick"), strict=True):
        set_row(
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


def test_completing_a_refill_deducts_one_from_its_prescription():
    """ "one refill is deducted from the prescription": the prescription's count goes down by
    one, and a prescription with none left cannot be completed."""
    env = builtin_world("pharmacy").make_env()
    refill = _first(env, "refills")
    prescription = refill["prescription_id"]
    set_row(env, "refills", "refill_id", refill["refill_id"], status="ready")
    set_row(
        env, "prescriptions", "prescription_id", prescription, refills_remaining=2, auto_refill=True
    )
    done = env.call("complete_refill", refill_id=refill["refill_id"])
    assert done.ok, done.observation
    assert env.db.get("prescriptions", prescription)["refills_remaining"] == 1
    set_row(env, "refills", "refill_id", refill["refill_id"], status="ready")
    set_row(env, "prescriptions", "prescription_id", prescription, refills_remaining=0)
    refused = env.call("complete_refill", refill_id=refill["refill_id"])
    assert refused.error_type == "precondition_failed"


def test_accepting_an_offer_puts_its_listing_under_offer():
    env = builtin_world("real_estate").make_env()
    offer = _first(env, "offers")
    set_row(env, "offers", "offer_id", offer["offer_id"], status="submitted")
    set_row(env, "listings", "listing_id", offer["listing_id"], status="active")
    accepted = env.call("accept_offer", offer_id=offer["offer_id"])
    assert accepted.ok, accepted.observation
    assert env.db.get("listings", offer["listing_id"])["status"] == "under_offer"


def _review_of_a_product_with(env, reviews: int) -> dict:
    counts = Counter(r["product_id"] for r in env.db.rows("reviews"))
    return next(r for r in env.db.rows("reviews") if counts[r["product_id"]] == reviews)


def test_deleting_a_review_recomputes_its_products_average_rating():
    env = builtin_world("retail_orders").make_env()
    review = _review_of_a_product_with(env, 2)
    product = review["product_id"]
    deleted = env.call("delete_product_review", review_id=review["review_id"])
    assert deleted.ok, deleted.observation
    left = [r["rating"] for r in env.db.rows("reviews", where={"product_id": product})]
    assert len(left) == 1
    average = env.db.get("products", product)["average_rating"]
    assert average == pytest.approx(sum(left) / len(left))


def test_deleting_a_products_last_review_leaves_no_average():
    env = builtin_world("retail_orders").make_env()
    review = _review_of_a_product_with(env, 1)
    deleted = env.call("delete_product_review", review_id=review["review_id"])
    assert deleted.ok, deleted.observation
    average = env.db.get("products", review["product_id"])["average_rating"]
    assert average is None  # no review left: no average, not the old one or a made-up one


def test_issuing_a_refund_makes_its_return_refunded_once():
    env = builtin_world("returns").make_env()
    ret = _first(env, "returns")
    set_row(env, "returns", "return_id", ret["return_id"], status="received")
    env.db._conn.execute('DELETE FROM "refunds" WHERE "return_id" = ?', (ret["return_id"],))
    env.restore(env.snapshot().data)
    issued = env.call("issue_refund", return_id=ret["return_id"], refund_method="store_credit")
    assert issued.ok, issued.observation
    assert env.db.get("returns", ret["return_id"])["status"] == "refunded"
    again = env.call("issue_refund", return_id=ret["return_id"], refund_method="store_credit")
    assert again.error_type == "precondition_failed"


def test_cancelling_an_event_refunds_its_live_ticket_orders_only():
    env = builtin_world("events").make_env()
    order, other = env.db.find("ticket_orders", limit=2)
    event = order["event_id"]
    set_row(env, "events", "event_id", event, status="published")
    set_row(env, "ticket_orders", "ticket_order_id", order["ticket_order_id"], status="confirmed")
    set_row(env, "ticket_orders", "ticket_order_id", other["ticket_order_id"], event_id=event)
    set_row(env, "ticket_orders", "ticket_order_id", other["ticket_order_id"], status="cancelled")
    cancelled = env.call("cancel_event", event_id=event, cancellation_reason="venue flooded")
    assert cancelled.ok, cancelled.observation
    statuses = {
        r["ticket_order_id"]: r["status"]
        for r in env.db.rows("ticket_orders", where={"event_id": event})
    }
    assert statuses[order["ticket_order_id"]] == "refunded"
    assert statuses[other["ticket_order_id"]] == "cancelled"  # a final state stays as it is


def test_away_mode_switches_the_homes_lights_off_and_nothing_else():
    env = builtin_world("smart_home").make_env()
    home = _first(env, "devices")["home_id"]
    devices = env.db.rows("devices", where={"home_id": home})
    for device in devices:
        set_row(env, "devices", "device_id", device["device_id"], power_state="on")
    light, plug = devices[0]["device_id"], devices[-1]["device_id"]
    set_row(env, "devices", "device_id", light, device_type="light")
    if plug != light:
        set_row(env, "devices", "device_id", plug, device_type="smart_plug")
    off = env.call("set_away_mode", home_id=home, away_mode=False)
    assert off.ok, off.observation
    assert env.db.get("devices", light)["power_state"] == "on"  # leaving away mode: no switch
    on = env.call("set_away_mode", home_id=home, away_mode=True)
    assert on.ok, on.observation
    assert env.db.get("devices", light)["power_state"] == "off"
    if plug != light:
        assert env.db.get("devices", plug)["power_state"] == "on"


def test_returning_an_overdue_loan_creates_its_fine_and_an_active_one_does_not():
    env = builtin_world("library").make_env()
    late, on_time = env.db.find("loans", limit=2)
    for loan, status in ((late, "overdue"), (on_time, "active")):
        set_row(env, "loans", "loan_id", loan["loan_id"], status=status)
        env.db._conn.execute('DELETE FROM "fines" WHERE "loan_id" = ?', (loan["loan_id"],))
    env.restore(env.snapshot().data)
    for loan in (late, on_time):
        returned = env.call("return_book", loan_id=loan["loan_id"])
        assert returned.ok, returned.observation
    [fine] = env.db.rows("fines", where={"loan_id": late["loan_id"]})
    assert fine["patron_id"] == late["patron_id"] and fine["fine_reason"] == "overdue"
    assert fine["status"] == "unpaid"
    assert env.db.rows("fines", where={"loan_id": on_time["loan_id"]}) == []


def test_booked_seats_leave_the_free_ones_and_a_swap_gives_the_old_ones_back():
    env = builtin_world("movie_tickets").make_env()
    showtime = _first(env, "showtimes")["showtime_id"]
    env.db._conn.execute(
        'UPDATE "showtimes" SET "available_seats" = ?, "seats_available" = 4 '
        'WHERE "showtime_id" = ?',
        ('["A1", "A2", "A3", "A4"]', showtime),
    )
    env.restore(env.snapshot().data)
    taken = env.call(
        "book_movie_tickets",
        showtime_id=showtime,
        seats=["B1"],
        customer_name="Ada Lovelace",
        customer_email="ada@example.org",
    )
    assert taken.error_type == "precondition_failed"  # B1 is not a free seat
    assert taken.observation["error"]["rule"] == "seats_are_free"
    message = taken.observation["error"]["message"]
    assert message == f"seats ['B1'] are not free on showtime {showtime}", message
    booked = env.call(
        "book_movie_tickets",
        showtime_id=showtime,
        seats=["A1", "A2"],
        customer_name="Ada Lovelace",
        customer_email="ada@example.org",
    )
    assert booked.ok, booked.observation
    row = env.db.get("showtimes", showtime)
    assert row["available_seats"] == ["A3", "A4"] and row["seats_available"] == 2
    booking = booked.observation["cinema_booking_id"]
    set_row(env, "cinema_bookings", "cinema_booking_id", booking, status="confirmed")
    swapped = env.call("change_booking_seats", cinema_booking_id=booking, seats=["A2", "A3"])
    assert swapped.ok, swapped.observation
    row = env.db.get("showtimes", showtime)
    assert sorted(row["available_seats"]) == ["A1", "A4"] and row["seats_available"] == 2


def test_deleting_a_task_takes_its_comments_along():
    env = builtin_world("project_management").make_env()
    comment = _first(env, "comments")
    task = comment["task_id"]
    assert env.db.rows("comments", where={"task_id": task})
    deleted = env.call("delete_task", task_id=task)
    assert deleted.ok, deleted.observation
    assert env.db.rows("comments", where={"task_id": task}) == []
    assert {c.table for c in deleted.changes} >= {"tasks", "comments"}


def test_a_payee_with_scheduled_transfers_cannot_be_removed():
    """ "Scheduled transfers to the payee must be cancelled first": the rule is about the rows
    that refer to the payee, not the payee's own columns."""
    env = builtin_world("banking").make_env()
    transfer = _first(env, "transfers")
    payee = transfer["payee_id"]
    for other in env.db.find("transfers", limit=1000):
        if other["payee_id"] == payee:
            set_row(env, "transfers", "transfer_id", other["transfer_id"], status="completed")
    set_row(env, "transfers", "transfer_id", transfer["transfer_id"], status="scheduled")
    before = env.state_hash()
    refused = env.call("delete_payee", payee_id=payee)
    assert refused.error_type == "precondition_failed"
    assert refused.observation["error"]["rule"] == "no_scheduled_transfer"
    assert env.state_hash() == before
    set_row(env, "transfers", "transfer_id", transfer["transfer_id"], status="cancelled")
    removed = env.call("delete_payee", payee_id=payee)
    assert removed.ok, removed.observation


def test_a_transfer_may_use_the_overdraft_and_lowers_both_balances():
    """ "The amount cannot exceed the available balance plus overdraft": up to that sum the
    transfer goes through (the balance may go below zero) and lowers the balance and the
    available balance; a cent more is refused."""
    env = builtin_world("banking").make_env()
    account = next(a for a in env.db.find("bank_accounts", limit=50) if a["status"] == "active")
    key = account["bank_account_id"]
    assert account["available_balance"] <= account["balance"]
    set_row(env, "bank_accounts", "bank_account_id", key, balance=100.0, available_balance=80.0)
    set_row(env, "bank_accounts", "bank_account_id", key, overdraft_limit=50.0)
    payee = _first(env, "payees")["payee_id"]
    before = env.state_hash()
    refused = env.call("transfer_funds", bank_account_id=key, payee_id=payee, amount=130.01)
    assert refused.error_type == "precondition_failed"
    assert refused.observation["error"]["rule"] == "enough_available_balance"
    assert env.state_hash() == before
    sent = env.call("transfer_funds", bank_account_id=key, payee_id=payee, amount=120.0)
    assert sent.ok, sent.observation
    after = env.db.get("bank_accounts", key)
    assert (after["balance"], after["available_balance"]) == (-20.0, -40.0)


def test_a_food_order_adds_its_dishes_the_merchant_fee_and_the_tip():
    env = builtin_world("food_delivery").make_env()
    merchant = _first(env, "merchants")["merchant_id"]
    set_row(env, "merchants", "merchant_id", merchant, is_open=1, delivery_fee=2.5, minimum_order=0)
    dish = _first(env, "dishes")["dish_id"]
    set_row(env, "dishes", "dish_id", dish, merchant_id=merchant, price=9.0, is_available=1)
    eater = _first(env, "eaters")["eater_id"]
    placed = env.call(
        "place_food_order",
        eater_id=eater,
        merchant_id=merchant,
        items=[{"dish_id": dish, "quantity": 2}],
        delivery_address="12 Rue de Rivoli, Paris",
        tip_amount=3.0,
    )
    assert placed.ok, placed.observation
    order = placed.observation
    assert (order["order_subtotal"], order["delivery_fee"], order["total"]) == (18.0, 2.5, 23.5)


def test_a_stay_asked_in_minutes_is_held_against_a_limit_in_hours():
    env = builtin_world("parking").make_env()
    session = _first(env, "parking_sessions")
    facility = session["facility_id"]
    vehicle = env.db.get("vehicles", session["vehicle_id"])
    for other in env.db.find("parking_sessions", limit=1000):
        set_row(
            env,
            "parking_sessions",
            "parking_session_id",
            other["parking_session_id"],
            status="stopped",
        )
    set_row(env, "facilities", "facility_id", facility, max_stay_hours=2)
    args = {
        "parking_account_id": vehicle["parking_account_id"],
        "vehicle_id": vehicle["vehicle_id"],
        "facility_id": facility,
    }
    refused = env.call("start_parking_session", **args, duration_minutes=150)
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == "enough_max_stay_hours"
    started = env.call("start_parking_session", **args, duration_minutes=90)
    assert started.ok, started.observation
    again = env.call("start_parking_session", **args, duration_minutes=30)
    assert again.observation["error"]["rule"] == "unique_vehicle_id"


def test_a_lost_deal_needs_its_reason():
    """ "a lost reason is required when the new stage is closed_lost": only then."""
    env = builtin_world("crm").make_env()
    deal = _first(env, "deals")["deal_id"]
    set_row(env, "deals", "deal_id", deal, stage="negotiation")
    refused = env.call("update_deal_stage", deal_id=deal, stage="closed_lost")
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == "lost_reason_given"
    lost = env.call("update_deal_stage", deal_id=deal, stage="closed_lost", lost_reason="price")
    assert lost.ok, lost.observation
    other = env.db.find("deals", limit=2)[1]["deal_id"]
    set_row(env, "deals", "deal_id", other, stage="discovery")
    assert env.call("update_deal_stage", deal_id=other, stage="proposal").ok


def test_cash_rides_cannot_be_tipped_in_the_app():
    """A kind named at the start of a later sentence ("Cash rides cannot be tipped")."""
    env = builtin_world("ride_hailing").make_env()
    ride = _first(env, "rides")["ride_id"]
    set_row(env, "rides", "ride_id", ride, status="completed", payment_method="cash")
    refused = env.call("add_tip", ride_id=ride, tip_amount=2.0)
    assert refused.error_type == "precondition_failed"
    assert refused.observation["error"]["rule"] == "ride_payment_method_not_cash"
    set_row(env, "rides", "ride_id", ride, payment_method="card")
    assert env.call("add_tip", ride_id=ride, tip_amount=2.0).ok


def test_a_salary_band_runs_from_its_minimum_up():
    env = builtin_world("hr").make_env()
    posting = {
        "title": "Data engineer",
        "department": "engineering",
        "location": "berlin",
        "employment_type": "full_time",
        "currency": "EUR",
    }
    refused = env.call("create_job_posting", **posting, salary_min=90_000, salary_max=70_000)
    assert refused.error_type == "precondition_failed"
    assert refused.observation["error"]["rule"] == "salary_min_not_above_salary_max"
    assert env.call("create_job_posting", **posting, salary_min=70_000, salary_max=90_000).ok


def test_a_seat_is_taken_on_its_flight_not_by_its_passenger():
    """ "The seat must be free": free on the booking's flight (another passenger's booking on
    that flight holds it); the same seat on another flight is no conflict."""
    env = builtin_world("airline").make_env()
    bookings = env.db.find("bookings", limit=3)
    mine, other, elsewhere = (b["booking_id"] for b in bookings)
    flight, other_flight = (f["flight_id"] for f in env.db.find("flights", limit=2))
    for booking, on in ((mine, flight), (other, flight), (elsewhere, other_flight)):
        set_row(env, "bookings", "booking_id", booking, flight_id=on, status="confirmed", seat=None)
    set_row(env, "bookings", "booking_id", elsewhere, seat="12C")
    assert env.call("assign_seat", booking_id=mine, seat="12C").ok
    before = env.state_hash()
    taken = env.call("assign_seat", booking_id=other, seat="12C")
    assert taken.error_type == "precondition_failed", taken.observation
    assert env.state_hash() == before


def test_an_open_deal_is_one_not_closed():
    """ "Hand an open deal over": open means every stage but closed_won and closed_lost."""
    env = builtin_world("crm").make_env()
    deal = _first(env, "deals")["deal_id"]
    rep = _first(env, "sales_reps")["sales_rep_id"]
    set_row(env, "deals", "deal_id", deal, stage="closed_won")
    refused = env.call("assign_deal", deal_id=deal, sales_rep_id=rep)
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == "deal_is_open"
    assert "must be open" in refused.observation["error"]["message"]
    set_row(env, "deals", "deal_id", deal, stage="negotiation")
    assert env.call("assign_deal", deal_id=deal, sales_rep_id=rep).ok


@pytest.mark.parametrize(
    ("vertical", "tool", "rule"),
    [
        ("retail_orders", "cancel_order", "order_is_pending_or_processing"),
        ("retail_orders", "place_order", "enough_stock_quantity"),
        ("airline", "book_flight", "enough_miles_balance"),
        ("hr", "approve_leave_request", "enough_vacation_days_remaining"),
        ("banking", "delete_payee", "no_scheduled_transfer"),
        ("crm", "assign_deal", "deal_is_open"),
        ("ride_hailing", "add_tip", "ride_payment_method_not_cash"),
        ("hr", "create_job_posting", "salary_min_not_above_salary_max"),
        ("airline", "assign_seat", "unique_flight_id_seat"),
        ("events", "publish_event", "organizer_verified"),
        ("smart_home", "set_device_power", "device_is_online"),
        ("parking", "start_parking_session", "unique_vehicle_id"),
        ("parking", "start_parking_session", "enough_max_stay_hours"),
        ("airline", "checkin_booking", "booking_has_seat"),
        ("home_services", "request_quote", "service_pro_service_category_matches"),
        ("shipping", "create_shipment", "at_most_weight_kg"),
        ("insurance_claims", "approve_claim", "approved_amount_within_coverage_limit"),
        ("rail_travel", "claim_delay_compensation", "at_least_delay_minutes"),
        ("movie_tickets", "cancel_cinema_booking", "at_least_1_h_before"),
        ("movie_tickets", "book_movie_tickets", "seats_are_free"),
        ("movie_tickets", "change_booking_seats", "seats_are_free"),
        ("email", "update_email_labels", "every_label_exists"),
        ("it_helpdesk", "update_asset_status", "asset_not_retired"),
        ("crm", "update_deal_stage", "lost_reason_given"),
    ],
)
def test_the_rule_check_fails_when_the_rule_is_gone_from_the_code(tmp_path, vertical, tool, rule):
    world = builtin_world(vertical)
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


def test_a_parking_fee_is_the_hourly_rate_over_every_started_quarter_hour():
    """ "the fee for parking a number of minutes at an hourly rate, billed per started 15
    minutes": computed from the arguments, for any of them (not looked up)."""
    env = builtin_world("parking").make_env()
    for minutes, fee in ((15, 1.0), (16, 2.0), (178, 12.0), (240, 16.0)):
        result = env.call("calculate_parking_fee", duration_minutes=minutes, hourly_rate=4.0)
        assert result.ok, result.observation
        assert result.observation["fee"] == fee, (minutes, result.observation)
