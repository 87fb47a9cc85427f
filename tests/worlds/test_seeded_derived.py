"""Seeded rows hold what the create that makes such rows derives: a stay's price follows its
nights and its room's rate, in the room's currency; a cinema booking costs its seats at the
showtime's price; and an occasion lasts what such occasions last (a stay days, not months; a
parking reservation hours)."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.worlds.conftest import builtin_world

from agentscaler.worlds.seeding import derived
from agentscaler.worlds.seeding.seed import seed_rows


def _rows(vertical: str, seed: int = 5, count: int = 40) -> dict[str, list[dict]]:
    world = builtin_world(vertical)
    return seed_rows(world.world, seed, count, world.spec)


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def test_a_stays_price_is_its_nights_at_its_rooms_rate_in_its_currency():
    rows = _rows("hotels")
    rooms = {r["room_id"]: r for r in rows["rooms"]}
    checked = 0
    for stay in rows["reservations"]:
        room = rooms.get(stay["room_id"])
        if room is None or room["nightly_rate"] is None:
            continue
        nights = (_day(stay["check_out_date"]) - _day(stay["check_in_date"])).days
        assert stay["total_price"] == round(room["nightly_rate"] * nights, 2), (stay, room)
        assert stay["currency"] == room["currency"]
        checked += 1
    assert checked >= 30


def test_a_cinema_booking_costs_its_seats_at_the_showtimes_price():
    rows = _rows("movie_tickets")
    showtimes = {s["showtime_id"]: s for s in rows["showtimes"]}
    checked = 0
    for booking in rows["cinema_bookings"]:
        show = showtimes.get(booking["showtime_id"])
        if show is None or show["ticket_price"] is None or booking["seats"] is None:
            continue
        assert booking["total_price"] == round(show["ticket_price"] * len(booking["seats"]), 2)
        checked += 1
    assert checked >= 30


def test_only_formulas_a_seeded_row_can_answer_are_derived():
    spec = builtin_world("hotels").spec
    made = {(d.table, d.column) for d in derived.derived_columns(spec)}
    assert ("reservations", "total_price") in made
    assert ("reservations", "currency") in made
    assert ("reservations", "status") not in made  # a row's state stays what seeding made it
    for world in ("retail_orders", "parking", "hr"):
        for item in derived.derived_columns(builtin_world(world).spec):
            assert "today" not in str(item.where)
            assert item.found, item  # each reads a row the seeded row names


@pytest.mark.parametrize(
    ("vertical", "table", "start", "end", "longest"),
    [
        ("hotels", "reservations", "check_in_date", "check_out_date", dt.timedelta(days=21)),
        ("pet_care", "boarding_stays", "check_in_date", "check_out_date", dt.timedelta(days=21)),
        ("hr", "leave_requests", "start_date", "end_date", dt.timedelta(days=21)),
        ("parking", "parking_reservations", "starts_at", "ends_at", dt.timedelta(days=1)),
        ("car_rental", "rentals", "pickup_time", "return_time", dt.timedelta(days=21)),
    ],
)
def test_an_occasion_lasts_what_such_occasions_last(vertical, table, start, end, longest):
    for row in _rows(vertical)[table]:
        begin = dt.datetime.fromisoformat(row[start].replace("Z", "+00:00"))
        finish = dt.datetime.fromisoformat(row[end].replace("Z", "+00:00"))
        assert dt.timedelta(0) < finish - begin <= longest, row
        if "return" in end:  # a car is rented for days, not for an hour
            assert finish - begin >= dt.timedelta(days=1), row


def test_a_claims_approved_amount_exists_once_it_is_approved_and_not_when_rejected():
    world = builtin_world("insurance_claims")
    gate = world.spec.entities["claim"].columns["approved_amount"].only_when
    assert gate == {"status": ("approved", "paid", "closed")}
    for claim in _rows("insurance_claims")["claims"]:
        decided = claim["status"] in ("approved", "paid", "closed")
        assert (claim["approved_amount"] is not None) == decided, claim


def test_new_dates_of_a_stay_price_it_again_by_the_creates_formula():
    from tests.worlds.conftest import set_row

    env = builtin_world("hotels").make_env()
    stay = next(r for r in env.db.rows("reservations") if r["room_id"] is not None)
    room = env.db.get("rooms", stay["room_id"])
    set_row(env, "rooms", "room_id", room["room_id"], nightly_rate=120.0)
    set_row(env, "reservations", "reservation_id", stay["reservation_id"], status="confirmed")
    today = dt.date.fromisoformat(env.db.today())
    start = today + dt.timedelta(days=40)
    result = env.call(
        "modify_reservation_dates",
        reservation_id=stay["reservation_id"],
        check_in_date=start.isoformat(),
        check_out_date=(start + dt.timedelta(days=3)).isoformat(),
    )
    assert result.ok, result.observation
    assert env.db.get("reservations", stay["reservation_id"])["total_price"] == 360.0
