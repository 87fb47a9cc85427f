"""Each stage of ``agentscaler run`` as one function over the run folder.

A stage function takes the workspace, the run's config and a :class:`StageContext` (the console,
the executor the heavy stages run their shards on, and the stage's tracker: shards done, records
per second, time left), runs the stage's library entry point (the same one its own command uses)
and returns a few summary figures; ``shard_failures`` among them lists shards that no worker
could finish (the stage is then left unfinished for a rerun, and the run goes on). Stages resume their own unfinished work (worlds per domain, tasks per domain, episodes
per (task, trial)). Each stage also says which of the run's settings it records in its
completion marker (``settings``), the same dict its library entry point records, so ``run`` can
tell a ``run.json`` that disagrees with the data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from agentscaler.errors import AgentscalerError, ConfigError, RunFolderError, SimulationError
from agentscaler.execution import ExecutionConfig, Executor, ShardFailure
from agentscaler.execution.tracking import StageTracker
from agentscaler.pipeline.config import RunConfig
from agentscaler.progress import PhaseProgress
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class StageContext:
    """What a stage runs with besides its settings."""

    console: Console
    executor: Executor
    execution: ExecutionConfig
    tracker: StageTracker


StageFn = Callable[[Workspace, RunConfig, StageContext], dict[str, Any]]


SettingsFn = Callable[[RunConfig], Any]


@dataclass(frozen=True)
class Stage:
    name: str
    title: str
    run: StageFn
    settings: SettingsFn
    """The settings the stage records in its marker, from the run's config."""
    section: str
    """The section of ``run.json`` those settings come from ("" for top-level names)."""


@contextmanager
def _llm_client(config: RunConfig, needed: bool):
    if not needed:
        yield None
        return
    if config.llm is None:
        raise AgentscalerError(
            "an LLM pass is switched on but no server is configured: pass --base-url and a model"
        )
    from agentscaler.llm import ChatClient

    client = ChatClient(config.llm)
    try:
        yield client
    finally:
        client.close()


def ingest(ws: Workspace, config: RunConfig, ctx: StageContext) -> dict[str, Any]:
    from agentscaler.ingest import import_sources
    from agentscaler.ingest.export import write_pool

    result = import_sources(
        list(config.sources), config=config.ingest, progress=ctx.console.is_terminal
    )
    if not result.tools:
        unreadable = result.file_errors
        if unreadable:
            detail = "; ".join(str(r) for r in unreadable[:3])
            raise ConfigError(
                f"no tool could be imported: {detail}. Fix the paths given to --tools and run "
                "again."
            )
        write_pool(ws.tools, result.tools, result.rejects)
        raise AgentscalerError(
            f"no tool could be imported from {', '.join(config.sources)}: all "
            f"{len(result.rejects)} records were rejected; see {ws.tool_rejects} for each reason"
        )
    ws.root.mkdir(parents=True, exist_ok=True)
    write_pool(ws.tools, result.tools, result.rejects)
    summary = {"tools": len(result.tools), "rejected": len(result.rejects)}
    ctx.tracker.plan(1, len(result.tools) + len(result.rejects))
    ctx.tracker.done(len(result.tools) + len(result.rejects))
    ws.mark_done(
        "ingest",
        settings=ingest_settings(config),
        extra_inputs=ingest_inputs(config),
        summary=summary,
    )
    return summary


def ingest_settings(config: RunConfig) -> dict[str, Any]:
    from agentscaler.ingest.sources import stage_settings

    return stage_settings(config.sources, config.ingest)


def ingest_inputs(config: RunConfig) -> dict[str, str]:
    """The ingest stage's inputs that are not files of the run folder: the catalogs."""
    from agentscaler.ingest.sources import sources_hash

    return {"sources": sources_hash(list(config.sources), config.ingest)}


def domains(ws: Workspace, config: RunConfig, ctx: StageContext) -> dict[str, Any]:
    from agentscaler.graph import build_stage
    from agentscaler.ingest import load_pool

    pool = load_pool(ws.require(ws.tools, "ingest"))
    graph = config.graph
    if ctx.execution.executor == "ray":  # embedding shards on the same cluster
        graph = graph.model_copy(
            update={"executor": "ray", "ray_address": ctx.execution.ray_address}
        )
    ctx.tracker.plan(None, len(pool))
    reporter = PhaseProgress(Console(stderr=True))
    with _llm_client(config, config.graph.llm_edges) as client, reporter.progress:
        result = build_stage(ws, pool, graph, llm_client=client, reporter=reporter)
    ctx.tracker.done(len(pool), shards=0)
    return {"domains": len(result.discovery.domains), "edges": len(result.discovery.edges)}


def worlds(ws: Workspace, config: RunConfig, ctx: StageContext) -> dict[str, Any]:
    from agentscaler.worlds.build import build_worlds

    summary = build_worlds(ws, config.worlds, executor=ctx.executor, tracker=ctx.tracker)
    failed = summary.failed
    if failed:
        names = ", ".join(r.domain_id for r in failed[:5])
        ctx.console.print(
            f"[yellow]{len(failed)} world(s) failed conformance and are left out:[/] {names}"
            + (" ..." if len(failed) > 5 else ""),
            highlight=False,
        )
    if not summary.passed and not summary.shard_failures:
        raise AgentscalerError(
            f"no world passed the conformance check; see {ws.worlds_dir}/summary.json"
        )
    return {
        "worlds": summary.passed,
        "failed": len(failed),
        **_failures(summary.shard_failures),
    }


