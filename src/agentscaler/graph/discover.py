"""Domain discovery: tools -> embeddings -> similarity edges -> communities -> Domain records.

:func:`discover_domains` is the computation, free of run-folder concerns (the benchmarks and the
quality table call it directly); :mod:`agentscaler.graph.build` runs it as a pipeline stage.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agentscaler.errors import GraphError
from agentscaler.graph.communities import detect_communities
from agentscaler.graph.config import GraphConfig
from agentscaler.graph.dependencies import dependency_edges, port_texts
from agentscaler.graph.embedders import Embedder, make_embedder
from agentscaler.graph.embedding_cache import EmbeddingCache, embed_texts
from agentscaler.graph.labels import DomainNamer, domain_id, domain_name
from agentscaler.graph.lexical import combine, lexical_vectors
from agentscaler.graph.similarity import SimilarityEdges, param_edges, tool_edges
from agentscaler.graph.texts import has_parameters, parameter_texts, tool_text
from agentscaler.graph.units import UnitReport, describe_units, unit_communities
from agentscaler.naming import classify_tool
from agentscaler.records.domain import Domain, DomainMember, DomainStats
from agentscaler.records.tool import ToolSpec

log = logging.getLogger(__name__)


class Reporter:
    """How the computation reports progress: phases with a known or unknown amount of work.

    The default reports nothing; the CLI passes one backed by rich progress bars.
    """

    @contextmanager
    def phase(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        yield lambda n=1: None

    def set_total(self, total: int) -> None:
        """Change the total of the current phase (when it is known only once work starts)."""


@dataclass
class Discovery:
    """Everything domain discovery computed."""

    tools: list[ToolSpec]
    """The pool in graph order (sorted by id, duplicates of an id removed)."""
    edges: SimilarityEdges
    communities: list[list[int]]
    domains: list[Domain]
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    units: UnitReport | None = None
    """How services were kept together (None: flat grouping)."""

    def size_distribution(self) -> dict[str, float]:
        sizes = np.array([len(c) for c in self.communities] or [0])
        return {
            "min": int(sizes.min()),
            "median": float(np.median(sizes)),
            "mean": round(float(sizes.mean()), 2),
            "p90": float(np.percentile(sizes, 90)),
            "max": int(sizes.max()),
            "singletons": int((sizes == 1).sum()),
        }

    def stats(self, config: GraphConfig) -> dict[str, Any]:
        return {
            "tools": len(self.tools),
            "similarity_edges": len(self.edges),
            "domains": len(self.domains),
            "dependency_edges": sum(len(d.edges) for d in self.domains),
            "sizes": self.size_distribution(),
            "counts": dict(sorted(self.counts.items())),
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "warnings": list(self.warnings),
            "units": self.units.as_dict() if self.units is not None else None,
            "config": config.model_dump(mode="json"),
        }


def prepare_tools(tools: Sequence[ToolSpec]) -> tuple[list[ToolSpec], list[str]]:
    """The pool sorted by id without repeated ids, and warnings about what was found."""
    if not tools:
        raise GraphError(
            "the tool pool is empty: there is nothing to group into domains. Import a catalog "
            "first (`agentscaler tools import SOURCE... --out tools.jsonl`) or use `--tools builtin`."
        )
    warnings: list[str] = []
    unique: dict[str, ToolSpec] = {}
    for tool in tools:
        unique.setdefault(tool.id, tool)
    if len(unique) < len(tools):
        warnings.append(
            f"{len(tools) - len(unique)} tool records repeat an id already in the pool; each id is "
            "used once (re-import the catalog to merge duplicates with their provenance)"
        )
    pool = sorted(unique.values(), key=lambda t: t.id)
    names = Counter(t.name for t in pool)
    repeated = sorted(n for n, c in names.items() if c > 1)
    if repeated:
        shown = ", ".join(repeated[:5]) + (" ..." if len(repeated) > 5 else "")
        warnings.append(
            f"{len(repeated)} tool names belong to more than one tool ({shown}); tools of one "
            "name in the same domain cannot be told apart by a world: rename them or re-import "
            "the catalog, which makes names unique"
        )
    if len(pool) == 1:
        warnings.append(
            "the pool holds a single tool: it becomes a one-tool domain (walks need several "
            "tools; add more tools for multi-step tasks)"
        )
    return pool, warnings


def _cache(run_graph_dir: Path | None, embedder: Embedder) -> EmbeddingCache | None:
    if run_graph_dir is None:
        return None
    return EmbeddingCache(run_graph_dir / "embeddings", embedder.model_id, embedder.dim)


def embedding_texts(
    tools: Sequence[ToolSpec], config: GraphConfig
) -> tuple[list[str], np.ndarray | None]:
    """What gets embedded: one text per tool, or (parameter granularity) one per parameter with
    each tool's row offsets."""
    words = config.max_description_words
    if config.granularity == "tool":
        texts = [tool_text(t, max_params=config.max_params, description_words=words) for t in tools]
        return texts, None
    per_tool = [
        parameter_texts(t, max_params=config.max_params, description_words=words) for t in tools
    ]
    offsets = np.cumsum([0] + [len(g) for g in per_tool])
    return [text for group in per_tool for text in group], offsets


