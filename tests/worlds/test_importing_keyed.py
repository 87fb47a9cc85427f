"""Keyed collections an import reads: a list of records each wrapped under its key
(``[{"ticket_001": {...}}]``) is a keyed collection, numbered text keys the tools take as
integers are integers written back in the data's form; and a state's export is the document
``json.dumps(indent=2)`` writes, byte for byte."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.worlds.conftest import doc_tool, replayed

from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.importing.bind import numbered_keys
from agentscaler.worlds.importing.build import import_world
from agentscaler.worlds.importing.read import Source
from agentscaler.worlds.importing.replay import export_state, state_document, state_tables
from agentscaler.worlds.importing.shape import indented_json, read_shape

TICKET = {"type": "integer", "description": "ID of the ticket."}
TICKET_FIELDS = {
    "id": {"type": "integer"},
    "title": {"type": "string"},
    "description": {"type": "string"},
    "status": {"type": "string"},
    "priority": {"type": "integer"},
}
TOOLS = [
    doc_tool(
        "create_ticket",
        "Create a ticket in the system and queue it.",
        {
            "title": {"type": "string", "description": "Title of the ticket."},
            "description": {"type": "string", "description": "Description of the ticket."},
            "priority": {"type": "integer", "description": "Priority of the ticket, 1 to 5."},
        },
        ["title"],
        TICKET_FIELDS,
    ),
    doc_tool(
        "get_ticket",
        "Get a specific ticket by its ID.",
        {"ticket_id": TICKET},
        ["ticket_id"],
        TICKET_FIELDS,
    ),
    doc_tool(
        "edit_ticket",
        "Modify the details of an existing ticket.",
        {
            "ticket_id": TICKET,
            "updates": {
                "type": "object",
                "description": "Dictionary containing the fields to be updated.",
                "properties": {
                    "title": {"type": "string", "description": "[Optional] New title."},
                    "description": {"type": "string", "description": "[Optional] New text."},
                    "priority": {"type": "integer", "description": "[Optional] New priority."},
                },
            },
        },
        ["ticket_id", "updates"],
        {"status": {"type": "string", "description": "Status of the update operation."}},
    ),
]
WRAPPED = {
    "current_user": "john",
    "ticket_queue": [
        {"ticket_001": {"title": "Billing", "description": "Charged twice.", "priority": 2}},
        {"ticket_002": {"title": "Login", "description": "Cannot sign in.", "priority": 4}},
    ],
}


def _world(tools, data, tmp_path, name="w"):
    source = Source(path=Path(f"{name}.json"), format="json", document=copy.deepcopy(data))
    return import_world(tools, source, name, tmp_path, check=False)


def test_a_list_of_records_wrapped_under_their_keys_is_a_keyed_collection(tmp_path):
    result = _world(TOOLS, WRAPPED, tmp_path)
    world = result.compiled
    assert state_document(world) == WRAPPED  # the round trip stays exact
    shape = read_shape(result.world_dir)
    queue = next(c for c in shape.collections if c.name == "ticket_queue")
    assert (queue.style, queue.key, queue.key_prefix, queue.key_width) == (
        "wrapped",
        "ticket_id",
        "ticket_",
        3,
    )
    rows = state_tables(world, world.initial_state())["ticket_queue"]
    assert [(r["ticket_id"], r["title"]) for r in rows] == [(1, "Billing"), (2, "Login")]
    assert any("written back as ticket_001 for 1" in w for w in result.warnings), result.warnings

    outputs, final = replayed(
        world,
        [
            ("edit_ticket", {"ticket_id": 2, "updates": {"title": "Sign-in"}}),
            ("create_ticket", {"title": "Refund", "description": "Late flight.", "priority": 3}),
            ("get_ticket", {"ticket_id": 1}),
        ],
    )
    assert all(o["ok"] for o in outputs), outputs
    assert outputs[1]["output"]["id"] == 3
    assert outputs[2]["output"]["title"] == "Billing"
    assert final["ticket_queue"] == [
        WRAPPED["ticket_queue"][0],
        {"ticket_002": {**WRAPPED["ticket_queue"][1]["ticket_002"], "title": "Sign-in"}},
        {"ticket_003": {"title": "Refund", "description": "Late flight.", "priority": 3}},
    ]


def test_worlds_check_passes_on_wrapped_records(tmp_path):
    """The edits the check samples name the records' fields, so they change the state."""
    report = check_world(_world(TOOLS, WRAPPED, tmp_path).compiled, seed=0)
    assert not report.failures, [(f.check, f.tool, f.detail) for f in report.failures]
    assert ("write", "edit_ticket") in {(c.check, c.tool) for c in report.checks if c.ok}


