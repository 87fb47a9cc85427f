"""A run compiles the tools it stored in tools.jsonl: the stored records keep each schema's
properties in the order their author wrote them, so a world built from them is the world built
from the catalog (sorted keys once made place_order update the customer)."""

from __future__ import annotations

import pytest

from agentscaler.catalog import vertical_tools
from agentscaler.jsonl import read_records, write_records
from agentscaler.records import ToolSpec
from agentscaler.worlds.compiler import compile_world


@pytest.mark.parametrize("vertical", ["retail_orders", "returns", "hr", "parking"])
def test_worlds_from_stored_tools_are_the_catalogs_worlds(tmp_path, vertical):
    tools = vertical_tools(vertical)
    write_records(tmp_path / "tools.jsonl", tools)
    stored = read_records(tmp_path / "tools.jsonl", ToolSpec)
    for tool, back in zip(tools, stored, strict=True):
        assert list(back.parameters.get("properties") or {}) == list(
            tool.parameters.get("properties") or {}
        )
    catalog = compile_world(f"a-{vertical}", vertical, tools).spec
    from_run = compile_world(f"b-{vertical}", vertical, stored).spec
    assert {n: (t.kind, t.entity) for n, t in from_run.tools.items()} == {
        n: (t.kind, t.entity) for n, t in catalog.tools.items()
    }
