"""Domains over service units: the tools of one service stay in one domain.

Ingestion records the service each tool came from (:mod:`agentscaler.ingest.services`: a
vertical, an API class, an MCP server, an OpenAPI spec, a tool file). With ``units="service"``
(the default) domain discovery groups units rather than tools:

1. each service is a unit; a loose tool (no service) is a unit of its own;
2. a unit larger than ``max_size`` (too large for one world) is split by the similarity graph
   restricted to its tools, as an oversized community is
   (:func:`~agentscaler.graph.communities.split_community`); every such split is reported;
3. units merge by Louvain on the similarity graph contracted to units (the weights of the edges
   between two units summed, a unit's inner weight kept as a self-loop, so the modularity is the
   tool graph's): similar units and loose tools land in one domain, as tools do in the flat graph;
4. a community above ``max_size`` is split by Louvain on its units at rising resolution, else
   packed into groups of whole units in breadth-first order; a community below ``min_size`` is
   folded into its best linked neighbour, whole.

``units="none"`` is the paper's flat behaviour: Louvain on the tools. A pool without any service
is grouped the flat way in both modes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agentscaler.graph.communities import (
    SPLIT_RESOLUTIONS,
    detect,
    groups_of,
    merge_small,
    seeded_igraph,
    split_community,
    to_igraph,
)
from agentscaler.graph.config import Algorithm, SmallPolicy
from agentscaler.graph.similarity import SimilarityEdges
from agentscaler.records.tool import ToolSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSplit:
    """A service too large for one world, split by the similarity graph."""

    service: str
    tools: int
    parts: tuple[int, ...]
    """Sizes of the parts, largest first."""


@dataclass
class UnitReport:
    """How the services of a pool were kept together."""

    services: int = 0
    loose_tools: int = 0
    splits: list[ServiceSplit] = field(default_factory=list)
    service_domains: dict[str, list[str]] = field(default_factory=dict)
    """Ids of the domains holding each service's tools (one, unless the service was split)."""
    domain_services: dict[str, list[str]] = field(default_factory=dict)
    """Services found in each domain (empty for a domain of loose tools only)."""

    def as_dict(self) -> dict[str, Any]:
        single = sum(1 for s in self.domain_services.values() if len(s) == 1)
        return {
            "services": self.services,
            "loose_tools": self.loose_tools,
            "services_whole": sum(1 for d in self.service_domains.values() if len(d) == 1),
            "services_split": [
                {"service": s.service, "tools": s.tools, "parts": list(s.parts)}
                for s in self.splits
            ],
            "domains_with_one_service": single,
            "domains_with_several_services": sum(
                1 for s in self.domain_services.values() if len(s) > 1
            ),
            "domains_of_loose_tools": sum(1 for s in self.domain_services.values() if not s),
        }


def service_groups(tools: Sequence[ToolSpec]) -> tuple[dict[str, list[int]], list[int]]:
    """``(services, loose)``: tool indices per service (in order of first tool), loose tools."""
    services: dict[str, list[int]] = {}
    loose: list[int] = []
    for index, tool in enumerate(tools):
        if tool.service is None:
            loose.append(index)
        else:
            services.setdefault(tool.service, []).append(index)
    return services, loose


def contract(graph: Any, groups: Sequence[Sequence[int]]) -> Any:
    """The graph with each group of vertices made one vertex: weights between two groups summed,
    the weight inside a group kept as a self-loop (so modularity is unchanged)."""
    membership = np.empty(graph.vcount(), dtype=np.int64)
    for index, members in enumerate(groups):
        membership[list(members)] = index
    contracted = graph.copy()
    contracted.contract_vertices(membership.tolist(), combine_attrs=None)
    contracted.simplify(multiple=True, loops=False, combine_edges={"weight": "sum"})
    return contracted


def _pack(contracted: Any, ids: list[int], sizes: list[int], max_size: int) -> list[list[int]]:
    """Groups ``ids`` cut into runs of whole groups of at most ``max_size`` tools, following the
    breadth-first order of the contracted graph (neighbours stay together where they fit)."""
    sub = contracted.induced_subgraph(ids)
    order: list[int] = []
    seen = np.zeros(sub.vcount(), dtype=bool)
    for root in sorted(range(sub.vcount()), key=lambda v: -sizes[ids[v]]):
        if seen[root]:
            continue
        reached, _, _ = sub.bfs(root)
        for v in reached:
            if not seen[v]:
                seen[v] = True
                order.append(ids[v])
    bins: list[list[int]] = []
    filled: list[int] = []
    for group in order:
        size = sizes[group]
        target = next((i for i, f in enumerate(filled) if f + size <= max_size), None)
        if target is None:
            bins.append([group])
            filled.append(size)
        else:
            bins[target].append(group)
            filled[target] += size
    return bins


def _split_units(
    contracted: Any,
    ids: list[int],
    sizes: list[int],
    algorithm: Algorithm,
    resolution: float,
    max_size: int,
) -> list[list[int]]:
    """A community of groups ``ids`` cut into communities of at most ``max_size`` tools."""
    if sum(sizes[g] for g in ids) <= max_size or len(ids) == 1:
        return [ids]
    sub = contracted.induced_subgraph(ids)
    for factor in SPLIT_RESOLUTIONS:
        parts = groups_of(detect(sub, algorithm, resolution * factor))
        if len(parts) > 1:
            out: list[list[int]] = []
            for part in parts:
                members = [ids[v] for v in part]
                out.extend(
                    _split_units(contracted, members, sizes, algorithm, resolution, max_size)
                )
            return out
    return _pack(contracted, ids, sizes, max_size)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _weights(contracted: Any) -> dict[tuple[int, int], float]:
    """Summed similarity between groups (``(i, j)`` with ``i <= j``; ``(i, i)``: inside ``i``)."""
    pairs = contracted.get_edgelist()
    weights = contracted.es["weight"] if contracted.ecount() else []
    return {(min(a, b), max(a, b)): float(w) for (a, b), w in zip(pairs, weights, strict=True)}


