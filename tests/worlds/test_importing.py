"""Worlds imported from a user's data: every data set stored and written back in its own shape,
tools bound to the data's tables, recorded calls replayed, bad input named."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from tests.conftest import external_path

from agentscaler.errors import DataImportError
from agentscaler.worlds.importing.build import import_world, load_tools, round_trip
from agentscaler.worlds.importing.read import Source, read_source
from agentscaler.worlds.importing.replay import Call, export_state, replay, state_document
from agentscaler.worlds.importing.schema import plan_import
from agentscaler.worlds.importing.shape import canonical_data

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_order",
            "description": "Get an order by its id.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "cancel_order",
            "description": "Cancel an order. Only pending orders can be cancelled.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    },
]
DOCUMENT = {
    "orders": {
        "O1": {
            "order_id": "O1",
            "customer_id": "C1",
            "status": "pending",
            "total": 12.5,
            "items": [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}],
        },
        "O2": {
            "order_id": "O2",
            "customer_id": "C2",
            "status": "delivered",
            "total": 3,
            "items": [],
            "note": None,
        },
        "O3": {
            "order_id": "O3",
            "customer_id": "C1",
            "status": "pending",
            "total": 7.25,
            "items": [{"sku": "A", "quantity": 1}],
        },
    },
    "customers": [
        {
            "customer_id": "C1",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "address": {"city": "London"},
        },
        {
            "customer_id": "C2",
            "name": "Alan Turing",
            "email": "alan@example.com",
            "address": {"city": "Wilmslow"},
        },
    ],
    "currency": "EUR",
    "open": True,
}


def _source(document, name="data.json") -> Source:
    return Source(path=Path(name), format="json", document=document)


@pytest.fixture(scope="module")
def tools_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tools") / "tools.json"
    path.write_text(json.dumps(TOOLS))
    return path


@pytest.fixture(scope="module")
def shop(tmp_path_factory, tools_file):
    out = tmp_path_factory.mktemp("shop")
    data = out / "shop.json"
    data.write_text(json.dumps(DOCUMENT))
    return import_world(load_tools([tools_file]), data, "shop", out)


# --- round trips -------------------------------------------------------------------------------


def _bfcl_configs() -> list[tuple[str, dict]]:
    path = external_path("bfcl/BFCL_v4_multi_turn_base.json")
    found = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        for cls, config in entry["initial_config"].items():
            found.append((f"{entry['id']}:{cls}", config))
    return found


def _acebench_states() -> list[tuple[str, dict]]:
    found = []
    for name in ("data_agent_multi_turn.json", "data_agent_multi_step.json"):
        for line in external_path(f"acebench/data_en/{name}").read_text().splitlines():
            entry = json.loads(line)
            for cls, config in entry["initial_config"].items():
                found.append((f"{entry['id']}:{cls}", config))
        answers = external_path(f"acebench/data_en/possible_answer/{name}")
        for line in answers.read_text().splitlines():
            entry = json.loads(line)
            for state in entry["ground_truth"]:
                for cls, config in state.items():
                    found.append((f"{entry['id']}:gold:{cls}", config))
    return found


def test_every_bfcl_initial_config_round_trips_through_a_world_database():
    configs = _bfcl_configs()
    assert len(configs) == 310
    broken = [name for name, config in configs if len(set(round_trip(_source(config)))) != 1]
    assert broken == []


def test_every_acebench_state_round_trips_through_a_world_database():
    states = _acebench_states()
    assert len(states) > 50
    broken = [name for name, config in states if len(set(round_trip(_source(config)))) != 1]
    assert broken == []


def test_round_trip_notices_a_lost_value():
    before, after = round_trip(_source(DOCUMENT))
    assert before == after
    changed = json.loads(after)
    changed["orders"]["O1"]["items"][1]["quantity"] = 5
    assert canonical_data(changed) != before


def test_shape_keeps_nesting_keys_absent_fields_and_order():
    plan = plan_import(_source(DOCUMENT), "shop")
    tables = {t.name: t for t in plan.tables}
    assert set(tables) == {"orders", "order_items", "customers", "state"}
    assert tables["orders"].primary_key == "order_id"
    items = tables["order_items"]
    assert items.parent == "orders" and items.parent_column == "order_id"
    assert [r["order_id"] for r in plan.rows["order_items"]] == ["O1", "O1", "O3"]
    assert tables["customers"].column("address").type == "JSON"
    assert tables["orders"].column("customer_id").references == "customers"
    assert tables["customers"].column("email").semantic == "email"
    assert tables["state"].column("currency").semantic == "currency"
    assert tables["orders"].column("total").type == "REAL"


def test_sqlite_data_round_trips_in_its_own_tables(tmp_path, tools_file):
    db = tmp_path / "shop.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(
        """
        CREATE TABLE customers (customer_id TEXT PRIMARY KEY, name TEXT, credit REAL);
        CREATE TABLE orders (order_id TEXT PRIMARY KEY, customer_id TEXT REFERENCES customers(customer_id),
                             status TEXT, total REAL, quantity INTEGER);
        INSERT INTO customers VALUES ('C1', 'Ada', 10.5), ('C2', 'Alan', NULL);
        INSERT INTO orders VALUES ('O1', 'C1', 'pending', 12.5, 2), ('O2', 'C2', 'delivered', 3.0, 1),
                                  ('O3', 'C1', 'pending', 1.0, 4);
        """
    )
    conn.commit()
    conn.close()
    result = import_world(load_tools([tools_file]), db, "shopdb", tmp_path / "run", check=False)
    assert result.compiled.world.table("orders").column("customer_id").references == "customers"
    out = export_state(result.compiled, tmp_path / "out.sqlite")
    assert canonical_data(read_source(out).document) == canonical_data(read_source(db).document)
    # a write shows in the exported state
    *outputs, last = replay(result.compiled, [Call("cancel_order", {"order_id": "O1"}, 1)])
    assert outputs[0]["ok"], outputs
    export_state(result.compiled, tmp_path / "after.sqlite", state=last["final_state"])
    orders = {r["order_id"]: r for r in read_source(tmp_path / "after.sqlite").document["orders"]}
    assert orders["O1"]["status"] != "pending" and orders["O3"]["status"] == "pending"


def test_folder_of_csv_and_jsonl_round_trips_file_by_file(tmp_path, tools_file):
    folder = tmp_path / "data"
    folder.mkdir()
    with (folder / "orders.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["order_id", "status", "total", "zip"])
        writer.writerows([["O1", "pending", "12.5", "007"], ["O2", "delivered", "3", ""]])
    (folder / "events.jsonl").write_text(
        '{"event_id": 1, "order_id": "O1", "kind": "created", "at": "2025-01-02T10:00:00Z"}\n'
        '{"event_id": 2, "order_id": "O2", "kind": "shipped", "at": "2025-01-03T10:00:00Z"}\n'
    )
    result = import_world(
        load_tools([tools_file]), folder, "shopfiles", tmp_path / "run", check=False
    )
    out = export_state(result.compiled, tmp_path / "back")
    assert (out / "orders.csv").read_text() == (folder / "orders.csv").read_text()
    assert (out / "events.jsonl").read_text() == (folder / "events.jsonl").read_text()
    zip_column = result.compiled.world.table("orders").column("zip")
    assert zip_column.type == "TEXT"  # "007" is not the number 7


# --- an imported world is a normal world ---------------------------------------------------------


def test_imported_world_binds_tools_to_the_data_and_starts_from_it(shop):
    world = shop.compiled
    assert canonical_data(state_document(world)) == canonical_data(DOCUMENT)
    assert world.binding("cancel_order").table == "orders"
    env = world.make_env(world.initial_state())
    got = env.step({"name": "get_order", "arguments": {"order_id": "O3"}})
    assert got.ok and got.observation["total"] == 7.25
    assert (shop.world_dir / "conformance.json").exists()
    domains = (shop.world_dir.parent.parent / "domains.jsonl").read_text()
    assert "imported-shop" in domains


def test_replay_writes_the_final_state_in_the_data_shape(shop):
    calls = [
        Call("cancel_order", {"order_id": "O1"}, 1),
        Call("cancel_order", {"order_id": "O1"}, 2),
        Call("get_order", {"order_id": "O9"}, 3),
    ]
    *records, last = replay(shop.compiled, calls)
    assert [r["ok"] for r in records] == [True, False, False]
    assert records[2]["error"]["type"] == "not_found"
    final = state_document(shop.compiled, last["final_state"])
    assert final["orders"]["O1"]["status"] != "pending"
    assert final["orders"]["O1"]["items"] == DOCUMENT["orders"]["O1"]["items"]
    assert final["orders"]["O3"] == DOCUMENT["orders"]["O3"]
    assert "note" not in final["orders"]["O1"] and final["orders"]["O2"]["note"] is None


def test_cli_import_export_and_replay(cli, tmp_path, tools_file):
    data = tmp_path / "shop.json"
    data.write_text(json.dumps(DOCUMENT))
    run = tmp_path / "run"
    result = cli(
        "worlds",
        "import",
        "--tools",
        str(tools_file),
        "--data",
        str(data),
        "--name",
        "shop",
        "--out",
        str(run),
        "--no-check",
    )
    assert result.exit_code == 0, result.output
    result = cli(
        "worlds", "export-state", str(run), "imported-shop", "--out", str(tmp_path / "s.json")
    )
    assert result.exit_code == 0, result.output
    exported = json.loads((tmp_path / "s.json").read_text())
    assert canonical_data(exported) == canonical_data(DOCUMENT)
    calls = tmp_path / "calls.jsonl"
    calls.write_text('{"name": "cancel_order", "arguments": {"order_id": "O3"}}\n')
    result = cli(
        "worlds",
        "replay",
        str(run),
        "imported-shop",
        "--calls",
        str(calls),
        "--export-state",
        str(tmp_path / "final.json"),
    )
    assert result.exit_code == 0, result.output
    line = json.loads(result.output.strip().splitlines()[0])
    assert line["ok"] is True and line["name"] == "cancel_order"
    final = json.loads((tmp_path / "final.json").read_text())
    assert final["orders"]["O3"]["status"] != "pending"


# --- bad input ----------------------------------------------------------------------------------


def test_data_that_is_not_records_is_refused_with_the_fix():
    with pytest.raises(DataImportError, match=r"top level is a int.*object of collections"):
        plan_import(_source(3), "x")
    with pytest.raises(DataImportError, match=r"list of int, str"):
        plan_import(_source([1, "a"]), "x")


def test_duplicate_keys_name_the_collection_and_key():
    doc = {"users": [{"user_id": "U1", "n": 1}, {"user_id": "U1", "n": 2}]}
    plan = plan_import(_source(doc), "x")  # a repeated id is not a key: rows keep a position key
    assert plan.tables[0].primary_key != "user_id"
    assert len(set(round_trip(_source(doc)))) == 1
    sql_like = Source(path=Path("d"), format="sqlite", document=doc)
    from agentscaler.worlds.importing.read import Declared

    sql_like.declared["users"] = Declared(key="user_id", header=("user_id", "n"))
    with pytest.raises(DataImportError, match=r"\$\.users: duplicate keys in user_id \(\"U1\"\)"):
        plan_import(sql_like, "x")


def test_conflicting_types_are_widened_with_a_warning_naming_field_and_samples():
    doc = {"items": [{"id": 1, "size": 3}, {"id": 2, "size": "large"}]}
    plan = plan_import(_source(doc), "x")
    assert plan.tables[0].column("size").type == "JSON"
    assert any("$.items[*].size" in w and "3" in w and '"large"' in w for w in plan.warnings)
    assert len(set(round_trip(_source(doc)))) == 1


def test_dangling_references_and_set_aside_entries_are_reported(tmp_path, tools_file):
    doc = {
        "customers": [{"customer_id": "C1"}, {"customer_id": "C2"}],
        "orders": {
            "O1": {"order_id": "O1", "customer_id": "C9", "status": "pending"},
            "order_type": "Buy",
        },
    }
    data = tmp_path / "d.json"
    data.write_text(json.dumps(doc))
    result = import_world(load_tools([tools_file]), data, "dangling", tmp_path / "run", check=False)
    assert any("customer_id" in w and '"C9"' in w for w in result.warnings)
    assert any("$.orders.order_type" in w for w in result.warnings)
    aside = [json.loads(x) for x in (result.world_dir / "set_aside.jsonl").read_text().splitlines()]
    assert aside[0]["path"] == "$.orders.order_type" and aside[0]["value"] == "Buy"
    assert canonical_data(state_document(result.compiled)) == canonical_data(doc)


def test_cyclic_nesting_stays_a_json_column_with_a_warning():
    node = {"name": "leaf"}
    for depth in range(3):
        node = {"name": f"n{depth}", "children": [node, {"name": "x"}]}
    doc = {"trees": [node]}
    plan = plan_import(_source(doc), "x")
    assert any("cyclic nesting" in w for w in plan.warnings)
    assert len(set(round_trip(_source(doc)))) == 1


def test_unreadable_files_name_the_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": [1,\n}')
    with pytest.raises(DataImportError, match=r"bad.json: line 2"):
        read_source(bad)
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "t.jsonl").write_text('{"a": 1}\n[1]\n')
    with pytest.raises(DataImportError, match=r"t.jsonl: line 2: a list, not a record"):
        read_source(folder)


# --- fidelity against an executable reference ------------------------------------------------


class _Shop:
    """A reference implementation of the shop's two tools over the same document."""

    def __init__(self, refuse_cancel: bool = False) -> None:
        self.doc = json.loads(json.dumps(DOCUMENT))
        self.refuse_cancel = refuse_cancel

    def call(self, name, arguments):
        order = self.doc["orders"].get(arguments.get("order_id"))
        if order is None:
            return False, {"error": "no such order"}
        if name == "get_order":
            return True, dict(order)
        if self.refuse_cancel or order["status"] != "pending":
            return False, {"error": "refused"}
        order["status"] = "cancelled"
        return True, dict(order)

    def state(self):
        return json.loads(json.dumps(self.doc))


