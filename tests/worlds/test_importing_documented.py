"""Fields and collections the tools' docs name and the data leaves out: part of the imported
world (tools set and read them), written back once they hold something, so the data alone still
comes back exactly."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from tests.worlds.conftest import doc_tool, replayed

from agentscaler.worlds.importing.build import import_world
from agentscaler.worlds.importing.fidelity import compare, shape_paths
from agentscaler.worlds.importing.read import Source
from agentscaler.worlds.importing.replay import state_document
from agentscaler.worlds.importing.shape import canonical_data, read_shape

NUMBER = {"type": "number"}


def _enum(values: list[str]) -> dict:
    return {"type": "string", "description": f"The status. [Enum]: {values}".replace("'", '"')}


PEDAL = _enum(["pressed", "released"])
CAR_TOOLS = [
    doc_tool(
        "displayCarStatus",
        "Displays the status of the vehicle.",
        {"option": {"type": "string"}},
        ["option"],
        {
            "status": {
                "type": "object",
                "properties": {"fuelLevel": NUMBER, "brakePedalStatus": PEDAL},
            }
        },
    ),
    doc_tool(
        "pressBrakePedal",
        "Presses the brake pedal based on pedal position.",
        {"pedalPosition": NUMBER},
        ["pedalPosition"],
        {"brakePedalStatus": PEDAL, "brakePedalForce": NUMBER},
    ),
    doc_tool(
        "releaseBrakePedal",
        "Releases the brake pedal of the vehicle.",
        {},
        [],
        {"brakePedalStatus": PEDAL, "brakePedalForce": NUMBER},
    ),
    doc_tool(
        "check_tire_pressure",
        "Checks the tire pressure of the vehicle.",
        {},
        [],
        {"fuelLevel": NUMBER, "healthy_tire_pressure": {"type": "boolean"}},
    ),
]
CAR = {"engineState": "stopped", "fuelLevel": 10.0}


@pytest.fixture(scope="module")
def car(tmp_path_factory):
    out = tmp_path_factory.mktemp("car")
    source = Source(path=Path("car.json"), format="json", document=copy.deepcopy(CAR))
    return import_world(CAR_TOOLS, source, "car", out, check=False)


def test_a_state_field_only_the_docs_name_is_set_read_and_written_once_set(car):
    world = car.compiled
    # nothing set yet: the data comes back exactly, without the field
    assert canonical_data(state_document(world)) == canonical_data(CAR)
    columns = {c.name: c for c in world.world.table("state").columns}
    assert columns["brake_pedal_status"].type == "TEXT"
    assert columns["brake_pedal_status"].enum == ("pressed", "released")
    outputs, final = replayed(world, [("pressBrakePedal", {"pedalPosition": 0.5})])
    assert final == {**CAR, "brakePedalStatus": "pressed"}
    outputs, final = replayed(
        world,
        [
            ("pressBrakePedal", {"pedalPosition": 1.0}),
            ("displayCarStatus", {"option": "brakePedal"}),
            ("releaseBrakePedal", {}),
        ],
    )
    shown = outputs[1]["output"]
    shown = shown.get("status", shown)
    assert shown["brakePedalStatus"] == "pressed"
    assert final["brakePedalStatus"] == "released"
    # a result nothing ever sets (a read's computed verdict) is not made a field of the state
    assert "healthy_tire_pressure" not in columns
    assert "brake_pedal_force" not in columns


def test_the_schema_recovered_counts_a_documented_field_holding_nothing_yet(car):
    world = car.compiled
    paths = shape_paths(read_shape(world.path))
    assert {"engineState", "fuelLevel", "brakePedalStatus"} <= paths

    class Reference:
        def call(self, name, arguments):
            return True, {}

        def state(self):
            return {**CAR, "brakePedalStatus": "released", "remainingUnlockedDoors": 4}

    result = compare(world, [], Reference(), data_keys=list(CAR))
    assert (result.fields_found, result.fields_total) == (3, 4)
    assert result.fields_missing == ["remainingUnlockedDoors"]


TRADING_TOOLS = [
    doc_tool(
        "get_account_info",
        "Get account information.",
        {},
        [],
        {"account_id": {"type": "integer"}, "balance": NUMBER},
    ),
    doc_tool(
        "place_order",
        "Place an order.",
        {"symbol": {"type": "string"}, "price": NUMBER, "amount": {"type": "integer"}},
        ["symbol", "price", "amount"],
        {"order_id": {"type": "integer"}, "price": NUMBER},
    ),
    doc_tool(
        "get_order_details",
        "Get the details of an order.",
        {"order_id": {"type": "integer"}},
        ["order_id"],
        {
            "id": {"type": "integer", "description": "ID of the order."},
            "symbol": {"type": "string"},
            "price": NUMBER,
            "amount": {"type": "integer"},
        },
    ),
]
TRADING = {"account_info": {"account_id": 7, "balance": 100.0}, "order_counter": 40}


def test_a_collection_only_the_docs_name_is_written_back_once_it_holds_records(tmp_path):
    source = Source(path=Path("t.json"), format="json", document=copy.deepcopy(TRADING))
    world = import_world(TRADING_TOOLS, source, "trading", tmp_path, check=False).compiled
    assert canonical_data(state_document(world)) == canonical_data(TRADING)
    shape = read_shape(world.path)
    orders = next(c for c in shape.collections if c.documented)
    assert orders.name == "orders" and orders.style == "dict"
    assert {"orders", "orders.*", "orders.*.symbol", "orders.*.amount"} <= shape_paths(shape)
    outputs, final = replayed(
        world, [("place_order", {"symbol": "NVDA", "price": 2.5, "amount": 3})]
    )
    assert outputs[0]["ok"], outputs
    assert set(final) == {*TRADING, "orders"}
    ((key, record),) = final["orders"].items()
    # the key is written under the name the tools read it by
    assert record == {"id": int(key), "symbol": "NVDA", "price": 2.5, "amount": 3}
    assert "orders.*.id" in shape_paths(read_shape(world.path))


LIST = {"type": "array", "items": {"type": "string"}}
TWITTER_TOOLS = [
    doc_tool(
        "post_tweet",
        "Post a tweet for the authenticated user.",
        {"content": {"type": "string"}, "tags": {**LIST, "default": []}},
        ["content"],
        {
            "id": {"type": "integer", "description": "ID of the posted tweet."},
            "username": {"type": "string"},
            "content": {"type": "string"},
            "tags": LIST,
        },
    ),
    doc_tool(
        "get_tweet",
        "Retrieve a specific tweet.",
        {"tweet_id": {"type": "integer", "description": "ID of the tweet to retrieve."}},
        ["tweet_id"],
        {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "content": {"type": "string"},
            "tags": LIST,
        },
    ),
]


@pytest.mark.parametrize("empty", [{}, []])
def test_an_empty_collection_is_a_table_whose_created_records_are_written_back(tmp_path, empty):
    data = {"username": "ana", "tweet_counter": 0, "tweets": empty}
    source = Source(path=Path("tw.json"), format="json", document=copy.deepcopy(data))
    world = import_world(TWITTER_TOOLS, source, "tw", tmp_path, check=False).compiled
    assert canonical_data(state_document(world)) == canonical_data(data)
    assert "tweets" not in {c.name for c in world.world.table("state").columns}
    outputs, final = replayed(
        world,
        [("post_tweet", {"content": "hi", "tags": ["#a"]}), ("get_tweet", {"tweet_id": 0})],
    )
    assert outputs[1]["ok"] and outputs[1]["output"]["content"] == "hi", outputs
    tweet = {"id": 0, "username": "ana", "content": "hi", "tags": ["#a"]}
    if isinstance(empty, dict):  # keyed like the data's keyed collections
        assert final["tweets"] == {"0": tweet}
    else:
        assert final["tweets"] == [tweet]
    assert final["tweet_counter"] == 1


FOLLOW_TOOLS = [
    doc_tool(
        "list_all_following",
        "List all users that the authenticated user is following.",
        {},
        [],
        {"following_list": LIST},
    ),
    doc_tool(
        "follow_user",
        "Follow a user for the authenticated user.",
        {"username_to_follow": {"type": "string"}},
        ["username_to_follow"],
        {"follow_status": {"type": "boolean"}},
    ),
    doc_tool(
        "unfollow_user",
        "Unfollow a user for the authenticated user.",
        {"username_to_unfollow": {"type": "string"}},
        ["username_to_unfollow"],
        {"unfollow_status": {"type": "boolean"}},
    ),
]


def test_a_list_the_docs_name_and_tools_add_to_is_kept_in_the_state(tmp_path):
    data = {"username": "ana", "password": "secret"}
    source = Source(path=Path("f.json"), format="json", document=copy.deepcopy(data))
    world = import_world(FOLLOW_TOOLS, source, "follow", tmp_path, check=False).compiled
    assert canonical_data(state_document(world)) == canonical_data(data)
    outputs, final = replayed(
        world,
        [
            ("follow_user", {"username_to_follow": "bob"}),
            ("follow_user", {"username_to_follow": "eve"}),
            ("unfollow_user", {"username_to_unfollow": "bob"}),
            ("list_all_following", {}),
        ],
    )
    assert outputs[3]["output"] == {"following_list": ["eve"]}
    assert final == {**data, "following_list": ["eve"]}


WATCH_TOOLS = [
    doc_tool("get_watchlist", "Get the watchlist.", {}, [], {"watchlist": LIST}),
    doc_tool(
        "remove_stock_from_watchlist",
        "Remove a stock from the watchlist.",
        {"symbol": {"type": "string"}},
        ["symbol"],
        {"status": {"type": "string"}},
    ),
]


def test_worlds_check_takes_out_of_a_list_a_value_it_holds(tmp_path):
    from agentscaler.worlds.checks.conformance import check_world

    data = {"watch_list": ["NVDA", "AAPL"], "balance": 10.0}
    source = Source(path=Path("w.json"), format="json", document=data)
    world = import_world(WATCH_TOOLS, source, "watch", tmp_path, check=False).compiled
    report = check_world(world, seed=0)
    assert not report.failures, [(f.check, f.tool, f.detail) for f in report.failures]


def test_a_read_of_values_the_state_holds_answers_whether_they_are_the_states(tmp_path):
    tools = [
        doc_tool(
            "authenticate",
            "Authenticate a user with username and password.",
            {"username": {"type": "string"}, "password": {"type": "string"}},
            ["username", "password"],
            {"authentication_status": {"type": "boolean"}},
        )
    ]
    data = {"username": "ana", "password": "s3cret", "tweet_counter": 0}
    source = Source(path=Path("a.json"), format="json", document=copy.deepcopy(data))
    world = import_world(tools, source, "auth", tmp_path, check=False).compiled
    outputs, final = replayed(
        world,
        [
            ("authenticate", {"username": "ana", "password": "s3cret"}),
            ("authenticate", {"username": "ana", "password": "guess"}),
            ("authenticate", {"username": "bob", "password": "s3cret"}),
        ],
    )
    assert [o["output"] for o in outputs] == [
        {"authentication_status": True},
        {"authentication_status": False},
        {"authentication_status": False},
    ]
    assert final == data
