"""Imported worlds whose data keeps one current state beside its collections: tools read and
change the top-level values, keyed collections are found by the key the tools name, and a
counter gives new rows their keys."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from tests.worlds.conftest import doc_tool, replayed

from agentscaler.worlds.importing.build import import_world
from agentscaler.worlds.importing.read import Source
from agentscaler.worlds.importing.replay import Call
from agentscaler.worlds.importing.schema import plan_import
from agentscaler.worlds.importing.shape import canonical_data, export_document

NUMBER = {"type": "number"}
TOOLS = [
    doc_tool(
        "get_account_info",
        "Get account information.",
        {},
        [],
        {"account_id": {"type": "integer"}, "balance": NUMBER},
    ),
    doc_tool(
        "fund_account",
        "Fund the account with the specified amount.",
        {"amount": NUMBER},
        ["amount"],
        {"status": {"type": "string"}, "new_balance": NUMBER},
    ),
    doc_tool(
        "withdraw_funds",
        "Withdraw funds from the account balance.",
        {"amount": NUMBER},
        ["amount"],
        {"new_balance": NUMBER},
    ),
    doc_tool(
        "get_watchlist",
        "Get the watchlist.",
        {},
        [],
        {"watchlist": {"type": "array", "items": {"type": "string"}}},
    ),
    doc_tool(
        "add_to_watchlist",
        "Add a stock to the watchlist.",
        {"stock": {"type": "string"}},
        ["stock"],
        {"watchlist": {"type": "array", "items": {"type": "string"}}},
    ),
    doc_tool(
        "remove_stock_from_watchlist",
        "Remove a stock from the watchlist.",
        {"symbol": {"type": "string"}},
        ["symbol"],
        {"status": {"type": "string"}},
    ),
    doc_tool(
        "get_stock_info",
        "Get the details of a stock.",
        {"symbol": {"type": "string", "description": "Symbol that uniquely identifies the stock."}},
        ["symbol"],
        {"price": NUMBER, "volume": NUMBER},
    ),
    doc_tool(
        "place_order",
        "Place an order.",
        {"symbol": {"type": "string"}, "price": NUMBER},
        ["symbol", "price"],
        {"order_id": {"type": "integer"}, "price": NUMBER},
    ),
    doc_tool(
        "get_order_details",
        "Get the details of an order.",
        {"order_id": {"type": "integer"}},
        ["order_id"],
        {
            "price": NUMBER,
            "status": {
                "type": "string",
                "description": 'Status. [Enum]: ["Open", "Pending", "Completed", "Cancelled"]',
            },
        },
    ),
]
DATA = {
    "account_info": {"account_id": 7, "balance": 100.0},
    "watch_list": ["NVDA"],
    "order_counter": 40,
    "orders": {"12": {"symbol": "AAPL", "price": 2.5, "status": "Completed"}},
    "stocks": {"NVDA": {"price": 220.5, "volume": 1.2}, "AAPL": {"price": 227.0, "volume": 2.5}},
}


@pytest.fixture(scope="module")
def trading(tmp_path_factory):
    out = tmp_path_factory.mktemp("trading")
    source = Source(path=Path("trading.json"), format="json", document=copy.deepcopy(DATA))
    return import_world(TOOLS, source, "trading", out, check=False)


def test_top_level_objects_are_columns_and_still_round_trip():
    plan = plan_import(Source(path=Path("d.json"), format="json", document=DATA), "d")
    state = next(t for t in plan.tables if t.name == "state")
    assert {"account_id", "balance", "order_counter"} <= {c.name for c in state.columns}
    tables = {name: rows for name, rows in plan.rows.items()}
    assert canonical_data(export_document(plan.shape, tables)) == canonical_data(DATA)


def test_tools_read_and_change_the_top_level_values(trading):
    world = trading.compiled
    outputs, final = replayed(
        world,
        [
            ("get_account_info", {}),
            ("fund_account", {"amount": 50.0}),
            ("withdraw_funds", {"amount": 30.0}),
            ("add_to_watchlist", {"stock": "AAPL"}),
            ("add_to_watchlist", {"stock": "AAPL"}),
            ("remove_stock_from_watchlist", {"symbol": "NVDA"}),
            ("get_watchlist", {}),
        ],
    )
    assert outputs[0]["output"] == {"account_id": 7, "balance": 100.0}
    assert outputs[1]["output"]["new_balance"] == 150.0
    assert outputs[2]["output"]["new_balance"] == 120.0
    assert outputs[-1]["output"] == {"watchlist": ["AAPL"]}
    assert final["account_info"] == {"account_id": 7, "balance": 120.0}
    assert final["watch_list"] == ["AAPL"]
    assert final["stocks"] == DATA["stocks"]


def test_the_report_names_only_arguments_that_have_no_effect(trading):
    """An argument the tool's effect reads (the stock added to the watchlist, the amount added
    to the balance) is not reported as having no effect, and the effect is real."""
    ignored = [w for w in trading.warnings if "it is accepted and" in w]
    for tool, argument in [
        ("add_to_watchlist", "stock"),
        ("remove_stock_from_watchlist", "symbol"),
        ("fund_account", "amount"),
        ("withdraw_funds", "amount"),
    ]:
        assert not [w for w in ignored if w.startswith(f"tool {tool}: argument {argument} ")]
    _, final = replayed(trading.compiled, [("add_to_watchlist", {"stock": "AAPL"})])
    assert final["watch_list"] == ["NVDA", "AAPL"]


def test_an_argument_nothing_reads_is_reported_as_such(tmp_path):
    tools = [
        *TOOLS,
        doc_tool(
            "set_theme",
            "Set the theme of the account.",
            {"account_id": {"type": "integer"}, "shade": {"type": "string"}},
            ["account_id"],
            {"account_id": {"type": "integer"}, "balance": NUMBER},
        ),
    ]
    source = Source(path=Path("trading.json"), format="json", document=copy.deepcopy(DATA))
    result = import_world(tools, source, "trading", tmp_path, check=False)
    notes = [w for w in result.warnings if w.startswith("tool set_theme: argument shade ")]
    assert notes and "it is accepted and" in notes[0], result.warnings


def test_keyed_records_are_found_by_the_key_the_tools_name(trading):
    world = trading.compiled
    outputs, _ = replayed(world, [("get_stock_info", {"symbol": "AAPL"})])
    assert outputs[0]["output"] == {"price": 227.0, "volume": 2.5}


def test_new_rows_take_their_key_from_the_counter(trading):
    world = trading.compiled
    outputs, final = replayed(
        world,
        [
            ("place_order", {"symbol": "NVDA", "price": 3.0}),
            ("place_order", {"symbol": "AAPL", "price": 4.0}),
            ("get_order_details", {"order_id": 41}),
        ],
    )
    assert [o["output"]["order_id"] for o in outputs[:2]] == [40, 41]
    # a new order starts in the first of the documented values that name a start
    assert outputs[2]["output"] == {"price": 4.0, "status": "Open"}
    assert final["order_counter"] == 42
    assert set(final["orders"]) == {"12", "40", "41"}
    assert final["orders"]["12"] == DATA["orders"]["12"]


TICKET_TOOLS = [
    doc_tool(
        "create_ticket",
        "Create a ticket in the system.",
        {
            "title": {"type": "string"},
            "priority": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}, "default": []},
        },
        ["title", "priority"],
        {"id": {"type": "integer"}, "title": {"type": "string"}},
    ),
    doc_tool(
        "get_ticket",
        "Get a ticket's details.",
        {"ticket_id": {"type": "integer"}},
        ["ticket_id"],
        {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "created_by": {"type": "string"},
            "status": {"type": "string"},
        },
    ),
    doc_tool(
        "close_ticket",
        "Close a ticket.",
        {"ticket_id": {"type": "integer"}},
        ["ticket_id"],
        {"status": {"type": "string"}},
    ),
]
TICKETS = {
    "current_user": "ana",
    "ticket_counter": 3,
    "tickets": {
        "1": {"title": "Printer", "created_by": "bo", "status": "Open"},
        "2": {"title": "Screen", "created_by": "bo", "status": "Open"},
    },
}


def test_new_records_keep_their_arguments_author_and_key(tmp_path):
    source = Source(path=Path("tickets.json"), format="json", document=copy.deepcopy(TICKETS))
    world = import_world(TICKET_TOOLS, source, "tickets", tmp_path, check=False).compiled
    outputs, final = replayed(
        world,
        [
            ("create_ticket", {"title": "Mouse", "priority": 2}),
            ("get_ticket", {"ticket_id": 3}),
            ("close_ticket", {"ticket_id": 1}),
        ],
    )
    # the arguments no data field holds are the new record's own fields, an omitted one takes
    # its documented default; the author is the session's user; the key is stored as ``id``,
    # the name the reads return it by
    created = {"title": "Mouse", "created_by": "ana", "priority": 2, "tags": [], "id": 3}
    assert {k: v for k, v in final["tickets"]["3"].items() if k != "status"} == created
    assert outputs[1]["output"]["created_by"] == "ana"
    # the data's records are written back without the fields only new records hold
    assert final["tickets"]["2"] == TICKETS["tickets"]["2"]
    # a status set by a tool is written in the data's style
    assert final["tickets"]["1"]["status"] == "Closed"
    assert final["ticket_counter"] == 4


def _enum(values: list[str], text: str = "") -> dict:
    return {"type": "string", "description": f"{text} [Enum]: {json.dumps(values)}"}


CAR_TOOLS = [
    doc_tool(
        "lockDoors",
        "Locks the doors of the vehicle.",
        {
            "unlock": {"type": "boolean", "description": "True if the doors are to be unlocked."},
            "door": {
                "type": "array",
                "items": {"type": "string"},
                "description": 'The doors. [Enum]: ["driver", "passenger"]',
            },
        },
        ["unlock", "door"],
        {"lockStatus": _enum(["locked", "unlocked"])},
    ),
    doc_tool(
        "startEngine",
        "Starts the engine of the vehicle.",
        {"ignitionMode": _enum(["START", "STOP"])},
        ["ignitionMode"],
        {"engineState": _enum(["running", "stopped"]), "fuelLevel": NUMBER},
    ),
    doc_tool(
        "set_navigation",
        "Navigate to the destination.",
        {"destination": {"type": "string"}},
        ["destination"],
        {"status": {"type": "string"}},
    ),
    doc_tool(
        "activateParkingBrake",
        "Activates the parking brake of the vehicle.",
        {"mode": _enum(["engage", "release"])},
        ["mode"],
        {"parkingBrakeStatus": _enum(["engaged", "released"]), "_slopeAngle": NUMBER},
    ),
]
CAR = {
    "engineState": "stopped",
    "fuelLevel": 10.0,
    "doorStatus": {"driver": "unlocked", "passenger": "unlocked"},
    "destination": "None",
    "parkingBrakeStatus": "released",
    "slopeAngle": 0.0,
}


def test_state_tools_choose_columns_map_modes_and_set_values(tmp_path):
    source = Source(path=Path("car.json"), format="json", document=copy.deepcopy(CAR))
    world = import_world(CAR_TOOLS, source, "car", tmp_path, check=False).compiled
    _, final = replayed(
        world,
        [
            ("lockDoors", {"unlock": False, "door": ["driver"]}),
            ("startEngine", {"ignitionMode": "START"}),
            ("set_navigation", {"destination": "Berkeley"}),
            ("activateParkingBrake", {"mode": "engage"}),
        ],
    )
    # the list argument names the columns, the switch chooses between the result's two states
    assert final["doorStatus"] == {"driver": "locked", "passenger": "unlocked"}
    # START is the mode whose state is running
    assert final["engineState"] == "running"
    # a setter's argument sets the state column it names
    assert final["destination"] == "Berkeley"
    # a result field written with a leading underscore still names the state's column
    assert final["parkingBrakeStatus"] == "engaged"
    assert final["fuelLevel"] == 10.0 and final["slopeAngle"] == 0.0
    _, final = replayed(
        world,
        [
            ("lockDoors", {"unlock": True, "door": ["driver", "passenger"]}),
            ("startEngine", {"ignitionMode": "STOP"}),
        ],
    )
    assert final["doorStatus"] == {"driver": "unlocked", "passenger": "unlocked"}
    assert final["engineState"] == "stopped"


def _liter_to_gallon():
    return doc_tool(
        "liter_to_gallon",
        "Convert a volume in liters to gallons.",
        {"liter": {"type": "number", "description": "The amount of liter to convert."}},
        ["liter"],
        {"gallon": {"type": "number", "description": "The amount of gallon converted."}},
    )


def test_a_miss_is_computation_hidden_only_where_the_world_has_no_formula(tmp_path):
    from agentscaler.worlds.importing.fidelity import compare

    tools = [
        _liter_to_gallon(),
        doc_tool(
            "contact_customer_support",
            "Contact customer support about a booking.",
            {"message": {"type": "string"}},
            ["message"],
            {"customer_support_message": {"type": "string"}},
        ),
    ]
    source = Source(path=Path("c.json"), format="json", document={"fuel": 1.0})
    world = import_world(tools, source, "conv", tmp_path, check=False).compiled

    class Reference:  # disagrees with both tools
        def call(self, name, arguments):
            return True, {"gallon": 1.0, "customer_support_message": "Thanks"}

        def state(self):
            return {"fuel": 1.0}

    calls = [Call("liter_to_gallon", {"liter": 10.0}, 0), Call("contact_customer_support", {}, 1)]
    result = compare(world, calls, Reference(), data_keys=["fuel"])
    assert [(c.agrees, c.cause) for c in result.calls] == [
        (False, "inference error"),  # the world has a formula: it computes something else
        (False, "computation hidden"),  # nothing in the docs to compute the reply from
    ]


def test_numbers_agree_to_six_digits_and_a_lookup_of_no_data_is_hidden(tmp_path):
    from agentscaler.worlds.importing.fidelity import compare

    tools = [
        _liter_to_gallon(),
        doc_tool(
            "get_zipcode_based_on_city",
            "Gets the zipcode based on the city.",
            {"city": {"type": "string", "description": "The name of the city."}},
            ["city"],
            {"zipcode": {"type": "string", "description": "The zipcode of the city."}},
        ),
        doc_tool(
            "get_stock_info",
            "Get the details of a stock.",
            {"symbol": {"type": "string", "description": "Symbol of the stock."}},
            ["symbol"],
            {"price": NUMBER},
        ),
        doc_tool(
            "compute_exchange_rate",
            "Compute the exchange rate between two currencies",
            {
                "base_currency": {"type": "string", "description": "The base currency."},
                "target_currency": {"type": "string", "description": "The target currency."},
                "value": {"type": "number", "description": "The value to convert"},
            },
            ["base_currency", "target_currency", "value"],
            {"exchanged_value": {"type": "number", "description": "The value after the exchange"}},
        ),
    ]
    document = {"stocks": {"NVDA": {"price": 220.5}}}
    source = Source(path=Path("z.json"), format="json", document=copy.deepcopy(document))
    world = import_world(tools, source, "zip", tmp_path, check=False).compiled

    class Reference:
        gallons = 2.64172  # 10 litres with a factor written to six digits (exact: 2.6417205)

        def call(self, name, arguments):
            return True, {"gallon": self.gallons, "zipcode": "94016", "price": 221.0}

        def state(self):
            return copy.deepcopy(document)

    calls = [
        Call("liter_to_gallon", {"liter": 10.0}, 0),
        Call("get_zipcode_based_on_city", {"city": "San Francisco"}, 1),
        Call("get_stock_info", {"symbol": "NVDA"}, 2),
        Call(
            "compute_exchange_rate",
            {"base_currency": "GBP", "target_currency": "USD", "value": 10.0},
            3,
        ),
    ]
    result = compare(world, calls, Reference(), data_keys=["stocks"])
    assert [(c.agrees, c.cause) for c in result.calls] == [
        (True, None),
        (False, "computation hidden"),  # its table is in no data: nothing to look up
        (False, "inference error"),  # the data's record, read wrong
        (False, "computation hidden"),  # a formula over rates no data holds
    ]
    Reference.gallons = 2.6418  # off in the fifth digit: a different number
    assert not compare(world, calls[:1], Reference(), data_keys=["stocks"]).calls[0].agrees


def test_a_declared_object_or_list_nothing_fills_is_empty_not_null(tmp_path):
    tools = [
        doc_tool(
            "check_tire_pressure",
            "Checks the tire pressure of the vehicle.",
            {},
            [],
            {
                "tirePressure": {
                    "type": "object",
                    "properties": {
                        "frontLeftTirePressure": NUMBER,
                        "rearLeftTirePressure": NUMBER,
                        "car_info": {"type": "object", "description": "The metadata of the car."},
                        "warnings": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
        )
    ]
    document = {"fuelLevel": 9.5, "frontLeftTirePressure": 32.0, "rearLeftTirePressure": 30.0}
    source = Source(path=Path("car.json"), format="json", document=copy.deepcopy(document))
    world = import_world(tools, source, "car", tmp_path, check=False).compiled
    outputs, _ = replayed(world, [("check_tire_pressure", {})])
    assert outputs[0]["output"] == {
        "tirePressure": {
            "frontLeftTirePressure": 32.0,
            "rearLeftTirePressure": 30.0,
            "car_info": {},
            "warnings": [],
        }
    }


def test_a_field_named_by_the_record_noun_and_a_column_reads_that_column(tmp_path):
    tools = [
        doc_tool(
            "get_credit_card_balance",
            "Get the balance of a credit card",
            {"card_id": {"type": "string", "description": "The ID of the credit card"}},
            ["card_id"],
            {"card_balance": {"type": "number", "description": "The balance of the credit card"}},
        )
    ]
    document = {
        "credit_card_list": {
            "card_4455": {"card_number": "2378 8753 9012 4455", "balance": 1500.75},
            "card_7812": {"card_number": "4012 8888 1881 7812", "balance": 20.5},
        }
    }
    source = Source(path=Path("cards.json"), format="json", document=copy.deepcopy(document))
    world = import_world(tools, source, "cards", tmp_path, check=False).compiled
    outputs, _ = replayed(world, [("get_credit_card_balance", {"card_id": "card_7812"})])
    assert outputs[0]["output"] == {"card_balance": 20.5}