def test_fidelity_counts_agreement_and_names_the_cause_of_a_miss(shop):
    from agentscaler.worlds.importing.fidelity import compare

    calls = [Call("get_order", {"order_id": "O1"}, 1), Call("cancel_order", {"order_id": "O1"}, 2)]
    keys = list(DOCUMENT)
    agreeing = compare(shop.compiled, calls, _Shop(), data_keys=keys)
    assert [c.agrees for c in agreeing.calls] == [True, True]
    assert agreeing.final_equal and agreeing.fields_found == agreeing.fields_total
    refusing = compare(shop.compiled, calls, _Shop(refuse_cancel=True), data_keys=keys)
    assert [c.agrees for c in refusing.calls] == [True, False]
    assert refusing.calls[1].cause == "rule not stated"
    assert not refusing.final_equal and refusing.final_diff == ["orders"]
    assert agreeing.fields_missing == []


def test_fidelity_lists_the_reference_fields_the_world_lacks(shop):
    from agentscaler.worlds.importing.fidelity import compare

    class Audited(_Shop):
        def state(self):
            return {**super().state(), "audit": {"by": "clerk"}}

    result = compare(shop.compiled, [], Audited(), data_keys=list(DOCUMENT))
    assert result.fields_missing == ["audit", "audit.by"]
    assert result.fields_found == result.fields_total - 2
