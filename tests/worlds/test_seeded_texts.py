"""Seeded free texts read like what their column holds: sentences naming the row's things, not
lorem ipsum or Faker word salad; and tools' stricter schemas win when seeding a column."""

from __future__ import annotations

import random

import pytest

from agentscaler.catalog import builtin_tools, vertical_tools
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.infer.schema_merge import merge_value_schemas
from agentscaler.worlds.seeding import texts
from agentscaler.worlds.seeding.seed import seed_rows
from agentscaler.worlds.seeding.values import ValueFactory, faker_pool


def _free_text_columns(table):
    return [
        c.name
        for c in table.columns
        if c.type == "TEXT"
        and not c.enum
        and texts.text_kind(c.name)
        and not ({"enum", "pattern", "format"} & set(c.value_schema or {}))
    ]


def test_noise_heuristic_flags_faker_filler_and_passes_sentences():
    rng = random.Random(3)
    words = faker_pool("words")
    assert texts.is_noise("man")
    assert texts.is_noise("measure college when")
    assert texts.is_noise(" ".join(rng.choices(words, k=10)).capitalize() + ".")
    assert texts.is_noise("Lorem ipsum dolor sit amet.")
    assert not texts.is_noise("Take Ibuprofen and Warfarin at least two hours apart.")


def test_a_free_text_names_the_rows_own_things():
    row = {"medication_a_name": "Ibuprofen", "medication_b_name": "Warfarin"}
    made = {
        texts.free_text("advice", row, "drug_interaction", random.Random(seed))
        for seed in range(40)
    }
    assert any("Ibuprofen" in t and "Warfarin" in t for t in made)
    assert not any(texts.is_noise(t) for t in made)
    reasons = {
        texts.free_text("cancellation_reason", {}, "order", random.Random(s)) for s in range(20)
    }
    assert reasons <= set(texts._REASONS["cancel"]) | {
        t.format(thing="order") for t in texts._REASONS["cancel"]
    }


@pytest.mark.parametrize("vertical", sorted({t.tag_value("vertical") for t in builtin_tools()}))
def test_seeded_free_texts_of_builtin_worlds_are_not_noise(vertical):
    world = compile_world(f"v-{vertical}", vertical, vertical_tools(vertical))
    rows = seed_rows(world.world, 5, 20, world.spec)
    noisy = [
        f"{table.name}.{name}={row[name]!r}"
        for table in world.world.tables
        for name in _free_text_columns(table)
        for row in rows[table.name]
        if isinstance(row.get(name), str) and texts.is_noise(row[name])
    ]
    assert not noisy, noisy[:5]


def test_merged_column_schema_keeps_every_tools_constraints():
    merged = merge_value_schemas(
        [
            {"type": "number", "minimum": 0},
            {"type": "number", "maximum": 100, "description": "cloud coverage"},
            {"type": "string", "enum": ["a", "b", "c"]},
        ]
    )
    assert merged["minimum"] == 0 and merged["maximum"] == 100
    assert "type" in merged and "$comment" in merged  # number vs enum of strings: said
    serial = merge_value_schemas(
        [{"type": "string"}, {"type": "string", "pattern": "^[a-zA-Z0-9]+$", "minLength": 10}]
    )
    factory = ValueFactory(1)
    for _ in range(20):
        value = factory.value(serial, None, "device_serial")
        assert value.isalnum() and len(value) >= 10
    enum = merge_value_schemas(
        [
            {"type": "string", "enum": ["current", "hourly", "daily"]},
            {"enum": ["current", "hourly"]},
        ]
    )
    assert enum["enum"] == ["current", "hourly"] and "$comment" not in enum
    both = merge_value_schemas(
        [{"type": "string", "pattern": "^[a-zA-Z0-9-]{36}$"}, {"pattern": "^[A-Za-z0-9]+$"}]
    )
    for _ in range(20):
        value = factory.value(both)
        assert len(value) == 36 and value.isalnum()
    obj = merge_value_schemas(
        [
            {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
            {"type": "object", "properties": {"a": {"maximum": 4}, "b": {}}, "required": ["b"]},
        ]
    )
    assert obj["required"] == ["a", "b"] and obj["properties"]["a"]["maximum"] == 4
