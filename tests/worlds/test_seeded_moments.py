"""Seeded values that describe one moment agree: a flight's departure day is the day of its
departure time, a train's travel date the day it leaves, a session ends its length after it
starts, and an end named in another tense (``ends_at`` after ``started_at``) comes after its
start."""

from __future__ import annotations

import datetime as dt

from agentscaler.catalog import vertical_tools
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.seeding import pairs
from agentscaler.worlds.seeding.seed import seed_rows


def _rows(vertical: str, table: str, seed: int = 5) -> list[dict]:
    world = compile_world(f"v-{vertical}", vertical, vertical_tools(vertical))
    return seed_rows(world.world, seed, 40, world.spec)[table]


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_flights_departure_date_is_the_day_of_its_departure_time():
    rows = _rows("airline", "flights")
    for row in rows:
        assert row["departure_date"] == row["departure_time"][:10], row


def test_a_trains_travel_date_is_the_day_it_leaves():
    for row in _rows("rail_travel", "trains"):
        assert row["travel_date"] == row["departure_time"][:10], row


def test_a_parking_session_ends_its_length_after_it_starts():
    rows = _rows("parking", "parking_sessions")
    for row in rows:
        length = _moment(row["ends_at"]) - _moment(row["started_at"])
        assert length == dt.timedelta(minutes=row["duration_minutes"]), row


def test_day_and_moment_pairs_are_found_by_name():
    names = ["departure_date", "departure_time", "arrival_time", "booking_date", "booking_time"]
    assert pairs.same_moments(names) == [
        ("booking_date", "booking_time"),
        ("departure_date", "departure_time"),
    ]
    assert pairs.same_moments(["travel_date", "departure_time", "arrival_time"]) == [
        ("travel_date", "departure_time")
    ]
    assert pairs.same_moments(["due_date", "issued_at"]) == []  # two moments, not one
    assert pairs.pairs_of(["started_at", "ends_at"]) == [("started_at", "ends_at")]


def test_a_time_of_day_leaves_its_date_alone():
    row = {"booking_date": "2025-06-18", "booking_time": "19:30"}
    pairs.agree(pairs.same_moments(row), row)
    assert row == {"booking_date": "2025-06-18", "booking_time": "19:30"}


def test_agreeing_keeps_seeding_deterministic():
    assert _rows("airline", "flights", 11) == _rows("airline", "flights", 11)
