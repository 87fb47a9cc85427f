"""The canonical state hash: order independent, type sensitive, stable across processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.worlds.conftest import items_world

from agentscaler.records.world import Column, World
from agentscaler.worlds.runtime.dbapi import Schema
from agentscaler.worlds.runtime.state import connect_bytes, diff_connections, state_hash
from agentscaler.worlds.seeding.seed import empty_database


def _world(value_type: str = "JSON") -> World:
    return items_world(
        Column(name="value", type=value_type), Column(name="price", type="REAL"), name="test"
    )


def _hash(rows, value_type: str = "JSON") -> str:
    world = _world(value_type)
    schema = Schema(world)
    conn = empty_database(world)
    meta = schema.tables["items"]
    for row in rows:
        conn.execute(meta.insert_sql, tuple(meta.encode(c, row.get(c)) for c in meta.columns))
    return state_hash(conn, schema)


ROWS = [
    {"item_id": f"IT-{i:03d}", "value": {"n": i, "tags": ["a", "b"]}, "price": i * 1.5}
    for i in range(50)
]


def test_hash_does_not_depend_on_row_order():
    assert _hash(ROWS) == _hash(list(reversed(ROWS)))
    assert _hash(ROWS) == _hash(sorted(ROWS, key=lambda r: -r["price"]))


def test_hash_is_sensitive_to_values_and_types():
    hashes = {
        _hash([{"item_id": "IT-001", "value": value}])
        for value in (1, 1.0, "1", True, None, [1], {"a": 1})
    }
    assert len(hashes) == 7
    # the same stored 1 differs when the column is BOOLEAN rather than INTEGER
    assert _hash([{"item_id": "IT-001", "value": True}], "BOOLEAN") != _hash(
        [{"item_id": "IT-001", "value": 1}], "INTEGER"
    )
    changed = [dict(r) for r in ROWS]
    changed[7]["price"] += 0.01
    assert _hash(changed) != _hash(ROWS)


def test_hash_ignores_float_noise_below_15_digits():
    assert _hash([{"item_id": "IT-001", "price": 0.1 + 0.2}]) == _hash(
        [{"item_id": "IT-001", "price": 0.3}]
    )


def test_hash_is_the_stored_one():
    """The hash of a fixed state does not change with how it is computed (the hashes of recorded
    runs' states stay valid)."""
    assert _hash(ROWS) == "b3ae1f67184eb945f61614b832b703f4d1578d03c49112d761a6cbc4edc56bbd"
    assert (
        _hash([{"item_id": "IT-001", "value": True}], "BOOLEAN")
        == "ded11b03fb5e626bffcb46ec925b0cc7f8241a5c556ed5632fc4fb52dd606fed"
    )


def test_a_seeded_states_digests_are_those_of_its_bytes():
    """The table digests a seeded state comes with (read while it was written) are the digests
    of its bytes read afresh."""
    from agentscaler.catalog import builtin_tools
    from agentscaler.worlds.compiler import compile_world
    from agentscaler.worlds.runtime.state import combine, connect_bytes, table_digest

    tools = [t for t in builtin_tools() if t.tag_value("vertical") == "retail_orders"]
    world = compile_world("d-digests", "retail_orders", tools)
    data, digests = world.seeded(3, 7)
    conn = connect_bytes(data)
    try:
        fresh = {name: table_digest(conn, meta) for name, meta in world.schema.tables.items()}
        assert digests == fresh
        assert combine(digests) == state_hash(conn, world.schema)
        assert any(
            conn.execute(f"SELECT count(*) FROM {m.qname}").fetchone()[0] == 7
            for m in world.schema.tables.values()
        )
    finally:
        conn.close()


def test_hash_is_stable_across_processes():
    tests_dir = Path(__file__).resolve().parents[1]
    code = (
        f"import sys; sys.path.insert(0, {str(tests_dir)!r})\n"
        "from worlds.test_state import ROWS, _hash\n"
        "print(_hash(ROWS))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
        ).stdout.strip()
        for seed in (1, 2)
    }
    assert outputs == {_hash(ROWS)}


def test_diff_lists_inserts_updates_and_deletes():
    world = _world()
    schema = Schema(world)
    meta = schema.tables["items"]
    old, new = empty_database(world), empty_database(world)
    for conn, rows in ((old, ROWS[:3]), (new, [ROWS[0], {**ROWS[1], "price": 99.0}, ROWS[4]])):
        for row in rows:
            conn.execute(meta.insert_sql, tuple(meta.encode(c, row.get(c)) for c in meta.columns))
    changes = diff_connections(old, new, schema)
    assert [(c.op, c.key, c.column) for c in changes] == [
        ("update", "IT-001", "price"),
        ("delete", "IT-002", None),
        ("insert", "IT-004", None),
    ]
    assert (changes[0].old, changes[0].new) == (1.5, 99.0)
    assert changes[2].new["value"] == {"n": 4, "tags": ["a", "b"]}
    assert diff_connections(old, old, schema) == []


def test_a_compiled_world_seeds_from_the_image_of_its_schema(shop, monkeypatch):
    from agentscaler.worlds.seeding import seed

    image = shop.empty_image()
    conn = connect_bytes(image)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {t.name for t in shop.world.tables}
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > len(tables)
    assert conn.execute(f'SELECT count(*) FROM "{shop.world.tables[0].name}"').fetchone()[0] == 0
    monkeypatch.setattr(seed, "_EMPTY", {})  # the states made from the schema text, loaded anew
    made = seed.seeded_state(shop.world, 11, 4, schema=shop.schema, spec=shop.spec)
    assert (
        seed.seeded_state(shop.world, 11, 4, schema=shop.schema, spec=shop.spec, image=image)
        == made
    )
    assert shop.seeded(11, 4) == made
