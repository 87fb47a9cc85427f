"""Details of seeded rows and compute results: what pairs things names two of them, e-mails are
made from the name in the same row, and a compute tool's result holds every field its response
lists (the arguments it echoes and the totals beside its main figure)."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pycountry
import pytest
from faker.providers.lorem.en_US import Provider
from faker_vehicle import vehicles as catalog
from tests.worlds.conftest import builtin_world

from agentscaler.worlds.seeding import kinds, pairs, tense
from agentscaler.worlds.seeding.sampling import ArgumentSampler
from agentscaler.worlds.seeding.seed import seed_rows


def test_a_drug_interaction_names_two_distinct_medications_that_exist():
    world = builtin_world("pharmacy")
    rows = seed_rows(world.world, 3, 25, world.spec)
    medications = {r["medication_id"] for r in rows["medications"]}
    for row in rows["drug_interactions"]:
        pair = row["medications"]
        assert len(pair) == 2 and len(set(pair)) == 2, row
        assert set(pair) <= medications, row


def test_an_email_is_made_from_the_name_of_its_own_row():
    world = builtin_world("events")
    rows = seed_rows(world.world, 3, 25, world.spec)["ticket_orders"]
    for row in rows:
        words = [kinds.ascii_word(w) for w in row["attendee_name"].split()]
        local = row["attendee_email"].split("@")[0]
        assert sum(bool(w) and w in local for w in words) >= 2, row


def _call(world, name: str, **args):
    env = world.make_env()
    result = env.step((name, args))
    assert result.ok, result.observation
    return result.observation


def test_a_compute_result_echoes_its_arguments_and_lists_every_field():
    parking = builtin_world("parking")
    fee = _call(parking, "calculate_parking_fee", hourly_rate=4.0, duration_minutes=50)
    assert fee == {"fee": 4.0, "hourly_rate": 4.0, "duration_minutes": 50}  # 4 started quarters
    bank = builtin_world("banking")
    quote = _call(bank, "convert_currency", amount=250.0, from_currency="EUR", to_currency="JPY")
    assert quote["amount"] == 250.0 and quote["from_currency"] == "EUR"
    assert quote["converted_amount"] == pytest.approx(250.0 * quote["exchange_rate"])
    homes = builtin_world("real_estate")
    loan = _call(
        homes,
        "calculate_mortgage_payment",
        loan_amount=300_000,
        annual_interest_rate=6.0,
        term_years=30,
    )
    assert loan["monthly_payment"] == pytest.approx(1798.65, abs=0.01)
    assert loan["total_interest"] == pytest.approx(
        loan["monthly_payment"] * 360 - 300_000, abs=0.01
    )


def test_ends_follow_their_starts_in_rows_objects_and_sampled_arguments():
    import random

    from agentscaler.worlds.seeding import pairs
    from agentscaler.worlds.seeding.values import ValueFactory

    assert pairs.pairs_of(["startDate", "endDate", "starting_date", "ending_date"]) == [
        ("startDate", "endDate"),
        ("starting_date", "ending_date"),
    ]
    row = {"start_time": "20:02", "end_time": "8:17", "departure_time": "16:15"}
    row["arrival_time"] = "16:15"
    pairs.order(pairs.pairs_of(row), row, random.Random(1))
    assert row["start_time"] == "08:17" and row["end_time"] == "20:02"
    assert row["arrival_time"] > row["departure_time"]
    closed = {"start_time": "18:00", "end_time": "06:00"}
    pairs.order(pairs.pairs_of(closed), closed, random.Random(1), {"end_time": ("06:00", "23:59")})
    assert closed["end_time"] == "23:59"  # a later value of its own set
    schema = {
        "type": "object",
        "properties": {
            "startDate": {"type": "string", "format": "date"},
            "endDate": {"type": "string", "format": "date"},
        },
        "required": ["startDate", "endDate"],
    }
    made = [ValueFactory(seed).value(schema) for seed in range(30)]
    assert all(m["endDate"] >= m["startDate"] for m in made)


def test_person_names_carry_no_titles_or_suffixes():
    """Customers are "Pedro Bentley", not "Dr. Pedro Bentley II" (Faker's name formats add
    honorifics and degrees to about one name in ten)."""
    import re

    from agentscaler.worlds.seeding.values import faker_pool

    names = faker_pool("person_name")
    titled = [
        n
        for n in names
        if re.match(r"(Dr|Mr|Mrs|Ms|Miss)\.? ", n)
        or re.search(r" (MD|DDS|PhD|DVM|Jr\.|I+V?|V)$", n)
    ]
    assert not titled, titled[:5]
    assert all(len(n.split()) >= 2 for n in names)


def test_a_session_ends_its_stated_length_after_it_started():
    """started_at / ends_at / duration_minutes: the end is the start plus the length."""
    world = builtin_world("parking")
    rows = seed_rows(world.world, 3, 40, world.spec)["parking_sessions"]
    assert rows
    for row in rows:
        begin = dt.datetime.fromisoformat(row["started_at"].replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(row["ends_at"].replace("Z", "+00:00"))
        assert end - begin == dt.timedelta(minutes=row["duration_minutes"]), row


def test_names_are_names_of_what_the_column_names_not_filler_words():
    """A car's make and model come from one real pair, a time zone is an IANA zone, a person's
    display name is a person's name, a venue is named like one; none is Faker's lorem words."""
    lorem = set(Provider.word_list)

    def filler(text: str) -> bool:
        return all(w.lower() in lorem for w in text.replace(",", " ").split())

    parking = builtin_world("parking")
    vehicles = seed_rows(parking.world, 3, 30, parking.spec)["vehicles"]
    pairs = {(v["Make"], v["Model"]) for v in catalog}
    assert all((v["make"], v["model"]) in pairs for v in vehicles), vehicles[:3]
    messaging = builtin_world("messaging")
    users = seed_rows(messaging.world, 3, 30, messaging.spec)["users"]
    zones = zoneinfo.available_timezones()
    assert all(u["timezone"] in zones for u in users), [u["timezone"] for u in users][:5]
    assert not any(filler(u["display_name"]) for u in users), users[:3]
    cinemas = builtin_world("movie_tickets")
    names = [c["name"] for c in seed_rows(cinemas.world, 3, 30, cinemas.spec)["cinemas"]]
    assert all(n.endswith(" Cinema") and not filler(n) for n in names), names[:5]


def test_a_column_whose_schemas_give_examples_is_drawn_from_them_in_parallel_lists():
    """The catalog's ``examples`` are the vertical's vocabulary: medications are named from it,
    distinct until the list runs out, and a brand name sits beside its own generic name."""
    world = builtin_world("pharmacy")
    table = next(t for t in world.world.tables if t.name == "medications")
    names = list(table.column("name").value_schema["examples"])
    generics = list(table.column("generic_name").value_schema["examples"])
    rows = seed_rows(world.world, 3, len(names), world.spec)["medications"]
    assert sorted(r["name"] for r in rows) == sorted(names)
    for row in rows:
        assert generics[names.index(row["name"])] == row["generic_name"], row


def test_a_created_record_takes_a_vocabulary_name_no_row_holds_yet():
    """Label names are unique and come from the catalog's list: a new label's made-up name is
    one of the list no label holds, or, once the list is used up, a name of another kind."""
    email = builtin_world("email")
    env = email.make_env()
    held = {row["name"] for row in env.db.rows("labels")}
    sampler = ArgumentSampler(env)
    made = [sampler.sample("create_label", random.Random(seed))["name"] for seed in range(40)]
    assert held and not set(made) & held, sorted(set(made) & held)[:5]


def test_a_nationality_is_a_country_code():
    """A passport's nationality ("Two-letter ISO 3166-1 code") is a real country code, seeded
    and in made-up arguments, not two random letters ("VB", "OK")."""
    visas = builtin_world("visas")
    rows = seed_rows(visas.world, 3, 30, visas.spec)
    values = [r["nationality"] for t in ("applicants", "visa_requirements") for r in rows[t]]
    sampler = ArgumentSampler(visas.make_env())
    values += [
        sampler.sample("check_visa_requirements", random.Random(seed))["nationality"]
        for seed in range(10)
    ]
    assert all(pycountry.countries.get(alpha_2=v) for v in values), values


@pytest.mark.parametrize(
    ("vertical", "table", "start"),
    [
        ("hotels", "reservations", "check_in_date"),
        ("clinics", "appointments", "start_time"),
        ("pet_care", "boarding_stays", "check_in_date"),
        ("parking", "parking_sessions", "started_at"),
        ("restaurants", "table_bookings", "booking_date"),
        ("library", "loans", "checkout_date"),
        ("insurance_claims", "policies", "effective_date"),
        ("airline", "flights", "departure_time"),
        ("real_estate", "viewings", "viewing_time"),
    ],
)
def test_a_rows_dates_stand_where_its_status_says(vertical, table, start):
    """A completed appointment lies in the past, a confirmed stay ahead, a checked-in one began
    before the clock; the row's other dates move with it (a stay still ends after it starts).
    A booking waiting for the restaurant's confirmation is for a day to come, a loan is taken
    out at its checkout, a policy in force took effect before the clock, a flight boarding
    departs about now."""
    world = builtin_world(vertical)
    clock = str(world.spec.clock)[:10]
    rows = seed_rows(world.world, 7, 40, world.spec)[table]
    occasion = pairs.is_occasion(table)
    told = [(tense.tense_of(r["status"], occasion=occasion), str(r[start])[:10], r) for r in rows]
    told = [t for t in told if t[0] is not None]
    assert len(told) >= 10, rows[:2]
    for when, day, row in told:
        placed = {"past": day < clock, "now": day <= clock, "ahead": day > clock}[when]
        assert placed, (when, day, row)


@pytest.mark.parametrize(
    ("vertical", "table", "start", "end"),
    [
        ("parking", "parking_sessions", "started_at", "ends_at"),
        ("insurance_claims", "policies", "effective_date", "expiration_date"),
        ("hotels", "reservations", "check_in_date", "check_out_date"),
    ],
)
def test_a_row_under_way_holds_the_clock_within_its_span(vertical, table, start, end):
    """An active parking session began before the clock and ends after it (not a session of
    yesterday still "active"); a policy in force took effect before the clock and expires after
    it, and its expiration follows its effective date."""
    world = builtin_world(vertical)
    clock = dt.datetime.fromisoformat(str(world.spec.clock))
    rows = seed_rows(world.world, 7, 40, world.spec)[table]
    under_way = [r for r in rows if tense.tense_of(r["status"]) == "now"]
    assert len(under_way) >= 3, rows[:2]
    for row in rows:
        assert str(row[end]) >= str(row[start]), row
    for row in under_way:
        began, ends = (pairs.moment_of(str(row[c])) for c in (start, end))
        began = began if began.tzinfo else began.replace(tzinfo=dt.UTC)
        ends = ends if ends.tzinfo else ends.replace(tzinfo=dt.UTC)
        assert began <= clock < ends + dt.timedelta(days=1), row


def test_an_expired_prescription_expired_before_the_clock():
    """A row that has only the day its time ends: an expired prescription's expiration date lies
    before the clock, an active one's after it."""
    world = builtin_world("pharmacy")
    clock = str(world.spec.clock)[:10]
    rows = seed_rows(world.world, 7, 40, world.spec)["prescriptions"]
    expired = [r for r in rows if r["status"] == "expired"]
    active = [r for r in rows if r["status"] == "active"]
    assert expired and active, rows[:2]
    assert all(str(r["expiration_date"]) < clock for r in expired), expired
    assert all(str(r["expiration_date"]) > clock for r in active), active


