"""Exact and near duplicates merge into one tool with every provenance; the survivor is stable."""

from __future__ import annotations

from agentscaler.ingest import IngestConfig, import_sources


def test_exact_duplicates_across_files_keep_every_provenance(write, make_tool):
    tool = make_tool("get_order", "Get an order.", order_id=None)
    a = write("a.json", [tool, tool])
    b = write("b.jsonl", [tool["function"]])
    result = import_sources([str(a), str(b)])
    [merged] = result.tools
    assert [(p.source, p.index) for p in merged.provenance] == [
        (str(a), 0),
        (str(a), 1),
        (str(b), 1),
    ]
    assert all(p.variant_id is None for p in merged.provenance)
    summary = result.summary
    assert (summary.records_read, summary.kept, summary.exact_merged, summary.near_merged) == (
        3,
        1,
        2,
        0,
    )


def test_whitespace_only_differences_are_exact_duplicates(write, make_tool):
    a = make_tool("get_order", "Get an order.", order_id=None)
    b = make_tool("get_order", "  Get an order.\n", order_id={"type": "string", "description": " "})
    result = import_sources([str(write("t.json", [a, b]))])
    assert len(result.tools) == 1 and result.summary.exact_merged == 1


def _variants(make_tool):
    short = make_tool("search_hotels", "Search hotels.", city=None, nights={"type": "integer"})
    long = make_tool(
        "search_hotels",
        "Search hotels in a city for a number of nights, cheapest first.",
        city=None,
        nights={"type": "number"},
    )
    return short, long


def test_near_duplicates_keep_the_longest_description_whatever_the_order(write, make_tool):
    short, long = _variants(make_tool)
    forward = import_sources([str(write("f.json", [short, long]))])
    backward = import_sources([str(write("b.json", [long, short]))])
    assert len(forward.tools) == len(backward.tools) == 1
    assert forward.tools[0].id == backward.tools[0].id
    survivor = forward.tools[0]
    assert survivor.description.startswith("Search hotels in a city")
    assert survivor.parameters["properties"]["nights"]["type"] == "number"
    merged_from = [p for p in survivor.provenance if p.variant_id is not None]
    assert len(merged_from) == 1 and merged_from[0].index == 0
    assert merged_from[0].variant_id != survivor.id
    assert forward.summary.near_merged == 1


def test_near_duplicate_ties_break_by_id(write, make_tool):
    a = make_tool("tie", "Same length A.", x=None)
    b = make_tool("tie", "Same length B.", x=None)
    one = import_sources([str(write("1.json", [a, b]))]).tools[0]
    two = import_sources([str(write("2.json", [b, a]))]).tools[0]
    assert one.id == two.id == min(one.id, *(p.variant_id for p in one.provenance if p.variant_id))


def test_same_name_with_other_parameters_stays_separate(write, make_tool):
    a = make_tool("lookup", x=None)
    b = make_tool("lookup", y=None)
    result = import_sources([str(write("t.json", [a, b]))])
    assert len(result.tools) == 2 and result.summary.near_merged == 0


def test_near_merging_can_be_switched_off(write, make_tool):
    path = write("t.json", list(_variants(make_tool)))
    result = import_sources([str(path)], config=IngestConfig(near_duplicates=False))
    assert len(result.tools) == 2


def test_tags_are_united(write):
    base = {"name": "op", "inputSchema": {"type": "object"}}
    read = dict(base, description="A", annotations={"readOnlyHint": True})
    write_ = dict(base, description="A longer one", annotations={"readOnlyHint": False})
    result = import_sources([str(write("mcp.json", {"tools": [read, write_]}))])
    [tool] = result.tools
    assert tool.tags == ("kind:write", "kind:read")  # the survivor's first
