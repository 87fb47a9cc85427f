"""Pool statistics count what they say."""

from __future__ import annotations

from agentscaler.ingest import pool_stats
from agentscaler.records.tool import Provenance, ToolSpec


def make(name, dialect, properties, *, tags=(), returns=None):
    return ToolSpec.create(
        name=name,
        description="",
        parameters={"type": "object", "properties": properties, "required": []},
        returns=returns,
        provenance=(Provenance(source="x", dialect=dialect, original_name=name),),
        tags=tags,
    )


def test_pool_stats():
    tools = [
        make("get_order", "builtin", {"order_id": {"type": "string"}}, tags=("vertical:retail",)),
        make(
            "refund",
            "builtin",
            {"amount": {"type": "number"}, "note": {}},
            tags=("vertical:retail", "kind:write"),
        ),
        make("lookup", "bfcl", {"q": {"type": ["string", "null"]}}, returns={"type": "object"}),
        make("ping", "mcp", {}, tags=("kind:write",)),
        make("many", "bfcl", {f"p{i}": {"type": "integer"} for i in range(9)}),
    ]
    stats = pool_stats(tools)
    assert stats.tools == 5
    assert stats.by_source == {"bfcl": 2, "builtin": 2, "mcp": 1}
    assert stats.by_vertical == {"bfcl": 2, "retail": 2, "mcp": 1}
    assert stats.types == {"integer": 9, "any": 1, "number": 1, "string": 1, "string|null": 1}
    assert stats.parameters_histogram["0"] == 1 and stats.parameters_histogram["8-11"] == 1
    assert (stats.parameters_min, stats.parameters_max, stats.parameters_total) == (0, 9, 13)
    assert (stats.reads, stats.writes) == (3, 2)
    assert stats.with_returns == 1 and stats.returns_percent == 20.0


def test_empty_pool():
    stats = pool_stats([])
    assert stats.tools == 0 and stats.returns_percent == 0.0 and stats.parameters_mean == 0.0
