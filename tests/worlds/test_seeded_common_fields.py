"""Fields that name a thing of a well-known kind get values of that kind, not the field's own
words and a number ("League 9", "Firstname 10", "User 36"), in seeded rows and in the arguments
tasks are sampled with; a description's examples ("such as 'Physics' or 'Chemistry'") are the
values of a field nothing else knows."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from tests.conftest import external_path

from agentscaler import ingest
from agentscaler.records import ToolSpec
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.seeding.common_fields import common_maker, examples_in
from agentscaler.worlds.seeding.sampling import ArgumentSampler
from agentscaler.worlds.seeding.seed import seed_rows
from agentscaler.worlds.seeding.values import faker_pool


def placeholder(value: str, field: str) -> bool:
    """``value`` is ``field``'s own words and a number ("League 9" for ``league``)."""
    return re.fullmatch(rf"{re.escape(field.replace('_', ' '))} \d+", value, re.I) is not None


def _tools(source: Path, names: set[str]) -> list[ToolSpec]:
    found = [t for t in ingest.import_sources([str(source)]).tools if t.name in names]
    assert {t.name for t in found} == names, sorted(t.name for t in found)
    return found


def _sampled(tools: list[ToolSpec], tool: str, argument: str, draws: int = 30) -> list[str]:
    world = compile_world("w-common", "common", tools)
    sampler = ArgumentSampler(world.make_env())
    values = []
    for seed in range(draws):
        arguments = sampler.sample(tool, random.Random(seed), optional=1.0)
        if isinstance(arguments.get(argument), str):
            values.append(arguments[argument])
    assert values, (tool, argument)
    return values


def test_a_persons_name_written_as_one_word_is_a_name():
    """BFCL's ``collect_customer_names(firstname, middlename, lastname)``: first and last names,
    not "Firstname 10"."""
    tools = _tools(external_path("bfcl/BFCL_v4_live_multiple.json"), {"collect_customer_names"})
    firsts = set(faker_pool("first_name"))
    lasts = set(faker_pool("last_name"))
    assert set(_sampled(tools, "collect_customer_names", "firstname")) <= firsts
    assert set(_sampled(tools, "collect_customer_names", "middlename")) <= firsts
    assert set(_sampled(tools, "collect_customer_names", "lastname")) <= lasts


def test_a_league_a_sport_and_a_season_are_real():
    """Seal-Tools' ``getSportsNews(sport, league)`` and ``getLeagueStandings(league, season)``:
    leagues and sports by their names, seasons by their years, in sampled arguments and in the
    seeded rows of the world's tables."""
    tools = _tools(external_path("seal-tools/tool.jsonl"), {"getSportsNews", "getLeagueStandings"})
    leagues = _sampled(tools, "getSportsNews", "league") + _sampled(
        tools, "getLeagueStandings", "league"
    )
    sports = _sampled(tools, "getSportsNews", "sport")
    seasons = _sampled(tools, "getLeagueStandings", "season")
    for field, values in (("league", leagues), ("sport", sports)):
        assert not any(placeholder(v, field) for v in values), values
    assert not any(c.isdigit() for c in "".join(sports)), sports
    assert all(re.fullmatch(r"20\d\d(-\d\d)?", s) for s in seasons), seasons
    world = compile_world("w-sports", "sports", tools)
    rows = seed_rows(world.world, 7, 20, world.spec)
    seeded = [
        (name, v)
        for table in rows.values()
        for row in table
        for name, v in row.items()
        if name in ("league", "sport", "season") and isinstance(v, str)
    ]
    assert seeded and not any(placeholder(v, name) for name, v in seeded), seeded[:10]


def test_a_description_s_examples_are_the_values_of_a_category():
    """BFCL's ``historical_contrib.get_contrib``: its ``category`` is "The field of the
    contribution, such as 'Physics' or 'Chemistry'": sampled categories are those, not
    "standard" or "premium"."""
    source = external_path("bfcl/BFCL_v4_multiple.json")
    tools = [
        t
        for t in ingest.import_sources([str(source)]).tools
        if "such as 'Physics' or 'Chemistry'" in str(t.parameters)
    ]
    assert tools
    name = tools[0].name
    assert set(_sampled(tools[:1], name, "category")) <= {"Physics", "Chemistry"}


@pytest.mark.parametrize(
    ("description", "examples"),
    [
        (
            "The field of the contribution, such as 'Physics' or 'Chemistry'.",
            ("Physics", "Chemistry"),
        ),
        ("The unit to convert from, e.g., kg, lb or oz.", ("kg", "lb", "oz")),
        ("Ticker symbol (e.g., AAPL, MSFT).", ("AAPL", "MSFT")),
        ("The season (e.g., 2021/2022)", ("2021/2022",)),
        ("A token, such as a timestamp in the format 'YYYY-MM-DDTHH:MM:SSZ'.", ()),
        ("The city you like most", ()),
    ],
)
def test_examples_are_read_from_a_description(description, examples):
    assert examples_in(description) == examples


@pytest.mark.parametrize(
    ("field", "shape"),
    [
        ("user_id", r"USR-\d{5}"),
        ("client_id", r"CLN-\d{5}"),
        ("parceltrackingid", r"PRC-\d{5}"),
        ("tracking_number", r"[A-Z0-9]{12}"),
        ("image_path", r"/[\w/]+/\w+_\d+\.(jpg|png|webp)"),
        ("api_key", r"sk_live_\w{24}"),
        ("case_number", r"20\d\d-(CV|CR|FL)-\d{5}"),
        ("project_version", r"\d\.\d+\.\d"),
    ],
)
def test_an_id_a_path_a_key_a_case_number_a_version_have_their_shape(field, shape):
    """An id of a thing the world keeps no table of looks like an id (``USR-48213``, not "User
    36"), a path like a path, a key like a key."""
    make = common_maker(field)
    assert make is not None
    rng = random.Random(3)
    for _ in range(20):
        assert re.fullmatch(shape, make(rng, "", faker_pool)), field