def tasks(ws: Workspace, config: RunConfig, ctx: StageContext) -> dict[str, Any]:
    from agentscaler.tasks import sample_tasks

    result = sample_tasks(
        ws, config.tasks, llm=config.llm, executor=ctx.executor, tracker=ctx.tracker
    )
    return {"tasks": result.summary.get("tasks", 0), **_failures(result.shard_failures)}


def simulate(ws: Workspace, config: RunConfig, ctx: StageContext) -> dict[str, Any]:
    from agentscaler.errors import ShardsFailedError
    from agentscaler.jsonl import iter_json_lines
    from agentscaler.simulate.build import simulate as run_simulation

    n_tasks = sum(1 for _ in iter_json_lines(ws.require(ws.tasks, "tasks")))
    total = n_tasks * config.simulate.trials
    # a stage that runs again retries episodes that failed for infrastructure reasons; the
    # episodes run on the run's executor, shard by shard, as the other heavy stages
    settings = config.simulate.model_copy(update={"retry_infrastructure": True})
    ctx.tracker.plan(config.simulate.shards, total)
    try:
        stats = run_simulation(
            ws.root,
            settings,
            on_outcome=lambda _o: ctx.tracker.done(1, shards=0),
            executor=ctx.executor,
        )
    except ShardsFailedError as exc:  # the other shards' episodes go on to the filter
        return _failures(exc.failures)
    ctx.tracker.done(0, shards=config.simulate.shards)
    if stats.episodes and stats.infrastructure >= stats.episodes:
        ws.clear_marker("simulate")
        first = f"; first: {stats.examples[0].strip()}" if stats.examples else ""
        raise SimulationError(
            f"every one of the {stats.episodes} episodes failed for infrastructure reasons"
            f"{first}. Fix the server or the model settings and run the same command again: "
            "it retries them."
        )
    return {
        "episodes": stats.episodes,
        "gold": stats.reached_gold,
        "infrastructure_failures": stats.infrastructure,
    }


def filter_(ws: Workspace, config: RunConfig, ctx: StageContext) -> dict[str, Any]:
    from agentscaler.filter.stage import run_filter

    result = run_filter(ws.root, config.filter, executor=ctx.executor, tracker=ctx.tracker)
    return {
        "episodes": result.funnel.episodes,
        "kept": result.funnel.kept,
        **_failures(result.shard_failures),
    }


def export(ws: Workspace, config: RunConfig, ctx: StageContext) -> dict[str, Any]:
    from agentscaler.errors import ShardsFailedError
    from agentscaler.export.build import export_dataset

    try:
        manifest = export_dataset(
            ws.root, config.export, executor=ctx.executor, tracker=ctx.tracker
        )
    except ShardsFailedError as exc:
        return _failures(exc.failures)
    return {split: stats.rows for split, stats in manifest.splits.items()}


def report(ws: Workspace, config: RunConfig, ctx: StageContext) -> dict[str, Any]:
    from agentscaler.evaluate.outputs import report as write_report

    ctx.tracker.plan(1, None)
    outputs = write_report(ws.root, ws.report_dir, config.eval)
    ctx.tracker.done(0)
    if outputs.html is None:
        raise RunFolderError(f"the report of {ws.root} has no HTML page")
    return {"report": str(outputs.html)}


def _failures(failures: list[ShardFailure]) -> dict[str, Any]:
    """The ``shard_failures`` figure of a stage summary (nothing when every shard finished)."""
    return {"shard_failures": [f.to_json() for f in failures]} if failures else {}


def _domains_settings(config: RunConfig) -> Any:
    from agentscaler.graph.build import stage_settings

    return stage_settings(config.graph, config.llm.model if config.llm else None)


def _tasks_settings(config: RunConfig) -> Any:
    model = config.llm.model if config.tasks.llm_intents and config.llm is not None else None
    return config.tasks.fingerprint_settings(model)


STAGES: tuple[Stage, ...] = (
    Stage("ingest", "import tool catalogs", ingest, ingest_settings, ""),
    Stage("domains", "discover domains", domains, _domains_settings, ""),
    Stage("worlds", "compile worlds", worlds, lambda c: c.worlds.compile_settings(), "worlds"),
    Stage("tasks", "synthesize tasks", tasks, _tasks_settings, "tasks"),
    Stage(
        "simulate",
        "simulate episodes",
        simulate,
        lambda c: c.simulate.stage_settings(),
        "simulate",
    ),
    Stage("filter", "verify and filter", filter_, lambda c: c.filter.verdict_settings(), "filter"),
    Stage("export", "export datasets", export, lambda c: c.export.dataset_settings(), "export"),
    Stage(
        "report", "evaluate and report", report, lambda c: c.eval.model_dump(mode="json"), "eval"
    ),
)