def tool_vectors(
    tools: Sequence[ToolSpec],
    config: GraphConfig,
    embedder: Embedder,
    *,
    cache: EmbeddingCache | None = None,
) -> np.ndarray:
    """One row per tool whose dot products are the tool-granularity similarity of Eq. 1 (the
    embedding mixed with the lexical channel at ``config.lexical_weight``), as the edges use it."""
    texts, _ = embedding_texts(tools, config.model_copy(update={"granularity": "tool"}))
    vectors, _ = embed_texts(texts, embedder, cache)
    if config.lexical_weight <= 0:
        return vectors
    return combine(vectors, lexical_vectors(tools, config.lexical_dim), config.lexical_weight)


def compute_edges(
    tools: Sequence[ToolSpec],
    config: GraphConfig,
    embedder: Embedder,
    *,
    cache: EmbeddingCache | None = None,
    reporter: Reporter | None = None,
    timings: dict[str, float] | None = None,
    counts: dict[str, int] | None = None,
) -> SimilarityEdges:
    """Embed the parameter lists of ``tools`` and link pairs above ``config.threshold``."""
    reporter = reporter or Reporter()
    timings = timings if timings is not None else {}
    counts = counts if counts is not None else {}
    started, cpu = time.perf_counter(), time.process_time()
    texts, offsets = embedding_texts(tools, config)
    with reporter.phase(f"embedding ({embedder.model_id})", None) as advance:
        vectors, embedded = embed_texts(
            texts, embedder, cache, on_total=reporter.set_total, advance=advance
        )
    counts["texts"] = len(texts)
    counts["texts_embedded"] = embedded
    timings["embed"] = time.perf_counter() - started
    timings["embed_cpu"] = time.process_time() - cpu

    started = time.perf_counter()
    weight = config.lexical_weight
    lexical = lexical_vectors(tools, config.lexical_dim) if weight > 0 else None
    with reporter.phase(f"similarity edges (tau={config.threshold})", len(tools)) as advance:
        if offsets is None:
            combined = combine(vectors, lexical, weight) if lexical is not None else vectors
            edges = tool_edges(
                combined,
                config.threshold,
                max_neighbors=config.max_neighbors,
                block_rows=config.block_rows,
                advance=advance,
            )
        else:
            edges = param_edges(
                vectors,
                offsets,
                config.threshold,
                max_neighbors=config.max_neighbors,
                block_cells=config.block_rows * 8192,
                lexical=lexical,
                lexical_weight=weight,
                advance=advance,
            )
    timings["edges"] = time.perf_counter() - started
    return edges


