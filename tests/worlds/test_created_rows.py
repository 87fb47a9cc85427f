"""A row a write tool creates holds what the service would fill in: counters start at zero (so
later arithmetic on them never meets a null) and prices come from what is bought."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.worlds.conftest import builtin_world, set_row

from agentscaler import catalog
from agentscaler.worlds.infer.created import filled_price
from agentscaler.worlds.seeding.kinds import number_range


def test_tickets_for_a_created_event_count_up_from_zero():
    env = builtin_world("events").make_env()
    venue = env.db.find("venues", limit=1)[0]
    set_row(env, "venues", "venue_id", venue["venue_id"], seated_capacity=500)
    organizer = env.db.find("organizers", limit=1)[0]["organizer_id"]
    created = env.call(
        "create_event",
        organizer_id=organizer,
        venue_id=venue["venue_id"],
        title="Midnight Jazz at the Forum",
        category="concert",
        start_time="2025-08-09T19:30:00Z",
        end_time="2025-08-09T22:30:00Z",
        price=45.0,
        capacity=300,
    )
    assert created.ok, created.observation
    event = created.observation["event_id"]
    assert created.observation["tickets_sold"] == 0
    set_row(env, "events", "event_id", event, status="published")
    bought = env.call(
        "purchase_tickets",
        event_id=event,
        ticket_tier="general_admission",
        quantity=3,
        attendee_name="Isabella Rossi",
        attendee_email="isabella.rossi@example.com",
    )
    assert bought.ok, bought.observation
    assert env.db.get("events", event)["tickets_sold"] == 3
    assert bought.observation["total_price"] == pytest.approx(45.0 * 3)
    assert bought.observation["currency"] == env.db.get("events", event)["currency"]


def test_a_counter_left_null_counts_from_zero_in_the_generated_code():
    env = builtin_world("events").make_env()
    event = env.db.find("events", limit=1)[0]["event_id"]
    set_row(env, "events", "event_id", event, status="published", tickets_sold=None, capacity=100)
    bought = env.call(
        "purchase_tickets",
        event_id=event,
        ticket_tier="general_admission",
        quantity=2,
        attendee_name="Isabella Rossi",
        attendee_email="isabella.rossi@example.com",
    )
    assert bought.ok, bought.observation
    assert env.db.get("events", event)["tickets_sold"] == 2


def test_a_training_session_is_priced_by_the_trainers_hourly_rate():
    env = builtin_world("gyms").make_env()
    member = env.db.find("members", limit=1)[0]["member_id"]
    set_row(env, "members", "member_id", member, status="active")
    trainer = env.db.find("trainers", limit=1)[0]
    booked = env.call(
        "book_training_session",
        member_id=member,
        trainer_id=trainer["trainer_id"],
        start_time="2025-07-01T10:00:00Z",
        duration_minutes=90,
    )
    assert booked.ok, booked.observation
    assert booked.observation["price"] == pytest.approx(round(trainer["hourly_rate"] * 90 / 60, 2))


def test_a_season_ticket_nothing_prices_gets_a_price_the_seeder_would_draw():
    world = builtin_world("rail_travel")
    env = world.make_env()
    traveler = env.db.find("travelers", limit=1)[0]["traveler_id"]
    bought = env.call(
        "buy_season_ticket",
        traveler_id=traveler,
        origin="EUS",
        destination="MAN",
        duration="monthly",
        start_date="2025-07-01",
    )
    assert bought.ok, bought.observation
    price = env.db.get("season_tickets", bought.observation["season_ticket_id"])["price"]
    low, high = number_range("price", False, "season_tickets", world.world.name) or (5, 500)
    assert price is not None and low <= price <= high


@pytest.mark.parametrize("vertical", catalog.verticals())
def test_no_created_row_leaves_a_counter_or_a_price_null(vertical):
    """Every column some write adds to or takes from has a value in every row a create makes,
    and so has every price of what a create buys."""
    spec = builtin_world(vertical).spec
    counted = set()
    for tool in spec.tools.values():
        for effect in tool.effects:
            if effect.op in ("increment", "decrement"):
                counted.update((tool.row_entity(effect.target), c) for c in effect.values)
    missing = []
    for name, tool in spec.tools.items():
        for effect in tool.effects:
            if effect.insert is None:
                continue
            entity = spec.entities[effect.insert]
            for column_name, column in entity.columns.items():
                if column_name in effect.values or column.default is not None:
                    continue
                if (effect.insert, column_name) in counted or (
                    effect.insert == tool.entity
                    and tool.kind == "create"
                    and filled_price(column_name, column)
                ):
                    missing.append(f"{name} -> {effect.insert}.{column_name}")
    assert not missing, missing


def test_a_parking_session_is_charged_by_the_worlds_own_fee_formula():
    world = builtin_world("parking")
    env = world.make_env()
    vehicle = env.db.find("vehicles", limit=1)[0]
    facility = env.db.find("facilities", limit=1)[0]
    set_row(env, "facilities", "facility_id", facility["facility_id"], max_stay_hours=24)
    for session in env.db.find("parking_sessions", where={"vehicle_id": vehicle["vehicle_id"]}):
        set_row(
            env,
            "parking_sessions",
            "parking_session_id",
            session["parking_session_id"],
            status="stopped",
        )
    started = env.call(
        "start_parking_session",
        parking_account_id=vehicle["parking_account_id"],
        vehicle_id=vehicle["vehicle_id"],
        facility_id=facility["facility_id"],
        duration_minutes=50,
    )
    assert started.ok, started.observation
    quoted = env.call(
        "calculate_parking_fee", hourly_rate=facility["hourly_rate"], duration_minutes=50
    )
    assert started.observation["fee"] == quoted.observation["fee"]  # per started 15 minutes


def test_a_leave_request_counts_its_working_days_and_approving_it_takes_them():
    env = builtin_world("hr").make_env()
    employee = env.db.find("employees", limit=1)[0]
    set_row(env, "employees", "employee_id", employee["employee_id"], vacation_days_remaining=20)
    submitted = env.call(
        "submit_leave_request",
        employee_id=employee["employee_id"],
        leave_type="vacation",
        start_date="2025-07-04",  # a Friday
        end_date="2025-07-08",  # the Tuesday after
    )
    assert submitted.ok, submitted.observation
    request = submitted.observation["leave_request_id"]
    assert env.db.get("leave_requests", request)["days_requested"] == 3
    before = env.db.get("employees", employee["employee_id"])["vacation_days_remaining"]
    approved = env.call("approve_leave_request", leave_request_id=request)
    assert approved.ok, approved.observation
    after = env.db.get("employees", employee["employee_id"])["vacation_days_remaining"]
    assert before - after == 3


def test_working_days_count_monday_to_friday_both_ends_included():
    from agentscaler.worlds.runtime.dbapi import Database

    assert Database.working_days("2025-06-02", "2025-06-06") == 5  # Monday to Friday
    assert Database.working_days("2025-06-06", "2025-06-09") == 2  # Friday to Monday
    assert Database.working_days("2025-06-07", "2025-06-08") == 0  # a weekend
    assert Database.working_days("2025-06-02", "2025-06-15") == 10
    assert Database.working_days("2025-06-09", "2025-06-02") == 0


def test_a_session_started_for_a_length_starts_now_and_ends_that_length_later():
    env = builtin_world("parking").make_env()
    vehicle = env.db.find("vehicles", limit=1)[0]
    facility = env.db.find("facilities", limit=1)[0]["facility_id"]
    set_row(env, "facilities", "facility_id", facility, max_stay_hours=5)
    for other in env.db.find("parking_sessions", where={"vehicle_id": vehicle["vehicle_id"]}):
        set_row(
            env,
            "parking_sessions",
            "parking_session_id",
            other["parking_session_id"],
            status="expired",
        )
    result = env.call(
        "start_parking_session",
        parking_account_id=vehicle["parking_account_id"],
        vehicle_id=vehicle["vehicle_id"],
        facility_id=facility,
        duration_minutes=90,
    )
    assert result.ok, result.observation
    session = env.db.get("parking_sessions", result.observation["parking_session_id"])
    started = dt.datetime.fromisoformat(session["started_at"].replace("Z", "+00:00"))
    ends = dt.datetime.fromisoformat(session["ends_at"].replace("Z", "+00:00"))
    assert session["started_at"] == env.db.now()
    assert ends - started == dt.timedelta(minutes=90)
    # stamped like the seeded sessions beside it: 2025-06-02T09:00:00Z, not ...+00:00
    seeded = [
        r
        for r in env.db.find("parking_sessions")
        if r["parking_session_id"] != session["parking_session_id"]
    ]
    assert seeded and all(r["started_at"].endswith("Z") for r in seeded)
    assert session["started_at"].endswith("Z") and session["ends_at"].endswith("Z"), session