def test_a_booking_is_moved_to_a_day_to_come():
    """Rescheduling a table booking moves it to a day after the clock, not to a day long past."""
    world = builtin_world("restaurants")
    sampler = ArgumentSampler(world.make_env())
    clock = str(world.spec.clock)[:10]
    days = [
        sampler.sample("reschedule_table_booking", random.Random(seed))["booking_date"]
        for seed in range(20)
    ]
    assert all(day > clock for day in days), days


@pytest.mark.parametrize(
    ("vertical", "tool", "argument"),
    [
        ("streaming", "pause_subscription", "resume_date"),
        ("rail_travel", "buy_season_ticket", "start_date"),
        ("rail_travel", "update_traveler_railcard", "railcard_expiry"),
    ],
)
def test_a_write_sets_days_to_come_ahead_of_the_clock(vertical, tool, argument):
    """A paused subscription resumes on a day to come, a season ticket bought starts on one and
    a railcard set on a traveler expires on one, not on a day a year past."""
    world = builtin_world(vertical)
    sampler = ArgumentSampler(world.make_env())
    clock = str(world.spec.clock)[:10]
    days = [
        sampler.sample(tool, random.Random(seed), optional=1.0).get(argument) for seed in range(20)
    ]
    days = [d for d in days if d is not None]
    assert days and all(str(d)[:10] > clock for d in days), days