def _domain_records(
    tools: Sequence[ToolSpec],
    edges: SimilarityEdges,
    communities: list[list[int]],
    config: GraphConfig,
    port_vectors: dict[str, np.ndarray] | None,
) -> list[Domain]:
    label = np.empty(len(tools), dtype=np.int64)
    for index, members in enumerate(communities):
        label[members] = index
    internal = label[edges.src] == label[edges.dst]
    inner_count = np.bincount(label[edges.src][internal], minlength=len(communities))
    inner_weight = np.bincount(
        label[edges.src][internal], weights=edges.weight[internal], minlength=len(communities)
    )
    namer = DomainNamer(tools)
    kinds = [classify_tool(t.name, t.tags) for t in tools]
    domains: list[Domain] = []
    for index, members in enumerate(communities):
        terms = namer.top_terms(members) or (namer.fallback_term(members, tools),)
        ordered = sorted(members, key=lambda i: (tools[i].name, tools[i].id))
        member_tools = [tools[i] for i in ordered]
        deps = dependency_edges(
            member_tools, vectors=port_vectors, threshold=config.dependency_threshold
        )
        reads = sum(1 for i in members if kinds[i] == "read")
        count = int(inner_count[index])
        domains.append(
            Domain(
                id=domain_id(index, terms),
                name=domain_name(terms),
                terms=tuple(terms),
                members=tuple(
                    DomainMember(tool_id=tools[i].id, name=tools[i].name, kind=kinds[i])
                    for i in ordered
                ),
                edges=tuple(deps),
                stats=DomainStats(
                    size=len(members),
                    reads=reads,
                    writes=len(members) - reads,
                    internal_similarity_edges=count,
                    dependency_edges=len(deps),
                    mean_similarity=round(float(inner_weight[index] / count), 4) if count else 0.0,
                ),
            )
        )
    return domains


def discover_domains(
    tools: Sequence[ToolSpec],
    config: GraphConfig | None = None,
    *,
    embedder: Embedder | None = None,
    graph_dir: Path | None = None,
    reporter: Reporter | None = None,
) -> Discovery:
    """Group ``tools`` into domains. ``graph_dir`` (optional) holds the embedding cache; an
    embedder made here from ``config`` is closed at the end (a given one is left open)."""
    config = config or GraphConfig()
    if embedder is not None:
        return _discover(tools, config, embedder, graph_dir, reporter or Reporter())
    made = make_embedder(config)
    try:
        return _discover(tools, config, made, graph_dir, reporter or Reporter())
    finally:
        made.close()


def _discover(
    tools: Sequence[ToolSpec],
    config: GraphConfig,
    embedder: Embedder,
    graph_dir: Path | None,
    reporter: Reporter,
) -> Discovery:
    pool, warnings = prepare_tools(tools)
    cache = _cache(graph_dir, embedder)
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    no_params = sum(1 for t in pool if not has_parameters(t))
    counts["tools_without_parameters"] = no_params
    if no_params:
        log.info("%d tools have no parameters: their name and description stand in", no_params)

    edges = compute_edges(
        pool, config, embedder, cache=cache, reporter=reporter, timings=timings, counts=counts
    )
    if len(pool) > 1 and len(edges) == 0:
        warnings.append(
            f"no pair of tools is more similar than the threshold {config.threshold}: the graph "
            "has no edge, so domains are single tools or tools merged with their most similar "
            "tool. Lower --threshold (or use the minilm embedder)."
        )

    started = time.perf_counter()
    units: UnitReport | None = None
    grouped = config.units == "service" and any(t.service is not None for t in pool)
    with reporter.phase(f"communities ({config.algorithm})", None):
        limits: dict[str, Any] = {
            "algorithm": config.algorithm,
            "resolution": config.resolution,
            "seed": config.seed,
            "min_size": config.min_size,
            "max_size": config.max_size,
            "small": config.small,
        }
        if grouped:
            communities, units = unit_communities(
                edges, pool, **limits, min_affinity=config.unit_affinity
            )
        else:
            communities = detect_communities(edges, **limits)
    timings["communities"] = time.perf_counter() - started
    degrees = edges.degrees()
    counts["isolated_tools"] = int((degrees == 0).sum())

    started = time.perf_counter()
    texts = port_texts(pool)
    with reporter.phase("field names", None) as advance:
        port_matrix, embedded = embed_texts(
            texts, embedder, cache, on_total=reporter.set_total, advance=advance
        )
    counts["field_names_embedded"] = embedded
    port_vectors = dict(zip(texts, port_matrix, strict=True))
    domains = _domain_records(pool, edges, communities, config, port_vectors)
    timings["domains"] = time.perf_counter() - started
    if units is not None:
        describe_units(units, pool, [d.id for d in domains], communities)
        for split in units.splits:
            warnings.append(
                f"service {split.service} has {split.tools} tools, more than max_size "
                f"{config.max_size}: it was split by similarity into parts of "
                f"{', '.join(str(p) for p in split.parts)} tools"
            )
    for message in warnings:
        log.warning("%s", message)
    return Discovery(pool, edges, communities, domains, timings, counts, warnings, units)
