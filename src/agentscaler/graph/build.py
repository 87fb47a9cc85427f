"""The ``domains`` stage in a run folder.

Reads nothing but the tools it is given; writes

* ``graph/embeddings/<model>/``: the embedding cache (reused by every rerun with the same model),
* ``graph/edges.npz``: similarity edges (``src``, ``dst``, ``weight``, ``tool_ids``),
* ``graph/stats.json``: counts, size distribution, timings, warnings and the settings,
* ``graph/llm_edges.jsonl``: the LLM's decisions on dependency edges (when that pass runs),
* ``domains.jsonl``: one :class:`~agentscaler.records.Domain` a line,

and marks the stage done with a fingerprint of the settings and the pool, so a rerun with the
same input and settings can be skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agentscaler.graph.config import GraphConfig
from agentscaler.graph.discover import Discovery, Reporter, discover_domains
from agentscaler.graph.embedders import Embedder
from agentscaler.graph.llm_edges import review_edges
from agentscaler.jsonl import write_json, write_records
from agentscaler.records.domain import Domain
from agentscaler.records.tool import ToolSpec
from agentscaler.runlock import run_lock
from agentscaler.workspace import Workspace, fingerprint

log = logging.getLogger(__name__)

STAGE = "domains"


@dataclass
class StageResult:
    discovery: Discovery
    fingerprint: str
    llm_counts: dict[str, int] | None = None

    @property
    def domains(self) -> list[Domain]:
        return self.discovery.domains


def stage_fingerprint(
    tools: Sequence[ToolSpec], config: GraphConfig, llm_model: str | None = None
) -> str:
    """Hash of what decides the stage's output: the settings, the pool (tools and their
    services) and the LLM model."""
    return fingerprint(
        {
            "settings": config.fingerprint_settings(),
            "tools": sorted({(t.id, t.service or "") for t in tools}),
            "llm": llm_model if config.llm_edges else None,
        }
    )


def stage_settings(config: GraphConfig, llm_model: str | None = None) -> dict[str, object]:
    """The settings recorded in the stage's completion marker (what ``run`` checks)."""
    return {
        "graph": config.fingerprint_settings(),
        "llm": llm_model if config.llm_edges else None,
    }


def save_edges(path: Path, discovery: Discovery) -> None:
    """Similarity edges as ``edges.npz``: ``src``, ``dst``, ``weight`` and the ``tool_ids``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".edges.tmp.npz")
    try:
        np.savez_compressed(
            tmp,
            src=discovery.edges.src,
            dst=discovery.edges.dst,
            weight=discovery.edges.weight,
            tool_ids=np.array([t.id for t in discovery.tools]),
        )
    except OSError as exc:  # numpy names neither the file nor the errno of a short write
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    tmp.replace(path)


def load_edges(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def review_with_llm(
    discovery: Discovery, client: Any, cache_path: Path, reporter: Reporter | None = None
) -> dict[str, int]:
    """Let an LLM confirm or reject every dependency edge; update the domains in place."""
    reporter = reporter or Reporter()
    by_id = {t.id: t for t in discovery.tools}
    totals = {"asked": 0, "cached": 0, "yes": 0, "no": 0, "unclear": 0}
    candidates = sum(len(d.edges) for d in discovery.domains)
    reviewed: list[Domain] = []
    with reporter.phase(f"LLM review of {candidates} edges", candidates) as advance:
        for domain in discovery.domains:
            if not domain.edges:
                reviewed.append(domain)
                continue
            tools = {m.name: by_id[m.tool_id] for m in domain.members}
            kept, counts = review_edges(domain.edges, tools, client, cache_path, advance=advance)
            advance(counts["cached"])
            for key, value in counts.items():
                totals[key] += value
            stats = domain.stats.model_copy(
                update={"dependency_edges": len(kept), "rejected_edges": counts["no"]}
            )
            reviewed.append(domain.model_copy(update={"edges": tuple(kept), "stats": stats}))
    discovery.domains = reviewed
    return totals


def build_stage(
    workspace: Workspace,
    tools: Sequence[ToolSpec],
    config: GraphConfig | None = None,
    *,
    embedder: Embedder | None = None,
    llm_client: Any = None,
    reporter: Reporter | None = None,
) -> StageResult:
    """Discover domains of ``tools`` and write the stage's files into ``workspace``."""
    config = config or GraphConfig()
    if config.llm_edges and llm_client is None:
        from agentscaler.errors import ConfigError

        raise ConfigError(
            "llm_edges is on but no LLM client was given: pass --base-url and --model (or "
            "turn the LLM edge pass off)"
        )
    with run_lock(workspace.root, create=True):
        return _build_stage(workspace, tools, config, embedder, llm_client, reporter)


def _build_stage(
    workspace: Workspace,
    tools: Sequence[ToolSpec],
    config: GraphConfig,
    embedder: Embedder | None,
    llm_client: Any,
    reporter: Reporter | None,
) -> StageResult:
    graph_dir = workspace.graph_dir
    discovery = discover_domains(
        tools, config, embedder=embedder, graph_dir=graph_dir, reporter=reporter
    )
    llm_counts = None
    if config.llm_edges:
        started = time.perf_counter()
        llm_counts = review_with_llm(discovery, llm_client, graph_dir / "llm_edges.jsonl", reporter)
        discovery.timings["llm_edges"] = time.perf_counter() - started
    model = llm_client.config.model if llm_client is not None else None
    print_fp = stage_fingerprint(tools, config, model)
    save_edges(graph_dir / "edges.npz", discovery)
    stats = discovery.stats(config)
    if llm_counts is not None:
        stats["llm_edges"] = llm_counts
    write_json(graph_dir / "stats.json", stats)
    write_records(workspace.domains, discovery.domains)
    workspace.mark_done(
        STAGE,
        fingerprint=print_fp,
        settings=stage_settings(config, model),
        summary={
            "tools": len(discovery.tools),
            "similarity_edges": len(discovery.edges),
            "domains": len(discovery.domains),
        },
    )
    log.info("wrote %d domains to %s", len(discovery.domains), workspace.domains)
    return StageResult(discovery, print_fp, llm_counts)
