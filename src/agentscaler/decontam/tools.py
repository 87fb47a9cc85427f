"""Tools of a run near benchmark tools: the same signature, a near signature, or a near text.

Candidates for each run tool: benchmark tools with the same normalized name, and its
``neighbours`` most similar benchmark tools by embedded text (blocked products, no ``n x m``
matrix). Each candidate pair gets a signature score (Jaccard of name words and of parameter
names, averaged), whether the tool is a renamed copy (the benchmark name's words kept, the same
parameters) and the cosine of the embedded texts; :func:`flag_kind` decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agentscaler.decontam.config import DecontamConfig
from agentscaler.decontam.text import name_key, renamed, signature, signature_score
from agentscaler.graph.texts import tool_text
from agentscaler.records.tool import ToolSpec

TEXT_WORDS = 32
"""Description words in a tool's embedded text (the graph uses 8; copies differ in the rest)."""
BLOCK = 1024


@dataclass(frozen=True)
class ToolPair:
    run: int
    benchmark: int
    signature: float
    name: float
    parameters: float
    description: float
    exact: bool
    renamed: bool


def decontam_text(tool: ToolSpec) -> str:
    return tool_text(tool, max_params=32, description_words=TEXT_WORDS)


def source_of(tool: ToolSpec) -> str:
    if not tool.provenance:
        return ""
    first = tool.provenance[0]
    return f"{first.source}:{first.index}" if first.index is not None else first.source


def nearest(a: np.ndarray, b: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosines of the ``k`` rows of ``b`` most similar to each row of ``a``."""
    k = min(k, len(b))
    if k == 0 or len(a) == 0:
        return np.zeros((len(a), 0), dtype=np.int64), np.zeros((len(a), 0), dtype=np.float32)
    index = np.empty((len(a), k), dtype=np.int64)
    score = np.empty((len(a), k), dtype=np.float32)
    for start in range(0, len(a), BLOCK):
        sims = a[start : start + BLOCK] @ b.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        rows = np.arange(len(top))[:, None]
        order = np.argsort(-sims[rows, top], axis=1, kind="stable")
        index[start : start + BLOCK] = top[rows, order]
        score[start : start + BLOCK] = sims[rows, top[rows, order]]
    return index, score


def candidate_pairs(
    run: Sequence[ToolSpec],
    benchmark: Sequence[ToolSpec],
    run_vectors: np.ndarray,
    benchmark_vectors: np.ndarray,
    neighbours: int,
) -> list[ToolPair]:
    """Every candidate pair, scored (several per run tool)."""
    by_name: dict[str, list[int]] = {}
    signatures: dict[tuple, list[int]] = {}
    for j, tool in enumerate(benchmark):
        by_name.setdefault(name_key(tool.name), []).append(j)
        signatures.setdefault(signature(tool), []).append(j)
    index, _ = nearest(run_vectors, benchmark_vectors, neighbours)
    pairs: list[ToolPair] = []
    for i, tool in enumerate(run):
        exact = set(signatures.get(signature(tool), ()))
        candidates = dict.fromkeys([*exact, *by_name.get(name_key(tool.name), ()), *index[i]])
        for j in candidates:
            j = int(j)
            score, name, params = signature_score(tool, benchmark[j])
            cosine = float(run_vectors[i] @ benchmark_vectors[j])
            copy = renamed(tool, benchmark[j])
            pairs.append(ToolPair(i, j, score, name, params, cosine, j in exact, copy))
    return pairs


def flag_kind(pair: ToolPair, config: DecontamConfig) -> str | None:
    """Why ``pair`` is an overlap (``exact``, ``renamed``, ``signature``, ``description``), or
    None."""
    if pair.exact:
        return "exact"
    if pair.renamed:
        return "renamed"
    if pair.signature >= config.signature_threshold:
        return "signature"
    if (
        pair.description >= config.description_threshold
        and pair.parameters >= config.description_min_parameters
    ):
        return "description"
    return None


def best_matches(
    pairs: Sequence[ToolPair], config: DecontamConfig
) -> dict[int, tuple[ToolPair, str]]:
    """For each flagged run tool, its strongest flagged pair and why."""
    rank = {"exact": 3, "renamed": 2, "signature": 1, "description": 1}
    best: dict[int, tuple[ToolPair, str]] = {}
    for pair in pairs:
        kind = flag_kind(pair, config)
        if kind is None:
            continue
        key = (rank[kind], max(pair.signature, pair.description))
        current = best.get(pair.run)
        if current is None or key > (
            rank[current[1]],
            max(current[0].signature, current[0].description),
        ):
            best[pair.run] = (pair, kind)
    return best
