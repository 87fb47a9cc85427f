"""Blocked similarity edges agree with a brute-force reading of Eq. 1."""

from __future__ import annotations

import numpy as np
import pytest

from agentscaler.graph.similarity import knn_union, param_edges, tool_edges


def unit_rows(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    # a few clusters so that pairs above the threshold exist
    x[: n // 2] += 3 * rng.normal(size=d).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute_edges(sim: np.ndarray, threshold: float) -> dict[tuple[int, int], float]:
    n = len(sim)
    return {(i, j): sim[i, j] for i in range(n) for j in range(i + 1, n) if sim[i, j] > threshold}


def as_dict(edges) -> dict[tuple[int, int], float]:
    return {
        (int(a), int(b)): float(w)
        for a, b, w in zip(edges.src, edges.dst, edges.weight, strict=True)
    }


@pytest.mark.parametrize("block_rows", [1, 7, 64])
def test_tool_edges_match_brute_force_for_any_block_size(block_rows):
    x = unit_rows(50, 16, seed=1)
    sim = x @ x.T
    expected = brute_edges(sim, 0.3)
    got = as_dict(tool_edges(x, 0.3, block_rows=block_rows))
    assert got.keys() == expected.keys() and len(got) > 20
    assert all(abs(got[k] - expected[k]) < 1e-5 for k in got)


@pytest.mark.parametrize(("threshold", "k"), [(0.99, 0), (0.3, 2), (0.3, 0)])
def test_nearest_neighbour_is_found_above_or_below_the_threshold(threshold, k):
    x = unit_rows(30, 8, seed=2)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    edges = tool_edges(x, threshold, max_neighbors=k, block_rows=4)
    assert np.array_equal(edges.nearest, sim.argmax(axis=1))
    assert np.allclose(edges.nearest_weight, sim.max(axis=1), atol=1e-5)
    params = param_edges(x, np.arange(31), threshold, max_neighbors=k, block_cells=64)
    assert np.array_equal(params.nearest, edges.nearest)


@pytest.mark.parametrize(("n", "block_rows"), [(40, 8), (300, 64)])
def test_knn_union_keeps_edges_strong_for_either_end(n, block_rows):
    x = unit_rows(n, 8, seed=3)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    k = 3
    # brute force: the k strongest pairs of every tool, then the union over tools
    top = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    expected = {(min(i, int(j)), max(i, int(j))) for i in range(n) for j in top[i]}
    got = as_dict(tool_edges(x, -1.0, max_neighbors=k, block_rows=block_rows))
    assert got.keys() == expected
    degrees = np.bincount(np.array(list(got)).ravel(), minlength=n)
    assert degrees.min() >= k


def test_knn_union_is_exact_when_pruning_in_pieces():
    rng = np.random.default_rng(4)
    src = rng.integers(0, 20, 300)
    dst = rng.integers(0, 20, 300)
    keep = src < dst
    src, dst = src[keep], dst[keep]
    pairs = dict.fromkeys(zip(src.tolist(), dst.tolist(), strict=True))
    src = np.array([p[0] for p in pairs], dtype=np.int32)
    dst = np.array([p[1] for p in pairs], dtype=np.int32)
    weight = rng.random(len(src)).astype(np.float32)
    whole = set(zip(*knn_union(src, dst, weight, 20, 2)[:2], strict=True))
    half = len(src) // 2
    first = knn_union(src[:half], dst[:half], weight[:half], 20, 2)
    merged = [np.concatenate([a, b[half:]]) for a, b in zip(first, (src, dst, weight), strict=True)]
    pieces = set(zip(*knn_union(*merged, 20, 2)[:2], strict=True))
    assert whole == pieces


def test_param_edges_are_the_symmetric_mean_of_best_matches():
    x = unit_rows(24, 8, seed=5)
    counts = [1, 3, 2, 4, 1, 2, 3, 2, 2, 4]
    offsets = np.cumsum([0, *counts])
    n = len(counts)
    expected = np.zeros((n, n))
    for a in range(n):
        pa = x[offsets[a] : offsets[a + 1]]
        for b in range(n):
            pb = x[offsets[b] : offsets[b + 1]]
            cells = pa @ pb.T
            expected[a, b] = (cells.max(axis=1).mean() + cells.max(axis=0).mean()) / 2
    brute = brute_edges(expected, 0.1)
    for block_cells in (1, 50, 10**6):
        got = as_dict(param_edges(x, offsets, 0.1, block_cells=block_cells))
        assert got.keys() == brute.keys()
        assert all(abs(got[k] - brute[k]) < 1e-5 for k in got)


def test_param_edges_mix_in_the_lexical_channel():
    x = unit_rows(6, 8, seed=6)
    offsets = np.arange(7)
    lexical = unit_rows(6, 4, seed=7)
    got = as_dict(param_edges(x, offsets, -1.0, lexical=lexical, lexical_weight=0.25))
    expected = 0.75 * (x @ x.T) + 0.25 * (lexical @ lexical.T)
    assert all(abs(w - expected[k]) < 1e-5 for k, w in got.items()) and len(got) == 15


def test_param_edges_need_a_vector_per_tool():
    with pytest.raises(ValueError, match="at least one"):
        param_edges(unit_rows(2, 4, 0), np.array([0, 2, 2]), 0.5)
