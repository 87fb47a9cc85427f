"""``agentscaler decontam RUN --against FILES...``: overlaps of a run with benchmarks.

Reads the run's ``tools.jsonl`` and, when they exist, ``domains.jsonl``, ``tasks.jsonl`` and
``filtered/kept.jsonl``; writes ``decontam/report.json``. A task is flagged when its intent is
near a benchmark question, or when its gold calls use a flagged tool (``scope="tools"``: when its
domain offers one). ``agentscaler export`` leaves the rows of flagged tasks out by default.
Embeddings share the run's cache (``graph/embeddings``), so tools the domain stage embedded are
not embedded again when the texts agree.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agentscaler.decontam.benchmarks import Benchmark, read_benchmark
from agentscaler.decontam.config import DecontamConfig
from agentscaler.decontam.intents import best_intent_matches, intent_pairs
from agentscaler.decontam.report import DecontamReport, TaskMatch, ToolMatch, report_path
from agentscaler.decontam.tools import best_matches, candidate_pairs, decontam_text, source_of
from agentscaler.graph.config import GraphConfig
from agentscaler.graph.embedder_base import Embedder
from agentscaler.graph.embedding_cache import EmbeddingCache, embed_texts
from agentscaler.jsonl import iter_json_lines, read_records, write_json
from agentscaler.records import Domain, Task, ToolSpec
from agentscaler.runlock import run_lock
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)


def make_decontam_embedder(config: DecontamConfig) -> Embedder:
    from agentscaler.graph.embedders import make_embedder

    graph = GraphConfig(
        embedder=config.embedder,
        embed_base_url=config.embed_base_url,
        embed_model=config.embed_model,
    )
    return make_embedder(graph)


def _vectors(texts: Sequence[str], embedder: Embedder, cache: EmbeddingCache | None) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return embed_texts(list(texts), embedder, cache)[0]


def match_tools(
    run: Sequence[ToolSpec],
    benchmark: Sequence[ToolSpec],
    embedder: Embedder,
    config: DecontamConfig,
    cache: EmbeddingCache | None = None,
) -> list[ToolMatch]:
    """The run's tools that overlap a benchmark tool, each with its strongest match."""
    if not run or not benchmark:
        return []
    run_vectors = _vectors([decontam_text(t) for t in run], embedder, cache)
    bench_vectors = _vectors([decontam_text(t) for t in benchmark], embedder, cache)
    pairs = candidate_pairs(run, benchmark, run_vectors, bench_vectors, config.neighbours)
    matches: list[ToolMatch] = []
    for index, (pair, kind) in sorted(best_matches(pairs, config).items()):
        tool, other = run[index], benchmark[pair.benchmark]
        matches.append(
            ToolMatch(
                tool_id=tool.id,
                name=tool.name,
                benchmark_tool_id=other.id,
                benchmark_name=other.name,
                benchmark_source=source_of(other),
                kind=kind,  # type: ignore[arg-type]
                signature=round(pair.signature, 4),
                name_similarity=round(pair.name, 4),
                parameter_similarity=round(pair.parameters, 4),
                description=round(pair.description, 4),
            )
        )
    return matches


def match_intents(
    tasks: Sequence[Task],
    benchmark: Benchmark,
    embedder: Embedder,
    config: DecontamConfig,
    cache: EmbeddingCache | None = None,
) -> list[TaskMatch]:
    """Tasks whose intent overlaps a benchmark question."""
    if not tasks or not benchmark.questions:
        return []
    intents = [t.intent for t in tasks]
    questions = [q.text for q in benchmark.questions]
    pairs = intent_pairs(
        intents,
        questions,
        _vectors(intents, embedder, cache),
        _vectors(questions, embedder, cache),
        config,
    )
    out: list[TaskMatch] = []
    for index, pair in sorted(best_intent_matches(pairs, config).items()):
        task, question = tasks[index], benchmark.questions[pair.question]
        out.append(
            TaskMatch(
                task_id=task.id,
                domain_id=task.domain_id,
                reason="intent",
                intent=task.intent,
                question_id=question.id,
                question=question.text,
                ngram=round(pair.ngram, 4),
                embedding=round(pair.embedding, 4),
            )
        )
    return out


