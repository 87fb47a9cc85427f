"""Seeding's fast paths give what the plain ones give: rows inserted from their value tuples, a
free-text column's sentences chosen from templates picked once, and a seeded state's content
pinned (a change of seeding shows here before it changes recorded states)."""

from __future__ import annotations

import random

from tests.worlds.conftest import items_world

from agentscaler.records.world import Column, World
from agentscaler.worlds.runtime.dbapi import Schema
from agentscaler.worlds.seeding import texts
from agentscaler.worlds.seeding.seed import empty_database, insert_rows


def _world() -> World:
    return items_world(
        Column(name="count", type="INTEGER"),
        Column(name="active", type="BOOLEAN"),
        Column(name="details", type="JSON"),
        Column(name="price", type="REAL"),
        Column(name="label", type="TEXT"),
        name="fast",
    )


def _stored(rows: list[dict]) -> list[tuple]:
    world = _world()
    schema = Schema(world)
    conn = empty_database(world)
    try:
        insert_rows(conn, schema.tables["items"], rows)
        return conn.execute("SELECT * FROM items ORDER BY item_id").fetchall()
    finally:
        conn.close()


def test_rows_in_their_stored_form_are_inserted_as_they_are():
    rows = [
        {"item_id": "IT-001", "count": 3, "active": None, "details": None, "price": 2.5,
         "label": "a"},
        {"item_id": "IT-002", "count": None, "active": None, "details": None, "price": None,
         "label": None},
    ]  # fmt: skip
    assert _stored(rows) == [
        ("IT-001", 3, None, None, 2.5, "a"),
        ("IT-002", None, None, None, None, None),
    ]


def test_values_not_in_their_stored_form_are_encoded_and_missing_ones_stored_null():
    rows = [
        {"item_id": "IT-001", "count": 3, "active": True, "details": {"b": 1, "a": [1, 2]},
         "price": 4, "label": "a"},
        {"item_id": "IT-002", "count": 5, "active": False, "details": None, "price": 1.25},
    ]  # fmt: skip
    assert _stored(rows) == [
        ("IT-001", 3, 1, '{"a":[1,2],"b":1}', 4.0, "a"),
        ("IT-002", 5, 0, None, 1.25, None),  # no label in the row: null
    ]


def _sentence(name: str, row: dict, entity: str, rng: random.Random) -> str:
    """A free text as it is written one row at a time, its templates filtered for each row."""
    kind = texts.text_kind(name) or "note"
    thing = entity.replace("_", " ").strip() or "request"
    if kind == "reason":
        words = name.split("_")
        group = next((g for g in ("cancel", "return") if any(w.startswith(g) for w in words)), "")
        templates = texts._REASONS[group]
    else:
        templates = texts._TEMPLATES[kind]
    names = texts._names(row, name, None)
    if len(names) < 2:
        templates = tuple(t for t in templates if "{other}" not in t) or templates
    if not names:
        templates = tuple(t for t in templates if "ubject}" not in t) or templates
    template = rng.choice(templates)
    subject = names[0] if names else f"the {thing}"
    other = names[1] if len(names) > 1 else f"the {thing}"
    return template.format(
        thing=thing, subject=subject, Subject=subject[:1].upper() + subject[1:], other=other
    )


def test_a_free_text_maker_writes_what_a_row_by_row_choice_writes():
    """The maker chooses its templates once, by how many names a row holds (none: the entity
    stands for the subject; one: no template naming another; two or more: all), and writes
    the same sentence from the same stream as choosing them for each row."""
    rows = [
        {},
        {"medication_a_name": "Ibuprofen"},
        {"medication_a_name": "Ibuprofen", "medication_b_name": "Warfarin"},
    ]
    for name in ("advice", "notes", "description", "cancellation_reason", "comments", "message"):
        make = texts.text_maker(name, "drug_interaction")
        for row in rows:
            for seed in range(25):
                expected = _sentence(name, row, "drug_interaction", random.Random(seed))
                assert make(row, random.Random(seed)) == expected
    both = {
        texts.text_maker("advice", "drug_interaction")(rows[2], random.Random(s)) for s in range(30)
    }
    assert any("Ibuprofen" in t and "Warfarin" in t for t in both)


def test_a_seeded_states_content_is_pinned():
    """The canonical hash of a built-in world's seeded state (content, not bytes): seeding made
    faster makes the same rows. A deliberate change of what is seeded updates this pin."""
    from agentscaler.catalog import builtin_tools
    from agentscaler.worlds.compiler import compile_world
    from agentscaler.worlds.runtime.state import combine

    tools = [t for t in builtin_tools() if t.tag_value("vertical") == "retail_orders"]
    world = compile_world("d-pinned", "retail_orders", tools)
    _, digests = world.seeded(7, 20)
    assert combine(digests) == "44d04a2637bbd5403b0a316cb3af88e31c399a009484961f9f9487d5fa0ecc36"
