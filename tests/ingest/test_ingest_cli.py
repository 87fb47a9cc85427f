"""``agentscaler tools import | stats | export``."""

from __future__ import annotations

import json

import pytest

from agentscaler.ingest import load_pool, read_rejects
from agentscaler.ingest.rejects import RejectReason


@pytest.fixture
def catalog(write, make_tool, tmp_path):
    """A directory with two good files, one unreadable file and one bad record."""
    write(
        "cat/a.json", [make_tool("get_order", order_id=None), make_tool("get_order", order_id=None)]
    )
    write(
        "cat/b.jsonl",
        [
            make_tool("cancel_order", order_id=None),
            {
                "name": "bad",
                "parameters": {"type": "object", "properties": {"x": {"type": "Strng"}}},
            },
        ],
    )
    write("cat/broken.json", '{\n  "tools": [\n    oops\n  ]\n}\n')
    return tmp_path / "cat"


def test_import_prints_a_summary_and_writes_pool_and_rejects(cli, catalog, tmp_path):
    out = tmp_path / "pool.jsonl"
    result = cli("tools", "import", catalog, "--out", out)
    assert result.exit_code == 3, "partial: usable pool, some records rejected"
    text = result.output
    for expected in ("Sources", "read", "kept", "merged: exact copies", "rejected", "unknown_type"):
        assert expected in text
    assert "line 3, column 5" in text  # the unreadable file, with its position
    tools = load_pool(out)
    assert [t.name for t in tools] == ["get_order", "cancel_order"]
    rejects = read_rejects(tmp_path / "pool.rejects.jsonl")
    reasons = sorted(r.reason for r in rejects)
    assert reasons == sorted([RejectReason.UNKNOWN_TYPE, RejectReason.UNREADABLE_FILE])
    bad = next(r for r in rejects if r.reason == RejectReason.UNKNOWN_TYPE)
    assert (bad.index, bad.tool, bad.field) == (2, "bad", "/parameters/properties/x/type")


def test_strict_fails_on_any_reject_but_still_writes(cli, catalog, tmp_path):
    out = tmp_path / "pool.jsonl"
    result = cli("tools", "import", catalog, "--out", out, "--strict")
    assert result.exit_code == 1
    assert "--strict" in result.output
    assert len(load_pool(out)) == 2


def test_nothing_imported_exits_non_zero(cli, write, tmp_path):
    bad = write("bad.json", "not json at all {")
    result = cli("tools", "import", bad, "--out", tmp_path / "pool.jsonl")
    assert result.exit_code == 1
    assert "no tools were imported" in result.output
    assert "not valid JSON" in result.output


def test_options_fall_back_to_the_config(cli, write, make_tool, tmp_path):
    path = write(
        "t.json",
        [{"name": "odd", "parameters": {"type": "object", "properties": {"x": {"type": "Strng"}}}}],
    )
    out = tmp_path / "pool.jsonl"
    assert cli("tools", "import", path, "--out", out, "--unknown-types", "any").exit_code == 0
    assert load_pool(out)[0].parameters["properties"]["x"] == {}
    assert cli("tools", "import", path, "--out", out, "--unknown-types", "maybe").exit_code == 2
    assert cli("tools", "import", path, "--out", out, "--format", "nonsense").exit_code == 2


def test_stats_json_matches_the_pool(cli, write, make_tool, tmp_path):
    tools = [
        make_tool("get_order", order_id=None),
        make_tool("cancel_order", order_id=None, reason=None),
        make_tool("list_items"),
    ]
    tools[0]["function"]["returns"] = {
        "type": "object",
        "properties": {"status": {"type": "string"}},
    }
    out = tmp_path / "pool.jsonl"
    assert cli("tools", "import", write("t.json", tools), "--out", out).exit_code == 0
    result = cli("tools", "stats", out, "--json")
    assert result.exit_code == 0
    stats = json.loads(result.output)
    assert stats["tools"] == 3
    assert stats["by_source"] == {"openai": 3}
    assert stats["by_vertical"] == {"openai": 3}
    assert (stats["reads"], stats["writes"]) == (2, 1)
    assert stats["with_returns"] == 1
    assert stats["parameters_histogram"]["0"] == 1 and stats["parameters_histogram"]["2"] == 1
    assert stats["types"] == {"string": 3}
    table = cli("tools", "stats", out)
    for expected in (
        "By source",
        "By vertical",
        "Parameters per tool",
        "Parameter types",
        "Read / write",
        "33.3%",
    ):
        assert expected in table.output


def test_stats_of_a_missing_pool_is_a_clear_error(cli, tmp_path):
    result = cli("tools", "stats", tmp_path / "nope.jsonl")
    assert result.exit_code == 1
    assert "agentscaler tools import" in result.output


def test_export_round_trip_through_the_cli(cli, data_dir, tmp_path):
    pool, exported, again = (
        tmp_path / "pool.jsonl",
        tmp_path / "tools.json",
        tmp_path / "again.jsonl",
    )
    assert cli("tools", "import", data_dir / "petclinic.yaml", "--out", pool).exit_code == 0
    result = cli("tools", "export", pool, "--format", "openai", "--out", exported)
    assert result.exit_code == 0 and "wrote 8 tools" in result.output
    listed = json.loads(exported.read_text())
    assert all(item["type"] == "function" for item in listed)
    assert any("returns" in item["function"] for item in listed)
    assert cli("tools", "import", exported, "--out", again).exit_code == 0
    assert [t.id for t in load_pool(again)] == [t.id for t in load_pool(pool)]


def test_pools_can_be_imported_and_merged_keeping_provenance(cli, data_dir, tmp_path):
    first, merged = tmp_path / "first.jsonl", tmp_path / "merged.jsonl"
    # exit status 3: orders_shipping.json holds records that are rejected (a partial import)
    assert cli("tools", "import", data_dir / "orders_shipping.json", "--out", first).exit_code == 3
    assert (
        cli("tools", "import", first, data_dir / "petclinic.yaml", "--out", merged).exit_code == 0
    )
    before, after = load_pool(first), load_pool(merged)
    assert [t.id for t in after[: len(before)]] == [t.id for t in before]
    assert after[0].provenance == before[0].provenance
    assert len(after) == len(before) + 8
