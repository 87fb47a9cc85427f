"""Levels are taken once and where the service takes them. A leave request's days come off the
balance when it is approved (as the approval's description says), not already when it is
submitted; rejecting gives nothing back, and cancelling gives days back only when the request
had been approved. A refill comes off the prescription when it is picked up. An event sells
no more tickets than the seats left (its capacity less the tickets sold)."""

from __future__ import annotations

import datetime as dt

from tests.worlds.conftest import builtin_world, set_row


def _balance(env, employee: str) -> float:
    return env.db.get("employees", employee)["vacation_days_remaining"]


def _submit(env, employee: str):
    start = dt.date.fromisoformat(env.db.today()) + dt.timedelta(days=30)
    result = env.call(
        "submit_leave_request",
        employee_id=employee,
        leave_type="vacation",
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=4)).isoformat(),
    )
    assert result.ok, result.observation
    return result.observation


def _employee(env) -> str:
    employee = env.db.find("employees", limit=1)[0]["employee_id"]
    set_row(env, "employees", "employee_id", employee, vacation_days_remaining=20)
    return employee


def test_submitting_takes_nothing_and_approving_takes_the_days_once():
    env = builtin_world("hr").make_env()
    employee = _employee(env)
    request = _submit(env, employee)
    assert _balance(env, employee) == 20  # pending: nothing taken yet
    days = env.db.get("leave_requests", request["leave_request_id"])["days_requested"]
    assert days and days > 0
    approved = env.call("approve_leave_request", leave_request_id=request["leave_request_id"])
    assert approved.ok, approved.observation
    assert _balance(env, employee) == 20 - days
    cancelled = env.call("cancel_leave_request", leave_request_id=request["leave_request_id"])
    assert cancelled.ok, cancelled.observation
    assert _balance(env, employee) == 20  # the approved days come back, once


def test_rejecting_or_cancelling_a_pending_request_leaves_the_balance():
    env = builtin_world("hr").make_env()
    employee = _employee(env)
    first, second = _submit(env, employee), _submit(env, employee)
    rejected = env.call(
        "reject_leave_request",
        leave_request_id=first["leave_request_id"],
        rejection_reason="Team is short-staffed that week.",
    )
    assert rejected.ok, rejected.observation
    cancelled = env.call("cancel_leave_request", leave_request_id=second["leave_request_id"])
    assert cancelled.ok, cancelled.observation
    assert _balance(env, employee) == 20


def test_a_refill_is_taken_when_it_is_completed_not_when_it_is_requested():
    spec = builtin_world("pharmacy").spec
    request, complete = spec.tools["request_refill"], spec.tools["complete_refill"]
    assert not [e for e in request.effects if e.op == "decrement"]
    assert [dict(e.values) for e in complete.effects if e.op == "decrement"] == [
        {"refills_remaining": "=1"}
    ]


def test_an_event_sells_no_more_than_the_seats_left():
    env = builtin_world("events").make_env()
    event = env.db.find("events", limit=1)[0]["event_id"]
    set_row(env, "events", "event_id", event, status="published", capacity=100, tickets_sold=97)

    def buy(quantity: int):
        return env.call(
            "purchase_tickets",
            event_id=event,
            ticket_tier=env.db.find("ticket_orders", limit=1)[0]["ticket_tier"],
            quantity=quantity,
            attendee_name="Ana Ruiz",
            attendee_email="ana.ruiz@example.com",
        )

    before = env.state_hash()
    refused = buy(4)
    assert not refused.ok and "enough_capacity" in str(refused.observation)
    assert env.state_hash() == before
    bought = buy(3)
    assert bought.ok, bought.observation
    assert env.db.get("events", event)["tickets_sold"] == 100
