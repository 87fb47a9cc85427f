"""Imported worlds are normal worlds: ``worlds check`` passes on them. The sampled calls take
the values the tools' descriptions list, a search answering one record is not compared on a
state holding none, a created record keeps a value of another type than the data's as given,
and a transition of records holding no status sets one."""

from __future__ import annotations

import copy
import random
from pathlib import Path

from tests.worlds.conftest import doc_tool, replayed

from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.importing.build import import_world
from agentscaler.worlds.importing.read import Source
from agentscaler.worlds.importing.replay import state_document
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.seeding.sampling import ArgumentSampler


def _listed(text: str, values: list[str], json_type: str = "string") -> dict:
    listed = ", ".join(f'"{v}"' for v in values)
    schema = {"type": json_type, "description": f"{text} [Enum]: [{listed}]"}
    if json_type == "array":
        schema["items"] = {"type": "string"}
    return schema


DOORS = ["driver", "passenger", "rear_left", "rear_right"]
CAR_TOOLS = [
    doc_tool(
        "setHeadlights",
        "Sets the headlights of the vehicle.",
        {"mode": _listed("The mode of the headlights.", ["on", "off", "auto"])},
        ["mode"],
        {"headlightStatus": _listed("The status of the headlights.", ["on", "off"])},
    ),
    doc_tool(
        "lockDoors",
        "Locks the doors of the vehicle.",
        {
            "unlock": {"type": "boolean", "description": "True if the doors are to be unlocked."},
            "door": _listed("The list of doors to lock or unlock.", DOORS, "array"),
        },
        ["unlock", "door"],
        {
            "lockStatus": _listed("The status of the lock.", ["locked", "unlocked"]),
            "remainingUnlockedDoors": {"type": "integer"},
        },
    ),
    doc_tool(
        "find_nearest_tire_shop",
        "Finds the nearest tire shop.",
        {},
        [],
        {"shopLocation": {"type": "string", "description": "The location of the tire shop."}},
    ),
]
CAR = {
    "fuelLevel": 10.5,
    "headLightStatus": "off",
    "doorStatus": {door: "locked" for door in DOORS},
}


def _failures(report) -> list[tuple[str, str | None, str]]:
    return [(f.check, f.tool, f.detail) for f in report.failures]


def _world(tools, data, tmp_path, name="w"):
    source = Source(path=Path(f"{name}.json"), format="json", document=copy.deepcopy(data))
    return import_world(tools, source, name, tmp_path, check=False)


def test_sampled_calls_take_the_values_the_descriptions_list(tmp_path):
    world = _world(CAR_TOOLS, CAR, tmp_path).compiled
    env = WorldEnv(world)
    try:
        env.reset()
        sampler = ArgumentSampler(env)
        for attempt in range(10):
            mode = sampler.sample("setHeadlights", random.Random(attempt))["mode"]
            assert mode in ("on", "off", "auto")
            doors = sampler.sample("lockDoors", random.Random(attempt))["door"]
            assert doors and set(doors) <= set(DOORS)
    finally:
        env.close()


def test_worlds_check_passes_on_state_tools_and_a_search_of_an_empty_table(tmp_path):
    result = _world(CAR_TOOLS, CAR, tmp_path)
    report = check_world(result.compiled, seed=0)
    assert not report.failures, _failures(report)
    checked = {(c.check, c.tool) for c in report.checks if c.ok}
    assert {("write", "setHeadlights"), ("write", "lockDoors")} <= checked
    assert ("agrees", "find_nearest_tire_shop") in checked


def test_a_search_of_one_record_still_disagrees_when_its_table_holds_records(tmp_path):
    """The case of an empty table is left out of the comparison, not every not_found: a search
    whose code fails on a table holding records is still reported."""
    result = _world(CAR_TOOLS, CAR, tmp_path)
    tools_py = result.world_dir / "tools.py"
    code = tools_py.read_text()
    broken = code.replace(
        'tire_shops = db.find("tire_shops")', 'tire_shops = db.find("tire_shops")[:0]'
    )
    assert broken != code
    tools_py.write_text(broken)
    from agentscaler.worlds.runtime.loader import load_world

    report = check_world(load_world(result.world_dir), seed=0)
    found = [
        f.detail
        for f in report.failures
        if (f.check, f.tool) == ("agrees", "find_nearest_tire_shop")
    ]
    assert found and found[0].endswith("the code failed with not_found"), _failures(report)


TICKET_TOOLS = [
    doc_tool(
        "create_ticket",
        "Create a ticket in the system and queue it.",
        {
            "title": {"type": "string", "description": "Title of the ticket."},
            "priority": {
                "type": "integer",
                "description": "Priority of the ticket, from 1 to 5. Defaults to 1.",
                "default": 1,
            },
        },
        ["title"],
        {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "status": {"type": "string"},
            "priority": {"type": "integer"},
        },
    ),
    doc_tool(
        "get_ticket",
        "Get a specific ticket by its ID.",
        {"ticket_id": {"type": "integer", "description": "ID of the ticket to retrieve."}},
        ["ticket_id"],
        {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "status": {"type": "string"},
            "priority": {"type": "integer"},
        },
    ),
    doc_tool(
        "close_ticket",
        "Close a ticket.",
        {"ticket_id": {"type": "integer", "description": "ID of the ticket to be closed."}},
        ["ticket_id"],
        {"status": {"type": "string", "description": "Status of the close operation."}},
    ),
]


def test_a_created_record_keeps_a_value_of_another_type_than_the_datas(tmp_path):
    data = {
        "ticket_queue": [
            {"id": 1, "title": "Tire pressure", "status": "open", "priority": "high"},
            {"id": 2, "title": "Brakes", "status": "open", "priority": "low"},
        ],
        "ticket_counter": 3,
    }
    result = _world(TICKET_TOOLS, data, tmp_path, "tickets")
    world = result.compiled
    assert state_document(world, world.initial_state()) == data
    outputs, final = replayed(world, [("create_ticket", {"title": "Wipers", "priority": 4})])
    assert outputs[0]["output"]["priority"] == 4
    assert final["ticket_queue"][:2] == data["ticket_queue"]
    assert final["ticket_queue"][2]["priority"] == 4
    assert any("priority as integer" in w for w in result.warnings), result.warnings
    report = check_world(world, seed=0)
    assert not report.failures, _failures(report)


def test_a_transition_of_records_holding_no_status_sets_one(tmp_path):
    data = {"ticket_queue": [{"id": 12, "description": "Servers are down.", "priority": 3}]}
    result = _world(TICKET_TOOLS, data, tmp_path, "tickets")
    world = result.compiled
    assert state_document(world, world.initial_state()) == data  # the data comes back as it is
    _, final = replayed(world, [("close_ticket", {"ticket_id": 12})])
    assert final["ticket_queue"] == [{**data["ticket_queue"][0], "status": "closed"}]
    assert any("close_ticket: sets the status" in w for w in result.warnings), result.warnings
    report = check_world(world, seed=0)
    assert not report.failures, _failures(report)
