"""Statistics of a tool pool: sources, verticals, parameters, types, reads and writes, returns."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from agentscaler.naming import classify_tool
from agentscaler.records.base import Record
from agentscaler.records.tool import ToolSpec

PARAMETER_BUCKETS = ("0", "1", "2", "3", "4", "5-7", "8-11", "12+")


class PoolStats(Record):
    tools: int
    by_source: dict[str, int]
    """Tools per source dialect (of their first provenance; ``unknown`` without provenance)."""
    multi_source: int
    """Tools read in more than one dialect."""
    by_vertical: dict[str, int]
    """Tools per ``vertical:`` tag, or per source dialect when a tool has none."""
    parameters_total: int
    parameters_min: int
    parameters_max: int
    parameters_mean: float
    parameters_median: float
    parameters_histogram: dict[str, int]
    """Tools by number of parameters, in :data:`PARAMETER_BUCKETS`."""
    types: dict[str, int]
    """Top-level parameters by JSON type (``any`` without a type, ``a|b`` for unions)."""
    reads: int
    writes: int
    with_returns: int
    provenance_records: int

    @property
    def returns_percent(self) -> float:
        return 100.0 * self.with_returns / self.tools if self.tools else 0.0


def _bucket(count: int) -> str:
    if count <= 4:
        return str(count)
    if count <= 7:
        return "5-7"
    return "8-11" if count <= 11 else "12+"


def _type_label(schema: Any) -> str:
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind is None:
        return "any"
    if isinstance(kind, list):
        return "|".join(str(k) for k in kind)
    return str(kind)


def _source(tool: ToolSpec) -> str:
    return tool.provenance[0].dialect if tool.provenance else "unknown"


def _by_count(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def pool_stats(tools: Sequence[ToolSpec]) -> PoolStats:
    counts = [len(t.parameters.get("properties", {})) for t in tools]
    sources = Counter(_source(t) for t in tools)
    verticals = Counter(t.tag_value("vertical") or _source(t) for t in tools)
    types: Counter[str] = Counter()
    for tool in tools:
        types.update(_type_label(s) for s in tool.parameters.get("properties", {}).values())
    histogram = Counter(_bucket(c) for c in counts)
    kinds = Counter(classify_tool(t.name, t.tags) for t in tools)
    return PoolStats(
        tools=len(tools),
        by_source=_by_count(sources),
        multi_source=sum(1 for t in tools if len({p.dialect for p in t.provenance}) > 1),
        by_vertical=_by_count(verticals),
        parameters_total=sum(counts),
        parameters_min=min(counts, default=0),
        parameters_max=max(counts, default=0),
        parameters_mean=round(statistics.fmean(counts), 3) if counts else 0.0,
        parameters_median=float(statistics.median(counts)) if counts else 0.0,
        parameters_histogram={b: histogram.get(b, 0) for b in PARAMETER_BUCKETS},
        types=_by_count(types),
        reads=kinds["read"],
        writes=kinds["write"],
        with_returns=sum(1 for t in tools if t.returns is not None),
        provenance_records=sum(len(t.provenance) for t in tools),
    )