def test_a_conversion_and_a_trip_go_somewhere_else():
    """BFCL's ``get_exchange_rate(base_currency, target_currency)``: sampled conversions are
    from one currency to another, never EUR to EUR (one call in seven was)."""
    from tests.conftest import external_path

    from agentscaler import ingest
    from agentscaler.worlds.compiler import compile_world

    source = external_path("bfcl/BFCL_v4_parallel.json")
    tools = [t for t in ingest.import_sources([str(source)]).tools if t.name == "get_exchange_rate"]
    assert tools
    world = compile_world("w-rates", "rates", tools[:1])
    sampler = ArgumentSampler(world.make_env())
    calls = [sampler.sample("get_exchange_rate", random.Random(seed)) for seed in range(60)]
    pairs = [(c["base_currency"], c["target_currency"]) for c in calls]
    assert all(base != target for base, target in pairs), pairs


def test_parts_of_a_day_end_no_earlier_than_they_start():
    """A start and an end drawn from parts of a day listed in their order (Morning, Afternoon,
    Evening) are put in that order, not in the alphabet's (where Evening comes before Morning)."""
    parts = ("Morning", "Afternoon", "Evening")
    for seed in range(100):
        rng = random.Random(seed)
        row = {"start_time": rng.choice(parts), "end_time": rng.choice(parts)}
        pairs.order(
            [("start_time", "end_time")], row, rng, {"start_time": parts, "end_time": parts}
        )
        assert parts.index(row["end_time"]) >= parts.index(row["start_time"]), row