def affinity(weights: dict[tuple[int, int], float], sizes: list[int], a: int, b: int) -> float:
    """Mean similarity between the tools of groups ``a`` and ``b`` over the lower mean similarity
    inside either (1: as linked across as within; 0: no link)."""
    across = weights.get((min(a, b), max(a, b)), 0.0) / (sizes[a] * sizes[b])
    inside = [
        weights.get((g, g), 0.0) / (sizes[g] * (sizes[g] - 1) / 2) for g in (a, b) if sizes[g] > 1
    ]
    lower = min(inside, default=0.0)
    return across / lower if lower > 0 else (1.0 if across > 0 else 0.0)


def _separate(
    community: list[int],
    weights: dict[tuple[int, int], float],
    sizes: list[int],
    owner: list[str | None],
    min_affinity: float,
    min_size: int,
) -> list[list[int]]:
    """A Louvain community of groups cut so that services share a part only when similar.

    Services (groups of at least ``min_size`` tools) are joined when their affinity reaches
    ``min_affinity`` (parts of one split service always are); every other group (loose tools,
    tiny services) joins the part it is most linked to, through its neighbours if need be; groups
    linked to no part stay together.
    """
    anchors = [g for g in community if owner[g] is not None and sizes[g] >= min_size]
    if len(anchors) <= 1:
        return [community]
    union = _UnionFind(len(anchors))
    for i, a in enumerate(anchors):
        for j in range(i + 1, len(anchors)):
            b = anchors[j]
            if owner[a] == owner[b] or affinity(weights, sizes, a, b) >= min_affinity:
                union.union(i, j)
    part_of: dict[int, int] = {a: union.find(i) for i, a in enumerate(anchors)}
    pending = [g for g in community if g not in part_of]
    while pending:
        placed = False
        left: list[int] = []
        for g in pending:
            links: dict[int, float] = {}
            for other, part in part_of.items():
                w = weights.get((min(g, other), max(g, other)), 0.0)
                if w > 0:
                    links[part] = links.get(part, 0.0) + w
            if links:
                part_of[g] = max(sorted(links), key=lambda p: links[p])
                placed = True
            else:
                left.append(g)
        pending = left
        if not placed:
            break
    parts: dict[int, list[int]] = {}
    for g in community:
        parts.setdefault(part_of.get(g, -1), []).append(g)
    return list(parts.values())


def unit_communities(
    edges: SimilarityEdges,
    tools: Sequence[ToolSpec],
    *,
    algorithm: Algorithm = "louvain",
    resolution: float = 1.0,
    seed: int = 0,
    min_size: int = 1,
    max_size: int = 10**9,
    small: SmallPolicy = "merge",
    min_affinity: float = 0.5,
) -> tuple[list[list[int]], UnitReport]:
    """Communities (sorted tool indices, largest first) that keep each service whole unless it
    is larger than ``max_size``; the report says which services were split."""
    services, loose = service_groups(tools)
    report = UnitReport(services=len(services), loose_tools=len(loose))
    if edges.n == 0:
        return [], report
    graph = to_igraph(edges)
    groups: list[list[int]] = []
    owner: list[str | None] = []
    with seeded_igraph(seed):
        for service, members in services.items():
            if len(members) <= max_size:
                parts = [members]
            else:
                parts = split_community(graph, members, algorithm, resolution, max_size, min_size)
                parts.sort(key=lambda p: (-len(p), p[0]))
                sizes_of = tuple(len(p) for p in parts)
                report.splits.append(ServiceSplit(service, len(members), sizes_of))
                log.info("service %s (%d tools) split into %s", service, len(members), sizes_of)
            groups.extend(parts)
            owner.extend([service] * len(parts))
        groups.extend([index] for index in loose)
        owner.extend([None] * len(loose))
        sizes = [len(g) for g in groups]
        contracted = contract(graph, groups)
        weights = _weights(contracted)
        limited: list[list[int]] = []
        for community in groups_of(detect(contracted, algorithm, resolution)):
            for part in _separate(community, weights, sizes, owner, min_affinity, min_size):
                limited.extend(
                    _split_units(contracted, part, sizes, algorithm, resolution, max_size)
                )
    communities = [sorted(i for g in part for i in groups[g]) for part in limited]
    if small == "merge" and min_size > 1:
        communities = merge_small(graph, edges, communities, min_size, max_size)
    communities = [sorted(c) for c in communities]
    communities.sort(key=lambda c: (-len(c), c[0]))
    log.info(
        "%d communities from %d services, %d loose tools and %d edges",
        len(communities),
        len(services),
        len(loose),
        len(edges),
    )
    return communities, report


def describe_units(
    report: UnitReport, tools: Sequence[ToolSpec], domain_ids: Sequence[str], communities
) -> None:
    """Fill in which domains hold each service and which services each domain holds."""
    for domain_id, members in zip(domain_ids, communities, strict=True):
        found: dict[str, None] = {}
        for index in members:
            service = tools[index].service
            if service is not None:
                found.setdefault(service, None)
                report.service_domains.setdefault(service, [])
                if domain_id not in report.service_domains[service]:
                    report.service_domains[service].append(domain_id)
        report.domain_services[domain_id] = sorted(found)
