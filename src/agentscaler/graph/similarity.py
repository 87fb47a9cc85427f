"""Similarity edges of the tool graph (Eq. 1): pairs of tools whose cosine exceeds tau.

Products are computed in row blocks over the upper triangle (float32), so memory stays bounded by
``block_rows x n`` and never holds an ``n x n`` matrix. With ``max_neighbors = k`` an edge is kept
only when it is among the ``k`` strongest edges of at least one of its two tools (the union of
k-nearest-neighbour lists). Pruning is applied whenever the kept edges grow past a bound; it is
exact, because a tool's k-th strongest weight can only rise as more edges arrive.

Two granularities:

* ``tool``: one vector per tool; similarity = dot product of unit vectors.
* ``param``: one vector per parameter; similarity of tools A and B is the symmetric mean of
  best matches, ``(mean_a max_b cos(a, b) + mean_b max_a cos(a, b)) / 2``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Advance = Callable[[int], None]


@dataclass(frozen=True)
class SimilarityEdges:
    """Undirected weighted edges ``src[i] < dst[i]`` between tool indices, sorted."""

    n: int
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    nearest: np.ndarray
    """Most similar other tool of each tool, above the threshold or not (-1 when alone)."""
    nearest_weight: np.ndarray

    def __len__(self) -> int:
        return len(self.src)

    def degrees(self) -> np.ndarray:
        return np.bincount(np.concatenate([self.src, self.dst]), minlength=self.n)


def _ranked(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Both ends of every edge, strongest first per tool: ``(order, ends, rank, starts)``."""
    ends = np.concatenate([src, dst])
    others = np.concatenate([dst, src])
    weights = np.concatenate([weight, weight])
    order = np.lexsort((others, -weights, ends))
    sorted_ends = ends[order]
    starts = np.searchsorted(sorted_ends, np.arange(n + 1), side="left")
    rank = np.arange(len(order)) - starts[sorted_ends]
    return order, sorted_ends, rank, starts


