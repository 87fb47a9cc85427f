"""``agentscaler run``: every stage, from tool catalogs to the report, in one resumable command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from agentscaler.cli.common import console


def run_command(
    tools: list[str] = typer.Option(
        None,
        "--tools",
        help="Tool catalogs to import (files, folders, globs); repeat the option. Default: the "
        "built-in catalog ('builtin').",
    ),
    out: Path = typer.Option(
        Path("runs/default"), "--out", help="Run folder (created, or resumed when it exists)."
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="OpenAI-compatible server (…/v1) for the agent and user models."
    ),
    agent_model: str | None = typer.Option(None, "--agent-model", help="Model playing the agent."),
    user_model: str | None = typer.Option(
        None, "--user-model", help="Model playing the user (default: the agent model)."
    ),
    api_key_env: str | None = typer.Option(
        None, "--api-key-env", help="Environment variable holding the server's API key."
    ),
    tool_call_parser: str | None = typer.Option(
        None,
        "--tool-call-parser",
        help="How to read tool calls a server returns as text: hermes, llama3, mistral, json, "
        "auto (default) or none; `agentscaler doctor` tells which one a server needs.",
    ),
    embedder: str | None = typer.Option(
        None, "--embedder", help="Embedder of domain discovery: minilm (default) or hash."
    ),
    per_domain: int | None = typer.Option(None, "--per-domain", help="Tasks per domain."),
    max_steps: int | None = typer.Option(None, "--max-steps", help="Longest gold chain."),
    trials: int | None = typer.Option(None, "--trials", help="Episodes per task (pass^k)."),
    concurrency: int | None = typer.Option(None, "--concurrency", help="Episodes in flight."),
    stage2_domains: str | None = typer.Option(
        None, "--stage2-domains", help="Comma-separated domains (names, ids, keywords) for stage 2."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed of every stage that samples."),
    executor: str = typer.Option(
        "local",
        "--executor",
        help="Where the heavy stages run their shards: local (worker processes) or ray (one Ray "
        "task per shard). Decides speed, never records: a run may be resumed on the other one.",
    ),
    workers: int = typer.Option(
        0, "--workers", min=0, help="Local worker processes (0: one per core; 1: this process)."
    ),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="Ray cluster to join with --executor ray (default: local)."
    ),
    stop_after: str | None = typer.Option(
        None,
        "--stop-after",
        help="Stop after this stage (ingest, domains, worlds, tasks, simulate, filter, export, "
        "report); rerun to continue.",
    ),
) -> None:
    """Run the whole pipeline: import tools, discover domains, compile worlds, synthesize tasks,
    simulate episodes (offline policies unless a model is given), filter, export and report.

    Every stage writes into one run folder and is skipped when a previous run finished it, so a
    stopped or crashed run continues where it stopped when the same command is run again.
    """
    from rich.table import Table

    from agentscaler.errors import UsageError
    from agentscaler.execution import ExecutionConfig
    from agentscaler.pipeline.run import run_pipeline

    if (agent_model or user_model) and not base_url:
        raise UsageError("--agent-model/--user-model need --base-url (the server to call)")
    if base_url and not agent_model:
        raise UsageError("--base-url needs --agent-model (and optionally --user-model)")
    if tool_call_parser and not base_url:
        raise UsageError("--tool-call-parser applies to LLM servers: give --base-url too")
    if executor not in ("local", "ray"):
        raise UsageError(f"--executor must be local or ray, not {executor!r}")
    if ray_address and executor != "ray":
        raise UsageError("--ray-address needs --executor ray")
    execution = ExecutionConfig(executor=executor, workers=workers, ray_address=ray_address)
    overrides: dict[str, Any] = {}

    def put(section: str, key: str, value: Any) -> None:
        if value is not None:
            overrides.setdefault(section, {})[key] = value

    if tools:
        overrides["sources"] = list(tools)
    if base_url:
        llm = {"base_url": base_url}
        if api_key_env:
            llm["api_key_env"] = api_key_env
        if tool_call_parser:
            llm["tool_call_parser"] = tool_call_parser
        overrides["simulate"] = {
            "agent": {**llm, "model": agent_model},
            "user": {**llm, "model": user_model or agent_model},
        }
        overrides["llm"] = {**llm, "model": agent_model}
    put("graph", "embedder", embedder)
    put("tasks", "per_domain", per_domain)
    put("tasks", "max_steps", max_steps)
    put("simulate", "trials", trials)
    put("simulate", "concurrency", concurrency)
    if stage2_domains:
        put("export", "stage2_domains", [d.strip() for d in stage2_domains.split(",") if d.strip()])
    if seed is not None:
        for section in ("graph", "worlds", "tasks", "simulate", "export"):
            put(section, "seed", seed)

    outcome = run_pipeline(
        out, overrides, stop_after=stop_after, console=console, execution=execution
    )
    table = Table(title=f"agentscaler run: {outcome.root}")
    table.add_column("stage")
    table.add_column("status")
    table.add_column("seconds", justify="right")
    table.add_column("result")
    for stage in outcome.stages:
        figures = ", ".join(f"{k}={v}" for k, v in stage.summary.items() if k != "seconds")
        seconds = f"{stage.seconds:.1f}" if stage.status != "skipped" else "-"
        table.add_row(stage.name, stage.status, seconds, figures)
    console.print(table)
    if outcome.complete:
        console.print(f"report: {outcome.root / 'report' / 'index.html'}", highlight=False)
    else:
        console.print(
            f"stopped after {outcome.stages[-1].name}; rerun the same command to continue"
        )
    losses = outcome.partial_failures()
    if losses:
        from agentscaler.cli.common import partial

        partial(f"the run is usable, but {'; '.join(losses)}")