def test_a_one_key_object_naming_a_field_stays_a_record(tmp_path):
    """A list of one-key objects is a keyed collection only when the keys are ids (distinct,
    each holding a digit): ``[{"address": {...}}]`` is a list of records with one field."""
    data = {"customers": [{"address": {"city": "Paris", "zip": "75001"}}]}
    result = _world(TOOLS, data, tmp_path)
    shape = read_shape(result.world_dir)
    assert shape.collections[0].style == "list"
    assert state_document(result.compiled) == data


def test_numbered_text_keys_read_as_integers_write_back_as_given(tmp_path):
    """Keys of an object the tools take as integers; a record lacking a field another record
    holds as null still lacks it once its key is an integer."""
    tools = [
        doc_tool(
            "get_stock",
            "Get a stock by its ID.",
            {"stock_id": {"type": "integer", "description": "ID of the stock."}},
            ["stock_id"],
            {"price": {"type": "number"}, "note": {"type": "string"}},
        )
    ]
    data = {"stocks": {"007": {"price": 1.5, "note": None}, "012": {"price": 2.25}}}
    result = _world(tools, data, tmp_path)
    rows = state_tables(result.compiled, result.compiled.initial_state())["stocks"]
    assert sorted(r["stock_id"] for r in rows) == [7, 12]
    assert state_document(result.compiled) == data


@pytest.mark.parametrize(
    ("keys", "form"),
    [
        (["ticket_001", "ticket_002", "ticket_1000"], ("ticket_", 3)),
        (["12", "7", "-3"], ("", 0)),
        (["007", "012"], ("", 3)),
        (["ticket001"], ("ticket", 3)),
        (["ORD-001", "ORD-012"], ("ORD-", 3)),  # the hyphen is the prefix's, not a sign
        (["a1", "b2"], None),  # two prefixes
        (["a1", "a01"], None),  # 1 written two ways
        (["a01", "a001"], None),  # two widths
        (["alpha"], None),
        ([1, 2], None),  # not text
    ],
)
def test_numbered_keys(keys, form):
    assert numbered_keys(keys) == form


TEXT = st.text(st.characters(exclude_categories=("Cs",)))  # UTF-8 holds no lone surrogate
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_indented_json_is_what_json_dumps_writes(document):
    expected = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    assert indented_json(document) == expected


def test_indented_json_of_numbers_json_does_not_know():
    document = {"values": [float("nan"), float("inf"), -0.0, 1e16, 5e-324], "x": "é\u2028"}
    assert indented_json(document) == json.dumps(document, ensure_ascii=False, indent=2).encode()


def test_an_exported_state_is_the_indented_document(tmp_path):
    data = {
        "orders": [
            {"id": 1, "total": 0.1 + 0.2, "note": "café", "lines": [{"sku": "A", "n": 2}]},
            {"id": 2, "total": 1e16, "note": None, "lines": []},
        ],
        "currency": "EUR",
    }
    result = _world(TOOLS, data, tmp_path, "orders")
    out = export_state(result.compiled, tmp_path / "out.json")
    document = state_document(result.compiled)
    assert document == data
    assert out.read_text(encoding="utf-8") == json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def test_an_export_builds_its_document_with_the_collector_paused(tmp_path, monkeypatch):
    """The rows and records of an export are acyclic: the cyclic collector is paused while they
    are built (a large export spent a third of its time in it) and enabled again afterwards."""
    import gc

    from agentscaler.worlds.importing import replay

    world = _world(TOOLS, WRAPPED, tmp_path).compiled
    seen = []
    build = replay.export_document
    monkeypatch.setattr(
        replay, "export_document", lambda *a: seen.append(gc.isenabled()) or build(*a)
    )
    assert gc.isenabled()
    export_state(world, tmp_path / "out.json")
    assert seen == [False] and gc.isenabled()
    assert json.loads((tmp_path / "out.json").read_text()) == WRAPPED


def test_rows_are_written_in_the_datas_order_then_new_ones_in_key_order():
    """Rows that come in the data's order are written so; rows that do not (one removed, one
    added back, a state whose rows come in another order) are placed by the data's order too,
    the keys the data does not list after them in key order."""
    from agentscaler.worlds.importing.shape import (
        CollectionShape,
        DataShape,
        FieldShape,
        export_document,
    )

    shape = DataShape(
        format="json",
        source="d.json",
        collections=(
            CollectionShape(
                name="orders",
                table="orders",
                style="list",
                key="id",
                fields=(FieldShape(field="id", column="id"),),
                order=("o3", "o1", "o2"),
            ),
        ),
    )

    def written(*keys: str) -> list[str]:
        document = export_document(shape, {"orders": [{"id": k} for k in keys]})
        return [r["id"] for r in document["orders"]]

    assert written("o3", "o1", "o2", "o9", "o4") == ["o3", "o1", "o2", "o4", "o9"]
    assert written("o1", "o2", "o3") == ["o3", "o1", "o2"]
    assert written("o3", "o2", "o4") == ["o3", "o2", "o4"]  # o1 removed
    assert written("o5", "o3", "o1", "o2") == ["o3", "o1", "o2", "o5"]
