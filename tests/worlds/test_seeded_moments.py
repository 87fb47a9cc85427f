"""Seeded values that describe one moment agree: a flight's departure day is the day of its
departure time, a train's travel date the day it leaves, a session ends its length after it
starts, and an end named in another tense (``ends_at`` after ``started_at``) comes after its
start."""

from __future__ import annotations

import datetime as dt

from tests.worlds.conftest import builtin_world

from agentscaler.worlds.seeding import pairs
from agentscaler.worlds.seeding.seed import seed_rows


def _rows(vertical: str, table: str, seed: int = 5) -> list[dict]:
    world = builtin_world(vertical)
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


def test_a_booking_time_with_a_digit_pattern_is_a_time_of_day():
    """``^[0-2][0-9]:[0-5][0-9]$`` admits ``29:07``: a time of day is made by its kind and kept
    where the pattern admits it."""
    for row in _rows("restaurants", "table_bookings"):
        hour, minute = row["booking_time"].split(":")
        assert 0 <= int(hour) <= 23 and int(minute) in (0, 15, 30, 45), row


def _date_fields(schema, name="", out=None):
    out = [] if out is None else out
    if isinstance(schema, dict):
        if schema.get("pattern") == r"^\d{4}-\d{2}-\d{2}$" and name:
            out.append((name, schema))
        for key, value in (schema.get("properties") or {}).items():
            _date_fields(value, key, out)
        _date_fields(schema.get("items"), name, out)
    return out


def test_dates_under_a_digit_pattern_are_real_days(external):
    """ACEBench states dates as ``^\\d{4}-\\d{2}-\\d{2}$``; a string drawn from that pattern
    reads ``8472-93-11``."""
    from agentscaler import ingest
    from agentscaler.worlds.infer.semantics import semantic_of
    from agentscaler.worlds.seeding.columns import Draw, generic
    from agentscaler.worlds.seeding.values import ValueFactory

    path = external("acebench/data_en/data_normal_multi_turn_user_switch.json")
    fields = [
        field
        for tool in ingest.import_sources([str(path)]).tools
        for field in _date_fields(tool.parameters)
    ]
    dated = [(n, s) for n, s in fields if semantic_of(n, s) == "date"]
    assert len(dated) >= 10
    factory = ValueFactory(3)
    for name, schema in dated:
        made = generic(schema, "date", name)([{}] * 20, Draw(7))
        made.append(factory.string(schema, "date", name))
        for value in made:
            dt.date.fromisoformat(value)  # raises on a day that does not exist


def test_a_ride_under_way_was_requested_within_the_last_day():
    """A ride has no start column, only when it was requested: one in progress was requested
    lately, not two years before the clock."""
    world = builtin_world("ride_hailing")
    clock = _moment(world.spec.clock or "2025-06-02T09:00:00+00:00")
    rows = [r for r in _rows("ride_hailing", "rides") if r["status"] == "in_progress"]
    assert rows
    for row in rows:
        assert dt.timedelta(0) <= clock - _moment(row["requested_at"]) <= dt.timedelta(days=1), row


def test_a_booking_call_books_days_to_come_not_years_past():
    """Arguments sampled for a create of an occasion (``book_room``, ``reserve_car``): the stay
    starts after the clock and lasts days (a task once asked for 2024-08-13 to 2026-09-24)."""
    import random

    from agentscaler.worlds.seeding.sampling import ArgumentSampler

    for vertical, tool, start, end in [
        ("hotels", "book_room", "check_in_date", "check_out_date"),
        ("car_rental", "reserve_car", "pickup_time", "return_time"),
        ("restaurants", "book_table", "booking_date", None),
    ]:
        env = builtin_world(vertical).make_env()
        now = _moment(env.db.now())
        sampler = ArgumentSampler(env)
        for seed in range(12):
            args = sampler.sample(tool, random.Random(seed), optional=1.0)
            if start not in args or (end is not None and end not in args):
                continue
            begin = _moment(args[start])
            finish = _moment(args[end]) if end is not None else begin + dt.timedelta(hours=2)
            if begin.tzinfo is None:
                begin, finish = begin.replace(tzinfo=now.tzinfo), finish.replace(tzinfo=now.tzinfo)
            assert begin > now, args
            assert dt.timedelta(0) < finish - begin <= dt.timedelta(days=21), args