def _tool_tasks(
    tasks: Sequence[Task],
    domains: Sequence[Domain],
    flagged: set[str],
    scope: str,
    skip: set[str],
) -> list[TaskMatch]:
    members = {d.id: {m.name: m.tool_id for m in d.members} for d in domains}
    out: list[TaskMatch] = []
    for task in tasks:
        if task.id in skip:
            continue
        names = members.get(task.domain_id, {})
        used = {c.name for c in task.gold_calls} if scope == "calls" else set(names)
        hits = sorted(n for n in used if names.get(n) in flagged)
        if hits:
            out.append(
                TaskMatch(
                    task_id=task.id,
                    domain_id=task.domain_id,
                    reason="tool",
                    intent=task.intent,
                    tools=tuple(hits),
                )
            )
    return out


def _kept(ws: Workspace) -> list[str]:
    """Task ids of the kept episodes (one per episode), or nothing before the filter ran."""
    path = ws.filtered_dir / "kept.jsonl"
    if not path.exists():
        return []
    return [
        data["task_id"]
        for _, data in iter_json_lines(path)
        if isinstance(data, dict) and isinstance(data.get("task_id"), str)
    ]


def decontaminate(
    root: Path,
    against: Sequence[str],
    config: DecontamConfig | None = None,
    *,
    embedder: Embedder | None = None,
) -> DecontamReport:
    """Compare run folder ``root`` with the benchmark files ``against``; write the report
    (holding the run folder's lock)."""
    with run_lock(root):
        return _decontaminate(Workspace(root), against, config or DecontamConfig(), embedder)


def _decontaminate(
    ws: Workspace,
    against: Sequence[str],
    config: DecontamConfig,
    embedder: Embedder | None,
) -> DecontamReport:
    root = ws.root
    tools = read_records(ws.require(ws.tools, "ingest"), ToolSpec)
    domains = read_records(ws.domains, Domain) if ws.domains.exists() else []
    tasks = read_records(ws.tasks, Task) if ws.tasks.exists() else []
    benchmark = read_benchmark(against)
    own = embedder is None
    embedder = embedder or make_decontam_embedder(config)
    try:
        cache = EmbeddingCache(ws.graph_dir / "embeddings", embedder.model_id, embedder.dim)
        tool_matches = match_tools(tools, benchmark.tools, embedder, config, cache)
        intent_matches = match_intents(tasks, benchmark, embedder, config, cache)
    finally:
        if own:
            embedder.close()
    flagged_tools = {m.tool_id for m in tool_matches}
    by_intent = {m.task_id for m in intent_matches}
    by_tool = _tool_tasks(tasks, domains, flagged_tools, config.scope, by_intent)
    task_matches = [*intent_matches, *by_tool]
    flagged = sorted({m.task_id for m in task_matches})
    kept = _kept(ws)
    flagged_set = set(flagged)
    report = DecontamReport(
        against=tuple(against),
        embedder=embedder.model_id,
        settings=config.model_dump(mode="json"),
        benchmark_tools=len(benchmark.tools),
        benchmark_questions=len(benchmark.questions),
        tools_checked=len(tools),
        tools_flagged=len(tool_matches),
        tools_exact=sum(1 for m in tool_matches if m.kind == "exact"),
        tasks_checked=len(tasks),
        tasks_flagged=len(flagged),
        tasks_by_intent=len(by_intent),
        tasks_by_tool=len(by_tool),
        kept_episodes=len(kept),
        kept_episodes_flagged=sum(1 for t in kept if t in flagged_set),
        tool_matches=tuple(tool_matches),
        task_matches=tuple(sorted(task_matches, key=lambda m: m.task_id)),
        flagged_tasks=tuple(flagged),
    )
    path = report_path(root)
    write_json(path, report.to_json_dict())
    log.info(
        "%d of %d tools and %d of %d tasks overlap the benchmark; report in %s",
        report.tools_flagged,
        report.tools_checked,
        report.tasks_flagged,
        report.tasks_checked,
        path,
    )
    return report


def summary(report: DecontamReport) -> dict[str, Any]:
    """The report's counts (what the CLI prints)."""
    return {
        "benchmark tools / questions": f"{report.benchmark_tools} / {report.benchmark_questions}",
        "tools flagged": f"{report.tools_flagged} of {report.tools_checked} "
        f"({report.tools_exact} exact copies)",
        "tasks flagged": f"{report.tasks_flagged} of {report.tasks_checked} "
        f"({report.tasks_by_intent} by intent, {report.tasks_by_tool} by a flagged tool)",
        "kept episodes left out of export": f"{report.kept_episodes_flagged} of "
        f"{report.kept_episodes}",
    }