def prune(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`knn_union` plus each tool's floor: the weight of its k-th strongest edge (else -inf).

    An edge weaker than the floors of both its ends can never be kept, whatever comes later.
    """
    floor = np.full(n, -np.inf, dtype=np.float32)
    if len(src) == 0:
        return src, dst, weight, floor
    order, sorted_ends, rank, _ = _ranked(src, dst, weight, n)
    keep_entry = np.zeros(len(order), dtype=bool)
    keep_entry[order] = rank < k
    m = len(src)
    keep = keep_entry[:m] | keep_entry[m:]
    at_k = rank == k - 1
    floor[sorted_ends[at_k]] = np.concatenate([weight, weight])[order[at_k]]
    return src[keep], dst[keep], weight[keep], floor


def knn_union(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep edges among the ``k`` strongest of either end (ties broken by the other end's index)."""
    if k <= 0 or len(src) == 0:
        return src, dst, weight
    return prune(src, dst, weight, n, k)[:3]


def strongest_neighbours(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each tool's strongest edge: ``(neighbour or -1, weight or -inf)``."""
    nearest = np.full(n, -1, dtype=np.int32)
    best = np.full(n, -np.inf, dtype=np.float32)
    if len(src):
        order, sorted_ends, rank, _ = _ranked(src, dst, weight, n)
        first = order[rank == 0]
        others = np.concatenate([dst, src])
        weights = np.concatenate([weight, weight])
        nearest[sorted_ends[rank == 0]] = others[first]
        best[sorted_ends[rank == 0]] = weights[first]
    return nearest, best


class _EdgeCollector:
    def __init__(self, n: int, k: int, *, track: bool = True) -> None:
        self.n, self.k, self.track = n, k, track
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.count = 0
        self.bound = max(8 * n * k, 1 << 20) if k > 0 else 0
        self.floor = np.full(n, -np.inf, dtype=np.float32)
        self.nearest = np.full(n, -1, dtype=np.int32)
        self.nearest_weight = np.full(n, -np.inf, dtype=np.float32)

    def block(self, sim: np.ndarray, start: int, threshold: float) -> None:
        """Take a block of similarities: rows ``start..``, columns ``start..n``, lower part -inf.

        With a neighbour limit and a dense block, only pairs among the ``k`` strongest of their
        row or of their column are kept: each row and each column holds a subset of one tool's
        pairs, so no other pair can survive the final pruning.
        """
        mask = sim > threshold
        k = self.k
        if k > 0 and min(sim.shape) > k:
            hits = np.count_nonzero(mask)
            if hits > 8 * k * (sim.shape[0] + sim.shape[1]):
                strong = np.zeros(sim.shape, dtype=bool)
                top = np.argpartition(sim, -k, axis=1)[:, -k:]
                strong[np.arange(sim.shape[0])[:, None], top] = True
                top = np.argpartition(sim, -k, axis=0)[-k:, :]
                strong[top, np.arange(sim.shape[1])[None, :]] = True
                mask &= strong
        rows, cols = np.nonzero(mask)
        self.add(rows + start, cols + start, sim[rows, cols])
        if not self.track:
            return
        row_ids = np.arange(sim.shape[0])
        best = sim.argmax(axis=1)
        self._track(row_ids + start, best + start, sim[row_ids, best])
        col_ids = np.arange(sim.shape[1])
        best = sim.argmax(axis=0)
        self._track(col_ids + start, best + start, sim[best, col_ids])

    def _track(self, vertices: np.ndarray, best: np.ndarray, weight: np.ndarray) -> None:
        better = weight > self.nearest_weight[vertices]
        self.nearest[vertices[better]] = best[better]
        self.nearest_weight[vertices[better]] = weight[better]

    def add(self, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> None:
        if self.k > 0 and len(src):
            alive = (weight >= self.floor[src]) | (weight >= self.floor[dst])
            src, dst, weight = src[alive], dst[alive], weight[alive]
        if len(src) == 0:
            return
        self.parts.append((src.astype(np.int32), dst.astype(np.int32), weight.astype(np.float32)))
        self.count += len(src)
        if self.bound and self.count > self.bound:
            src, dst, weight, self.floor = prune(*self._concat(), self.n, self.k)
            self.parts = [(src, dst, weight)]
            self.count = len(src)

    def _concat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.parts:
            return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32)
        return tuple(np.concatenate([p[i] for p in self.parts]) for i in range(3))  # type: ignore[return-value]

    def result(self, vectors: np.ndarray | None = None) -> SimilarityEdges:
        """The kept edges; without tracking, nearest tools come from them (and ``vectors``)."""
        src, dst, weight = knn_union(*self._concat(), self.n, self.k)
        order = np.lexsort((dst, src))
        src, dst, weight = src[order], dst[order], weight[order]
        if not self.track and vectors is not None:
            self.nearest, self.nearest_weight = strongest_neighbours(src, dst, weight, self.n)
            _nearest_of_isolated(vectors, self.nearest, self.nearest_weight)
        weights = np.where(self.nearest >= 0, self.nearest_weight, 0.0).astype(np.float32)
        return SimilarityEdges(self.n, src, dst, weight, self.nearest.copy(), weights)


def _nearest_of_isolated(
    vectors: np.ndarray, nearest: np.ndarray, weight: np.ndarray, block_rows: int = 1024
) -> None:
    """Fill in the most similar tool of tools without edges (a small product per block)."""
    alone = np.flatnonzero(nearest < 0)
    if len(vectors) < 2:
        return
    for start in range(0, len(alone), block_rows):
        rows = alone[start : start + block_rows]
        sim = vectors[rows] @ vectors.T
        sim[np.arange(len(rows)), rows] = -np.inf
        best = sim.argmax(axis=1)
        nearest[rows] = best
        weight[rows] = sim[np.arange(len(rows)), best]


def tool_edges(
    vectors: np.ndarray,
    threshold: float,
    *,
    max_neighbors: int = 0,
    block_rows: int = 2048,
    advance: Advance | None = None,
) -> SimilarityEdges:
    """Edges between rows of ``vectors`` (unit rows) whose dot product exceeds ``threshold``."""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(x)
    collector = _EdgeCollector(n, max_neighbors, track=False)
    for start in range(0, n, block_rows):
        stop = min(n, start + block_rows)
        block = x[start:stop] @ x[start:].T
        # keep the strict upper triangle of the diagonal block: column start + c > row start + r
        block[:, : stop - start][np.tril_indices(stop - start)] = -np.inf
        collector.block(block, start, threshold)
        if advance is not None:
            advance(stop - start)
    return collector.result(x)


def param_edges(
    vectors: np.ndarray,
    offsets: np.ndarray,
    threshold: float,
    *,
    max_neighbors: int = 0,
    block_cells: int = 1 << 24,
    lexical: np.ndarray | None = None,
    lexical_weight: float = 0.0,
    advance: Advance | None = None,
) -> SimilarityEdges:
    """Edges from per-parameter vectors: tool ``t`` owns rows ``offsets[t]:offsets[t + 1]``.

    Every tool must own at least one row. ``block_cells`` bounds the size of one product.
    With ``lexical`` (one row per tool), the similarity is
    ``(1 - lexical_weight) * parameter similarity + lexical_weight * lexical cosine``.
    """
    p = np.ascontiguousarray(vectors, dtype=np.float32)
    offsets = np.asarray(offsets, dtype=np.int64)
    n = len(offsets) - 1
    counts = np.diff(offsets)
    if n > 0 and counts.min() < 1:
        raise ValueError("every tool needs at least one parameter vector")
    collector = _EdgeCollector(n, max_neighbors)
    start = 0
    while start < n:
        columns = int(offsets[n] - offsets[start])
        stop = start + 1
        while stop < n and (offsets[stop + 1] - offsets[start]) * columns <= block_cells:
            stop += 1
        rows = p[offsets[start] : offsets[stop]]
        cells = rows @ p[offsets[start] :].T
        row_starts = (offsets[start:stop] - offsets[start]).astype(np.intp)
        col_starts = (offsets[start:n] - offsets[start]).astype(np.intp)
        # A -> B: best match in B for each parameter of A, averaged over A's parameters
        a_to_b = np.add.reduceat(np.maximum.reduceat(cells, col_starts, axis=1), row_starts, axis=0)
        a_to_b /= counts[start:stop, None]
        # B -> A: best match in A for each parameter of B, averaged over B's parameters
        b_to_a = np.add.reduceat(np.maximum.reduceat(cells, row_starts, axis=0), col_starts, axis=1)
        b_to_a /= counts[None, start:n]
        sim = (a_to_b + b_to_a) * 0.5
        if lexical is not None and lexical_weight > 0:
            sim *= 1.0 - lexical_weight
            sim += lexical_weight * (lexical[start:stop] @ lexical[start:].T)
        sim[:, : stop - start][np.tril_indices(stop - start)] = -np.inf
        collector.block(sim, start, threshold)
        if advance is not None:
            advance(stop - start)
        start = stop
    return collector.result()
