"""Communities of the tool graph (igraph): Louvain or Leiden, then size limits.

igraph draws random numbers from one process-wide generator; :func:`seeded_igraph` points it at a
``random.Random(seed)`` for the duration of a call (and restores the previous one), so the same
graph and seed give the same communities.

Size limits, applied in this order:

* communities above ``max_size`` are split: Louvain on the community's own subgraph, at rising
  resolution until it falls apart into parts that hold at least half of its tools in groups of
  ``min_size`` or more, recursively; a community that does not split so (a clique shatters into
  single tools) is cut into equal consecutive runs of its breadth-first order;
* communities below ``min_size`` are, with ``small="merge"``, folded into the community they share
  the most edge weight with (if that stays within ``max_size``); a group with no edge to any other
  community (a tool whose best match is below the threshold) joins the community of its members'
  most similar tool.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from agentscaler.graph.config import Algorithm, SmallPolicy
from agentscaler.graph.similarity import SimilarityEdges

log = logging.getLogger(__name__)

_RNG_LOCK = threading.Lock()
SPLIT_RESOLUTIONS = (1.0, 2.0, 4.0, 8.0, 16.0)


@contextmanager
def seeded_igraph(seed: int) -> Iterator[None]:
    """Run igraph with a private RNG seeded with ``seed``; restore the default afterwards."""
    import igraph

    with _RNG_LOCK:
        igraph.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            igraph.set_random_number_generator(random)


def to_igraph(edges: SimilarityEdges):  # -> igraph.Graph
    import igraph

    graph = igraph.Graph(n=edges.n, edges=np.column_stack([edges.src, edges.dst]).tolist())
    graph.es["weight"] = edges.weight.astype(float).tolist()
    return graph


def detect(graph, algorithm: Algorithm, resolution: float) -> list[int]:
    if graph.ecount() == 0:
        return list(range(graph.vcount()))
    if algorithm == "leiden":
        clustering = graph.community_leiden(
            objective_function="modularity",
            weights="weight",
            resolution=resolution,
            n_iterations=-1,
        )
    else:
        clustering = graph.community_multilevel(weights="weight", resolution=resolution)
    return list(clustering.membership)


def groups_of(membership: list[int]) -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for vertex, label in enumerate(membership):
        groups.setdefault(label, []).append(vertex)
    return list(groups.values())


def _equal_runs(graph, vertices: list[int], max_size: int) -> list[list[int]]:
    """Cut ``vertices`` into equal consecutive runs of their breadth-first order."""
    sub = graph.induced_subgraph(vertices)
    order: list[int] = []
    seen = np.zeros(sub.vcount(), dtype=bool)
    for root in range(sub.vcount()):
        if seen[root]:
            continue
        reached, _, _ = sub.bfs(root)
        for v in reached:
            if not seen[v]:
                seen[v] = True
                order.append(v)
    parts = -(-len(order) // max_size)
    size = -(-len(order) // parts)
    return [sorted(vertices[v] for v in order[i : i + size]) for i in range(0, len(order), size)]


def split_community(
    graph,
    vertices: list[int],
    algorithm: Algorithm,
    resolution: float,
    max_size: int,
    min_size: int,
) -> list[list[int]]:
    if len(vertices) <= max_size:
        return [vertices]
    sub = graph.induced_subgraph(vertices)
    tiny = max(min_size, 2)
    for factor in SPLIT_RESOLUTIONS:
        parts = groups_of(detect(sub, algorithm, resolution * factor))
        # a split that shatters the community into fragments is no split (e.g. a clique)
        if len(parts) > 1 and 2 * sum(len(p) for p in parts if len(p) >= tiny) >= len(vertices):
            out: list[list[int]] = []
            for part in parts:
                members = [vertices[v] for v in part]
                out.extend(
                    split_community(graph, members, algorithm, resolution, max_size, min_size)
                )
            return out
    return _equal_runs(graph, vertices, max_size)


def merge_small(
    graph, edges: SimilarityEdges, groups: list[list[int]], min_size: int, max_size: int
) -> list[list[int]]:
    label = np.empty(graph.vcount(), dtype=np.int64)
    for index, group in enumerate(groups):
        label[group] = index
    sizes = [len(g) for g in groups]
    alive = [True] * len(groups)
    members = [list(g) for g in groups]
    pairs = np.array(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    weights = np.array(graph.es["weight"] if graph.ecount() else [], dtype=np.float64)
    incident: list[list[int]] = [[] for _ in range(graph.vcount())]
    for e, (a, b) in enumerate(pairs):
        incident[a].append(e)
        incident[b].append(e)
    queue = sorted(
        (i for i, s in enumerate(sizes) if s < min_size), key=lambda i: (sizes[i], min(groups[i]))
    )
    for index in queue:
        if not alive[index] or sizes[index] >= min_size:
            continue
        links: dict[int, float] = {}
        for v in members[index]:
            for e in incident[v]:
                other = int(label[pairs[e, 0] if pairs[e, 1] == v else pairs[e, 1]])
                if other != index:
                    links[other] = links.get(other, 0.0) + float(weights[e])
        if not links:
            # no edge leaves the group: fall back on the most similar tool below the threshold
            for v in members[index]:
                near = int(edges.nearest[v])
                if near >= 0 and (other := int(label[near])) != index:
                    weight = float(edges.nearest_weight[v])
                    links[other] = max(links.get(other, -np.inf), weight)
        candidates = [
            (w, -other)
            for other, w in links.items()
            if alive[other] and sizes[other] + sizes[index] <= max_size
        ]
        if not candidates:
            continue
        target = -max(candidates)[1]
        label[members[index]] = target
        members[target].extend(members[index])
        sizes[target] += sizes[index]
        alive[index] = False
        members[index] = []
    return [sorted(m) for i, m in enumerate(members) if alive[i]]


def detect_communities(
    edges: SimilarityEdges,
    *,
    algorithm: Algorithm = "louvain",
    resolution: float = 1.0,
    seed: int = 0,
    min_size: int = 1,
    max_size: int = 10**9,
    small: SmallPolicy = "merge",
) -> list[list[int]]:
    """Communities as sorted lists of tool indices, largest first (ties: smallest index first)."""
    if edges.n == 0:
        return []
    graph = to_igraph(edges)
    with seeded_igraph(seed):
        groups = groups_of(detect(graph, algorithm, resolution))
        limited: list[list[int]] = []
        for group in groups:
            limited.extend(
                split_community(graph, sorted(group), algorithm, resolution, max_size, min_size)
            )
    if small == "merge" and min_size > 1:
        limited = merge_small(graph, edges, limited, min_size, max_size)
    limited = [sorted(g) for g in limited]
    limited.sort(key=lambda g: (-len(g), g[0]))
    log.info("%d communities from %d tools and %d edges", len(limited), edges.n, len(edges))
    return limited
