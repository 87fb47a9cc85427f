"""Each stage of ``agentscaler run`` as one function over the run folder.

A stage function takes the workspace, the run's config and the console, runs the stage's library
entry point (the same one its own command uses) with a progress bar, and returns a few summary
figures. Stages resume their own unfinished work (worlds per domain, tasks per domain, episodes
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
from agentscaler.pipeline.config import RunConfig
from agentscaler.progress import PhaseProgress, progress_bar
from agentscaler.workspace import Workspace

log = logging.getLogger(__name__)

StageFn = Callable[[Workspace, RunConfig, Console], dict[str, Any]]


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


def ingest(ws: Workspace, config: RunConfig, console: Console) -> dict[str, Any]:
    from agentscaler.ingest import import_sources
    from agentscaler.ingest.export import write_pool

    result = import_sources(
        list(config.sources), config=config.ingest, progress=console.is_terminal
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


def domains(ws: Workspace, config: RunConfig, console: Console) -> dict[str, Any]:
    from agentscaler.graph import build_stage
    from agentscaler.ingest import load_pool

    pool = load_pool(ws.require(ws.tools, "ingest"))
    reporter = PhaseProgress(Console(stderr=True))
    with _llm_client(config, config.graph.llm_edges) as client, reporter.progress:
        result = build_stage(ws, pool, config.graph, llm_client=client, reporter=reporter)
    return {"domains": len(result.discovery.domains), "edges": len(result.discovery.edges)}


def worlds(ws: Workspace, config: RunConfig, console: Console) -> dict[str, Any]:
    from agentscaler.jsonl import read_records
    from agentscaler.records import Domain
    from agentscaler.worlds.build import build_worlds

    total = len(read_records(ws.require(ws.domains, "domains"), Domain))
    with progress_bar("compiling worlds", total) as advance:
        summary = build_worlds(ws, config.worlds, progress=lambda _result: advance(1))
    failed = summary.failed
    if failed:
        names = ", ".join(r.domain_id for r in failed[:5])
        console.print(
            f"[yellow]{len(failed)} world(s) failed conformance and are left out:[/] {names}"
            + (" ..." if len(failed) > 5 else ""),
            highlight=False,
        )
    if not summary.passed:
        raise AgentscalerError(
            f"no world passed the conformance check; see {ws.worlds_dir}/summary.json"
        )
    return {"worlds": summary.passed, "failed": len(failed)}


def tasks(ws: Workspace, config: RunConfig, console: Console) -> dict[str, Any]:
    from agentscaler.jsonl import read_records
    from agentscaler.records import Domain
    from agentscaler.tasks import sample_tasks

    wanted = len(read_records(ws.require(ws.domains, "domains"), Domain)) * config.tasks.per_domain
    with progress_bar("sampling tasks", wanted) as advance:
        result = sample_tasks(ws, config.tasks, llm=config.llm, advance=advance)
    return {"tasks": result.summary.get("tasks", 0)}


def simulate(ws: Workspace, config: RunConfig, console: Console) -> dict[str, Any]:
    from agentscaler.jsonl import iter_json_lines
    from agentscaler.simulate.build import simulate as run_simulation

    n_tasks = sum(1 for _ in iter_json_lines(ws.require(ws.tasks, "tasks")))
    total = n_tasks * config.simulate.trials
    # a stage that runs again retries episodes that failed for infrastructure reasons
    settings = config.simulate.model_copy(update={"retry_infrastructure": True})
    with progress_bar("simulating episodes", total) as advance:
        stats = run_simulation(ws.root, settings, on_outcome=lambda _o: advance(1))
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


def filter_(ws: Workspace, config: RunConfig, console: Console) -> dict[str, Any]:
    from agentscaler.filter.stage import run_filter

    with progress_bar("verifying episodes", None) as advance:
        result = run_filter(ws.root, config.filter, advance=advance)
    return {"episodes": result.funnel.episodes, "kept": result.funnel.kept}


def export(ws: Workspace, config: RunConfig, console: Console) -> dict[str, Any]:
    from agentscaler.export.build import count_kept, export_dataset

    with progress_bar("exporting datasets", count_kept(ws.root)) as advance:
        manifest = export_dataset(ws.root, config.export, advance=advance)
    return {split: stats.rows for split, stats in manifest.splits.items()}


def report(ws: Workspace, config: RunConfig, console: Console) -> dict[str, Any]:
    from agentscaler.evaluate.outputs import report as write_report

    outputs = write_report(ws.root, ws.report_dir, config.eval)
    if outputs.html is None:
        raise RunFolderError(f"the report of {ws.root} has no HTML page")
    return {"report": str(outputs.html)}


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
