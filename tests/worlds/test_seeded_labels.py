"""Names, titles, subjects and purposes that are neither free text nor a known kind read like
the field they fill (a pet's name, a task's title, a trip's purpose), in seeded rows and in the
arguments tasks make up, never as random dictionary words."""

from __future__ import annotations

import random
import re

import pytest

from agentscaler.catalog import vertical_tools
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.seeding import labels
from agentscaler.worlds.seeding.sampling import ArgumentSampler
from agentscaler.worlds.seeding.seed import seed_rows
from agentscaler.worlds.seeding.values import ValueFactory, faker_pool

_WORLDS: dict[str, object] = {}
_TASK_TITLES = {f"{v} {o}" for v in labels._TASK_VERBS for o in labels._TASK_OBJECTS}
_EMAIL_SUBJECTS = {f"{s} - {m}" for s in labels._EMAIL_SUBJECTS for m in labels._MONTHS}


def _plain(value):
    """A schema without its ``examples``: what a catalog that gives no vocabulary states."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "examples"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _world(vertical: str):
    """The vertical's world as if its catalog gave no examples (the labels are the fallback of
    fields no vocabulary names)."""
    if vertical not in _WORLDS:
        tools = [type(t).model_validate(_plain(t.model_dump())) for t in vertical_tools(vertical)]
        _WORLDS[vertical] = compile_world(f"v-{vertical}", vertical, tools)
    return _WORLDS[vertical]


@pytest.mark.parametrize(
    ("vertical", "table", "column", "vocabulary"),
    [
        ("visas", "visa_applications", "purpose", labels._PURPOSES),
        ("pet_care", "pets", "name", labels._PET_NAMES),
        ("pet_care", "pets", "breed", labels._BREEDS),
        ("project_management", "tasks", "title", _TASK_TITLES),
        ("email", "emails", "subject", _EMAIL_SUBJECTS),
    ],
)
def test_a_seeded_field_takes_values_of_its_kind(vertical, table, column, vocabulary):
    world = _world(vertical)
    rows = seed_rows(world.world, 4, 30, world.spec)[table]
    assert {row[column] for row in rows} <= set(vocabulary)


@pytest.mark.parametrize(
    ("vertical", "tool", "argument", "vocabulary"),
    [
        ("visas", "start_visa_application", "purpose", labels._PURPOSES),
        ("pet_care", "add_pet", "name", labels._PET_NAMES),
        ("project_management", "create_task", "title", _TASK_TITLES),
    ],
)
def test_a_made_up_argument_reads_like_its_field(vertical, tool, argument, vocabulary):
    env = _world(vertical).make_env()
    sampler = ArgumentSampler(env)
    made = [sampler.sample(tool, random.Random(seed), optional=1.0) for seed in range(12)]
    values = {arguments[argument] for arguments in made if argument in arguments}
    assert values and values <= set(vocabulary), values


def test_a_field_nothing_knows_gets_its_own_words_and_a_number():
    words = set(faker_pool("words"))
    for seed in range(20):
        value = ValueFactory(seed).value({"type": "string"}, None, "favorite_snack")
        assert re.fullmatch(r"Favorite snack \d{1,3}", value), value
        assert not set(value.lower().split()) <= words


def test_time_zones_are_real_iana_names():
    from zoneinfo import available_timezones

    zones = available_timezones()
    for seed in range(10):
        assert ValueFactory(seed).value({"type": "string"}, None, "timezone") in zones


def test_titles_and_subjects_tell_rows_apart():
    """Users name their records by title or subject: most of a table's values differ."""
    for vertical, table, column in (
        ("project_management", "tasks", "title"),
        ("email", "drafts", "subject"),
        ("email", "emails", "subject"),
        ("events", "events", "title"),
        ("pharmacy", "medications", "name"),
    ):
        world = _world(vertical)
        values = [row[column] for row in seed_rows(world.world, 4, 30, world.spec)[table]]
        assert len(set(values)) >= 0.7 * len(values), (table, column, values)


def test_the_same_seed_gives_the_same_labels():
    world = _world("pet_care")
    assert seed_rows(world.world, 9, 20, world.spec) == seed_rows(world.world, 9, 20, world.spec)


def test_a_train_runs_between_two_of_the_services_own_stations():
    """The vertical lists station codes as ``examples``: they come before the airport kind the
    column's name (``origin``) would give, and a train never leaves for where it is."""
    from tests.worlds.conftest import builtin_world

    world = builtin_world("rail_travel")
    stations = set(world.spec.entities["train"].columns["origin"].value_schema["examples"])
    operators = set(world.spec.entities["train"].columns["operator"].value_schema["examples"])
    rows = seed_rows(world.world, 5, 45, world.spec)
    for row in rows["trains"] + rows["season_tickets"]:
        assert {row["origin"], row["destination"]} <= stations, row
        assert row["origin"] != row["destination"], row
    assert {row["operator"] for row in rows["trains"]} <= operators


def _iban_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def test_bank_details_are_real_ibans_and_cards_still_valid():
    from tests.worlds.conftest import builtin_world

    world = builtin_world("banking")
    rows = seed_rows(world.world, 5, 20, world.spec)
    ibans = [r["iban"] for r in rows["bank_accounts"] + rows["payees"]]
    assert ibans and all(_iban_ok(i) for i in ibans), ibans
    for card in rows["cards"]:
        month, year = card["expiry"].split("/")
        assert 1 <= int(month) <= 12 and 2000 + int(year) >= 2026, card


_DRAWN = re.compile(r"(?=[a-z0-9]*[a-z])(?=[a-z0-9]*[0-9])[a-z0-9]{6,}", re.IGNORECASE)
"""A run of letters and digits mixed, as a string drawn from a pattern reads (``f4u2ebxf6``)."""


@pytest.mark.parametrize(
    ("vertical", "table", "column", "tool", "argument"),
    [
        ("messaging", "channels", "name", "create_channel", "name"),
        ("insurance_claims", "claim_documents", "file_name", None, None),
        ("visas", "supporting_documents", "file_name", None, None),
        ("crm", "companies", "domain", None, None),
    ],
)
def test_a_name_under_a_pattern_reads_like_a_name(vertical, table, column, tool, argument):
    """A channel's name under ``^[a-z0-9][a-z0-9_-]{0,79}$`` is ``design-reviews``, a document
    under ``\\.(pdf|jpg|jpeg|png)$`` is ``invoice_73.pdf`` and a company's domain is
    ``weber-mueller.com``, in seeded rows and in made-up arguments; drawn from the pattern
    alone they read ``f4_u2ebxf6lnr93ga0k9264i`` and ``uiFoEqFmLjHTr3oBQe-vF4gqIY.jpeg``."""
    from tests.worlds.conftest import builtin_world

    world = builtin_world(vertical)
    pattern = next(c for c in world.world.table(table).columns if c.name == column).value_schema[
        "pattern"
    ]
    values = [row[column] for row in seed_rows(world.world, 5, 40, world.spec)[table]]
    if tool is not None:
        sampler = ArgumentSampler(world.make_env())
        values += [sampler.sample(tool, random.Random(seed))[argument] for seed in range(20)]
    assert all(re.search(pattern, v) for v in values), values
    drawn = [v for v in values if _DRAWN.search(v)]
    assert not drawn, drawn
