"""``agentscaler simulate DIR``: run user <-> agent <-> world episodes for a run's tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from agentscaler.cli.common import (
    EXECUTOR_OPTION,
    RAY_ADDRESS_OPTION,
    WORKERS_OPTION,
    console,
    stage_executor,
)
from agentscaler.llm.config import LLMConfig
from agentscaler.simulate.config import SimulateConfig

_SIM = SimulateConfig()
_LLM = LLMConfig()

_HELP_WHO = (
    "Say who plays: --offline (scripted user + oracle agent, no LLM), or --agent-model MODEL "
    "(and/or --user-model MODEL) with --base-url URL of an OpenAI-compatible server "
    "(vLLM, SGLang, Ollama, a hosted API). A side without a model is played offline."
)


_OPTIONS = {
    "timeout_s": "--request-timeout",
    "episode_timeout_s": "--episode-timeout",
    "retry_infrastructure": "--retry-failed",
}


def _llm_config(values: dict[str, Any]) -> Any:
    from agentscaler.cli.common import option_error

    try:
        return LLMConfig(**{k: v for k, v in values.items() if v is not None})
    except ValueError as exc:
        raise option_error(exc, _OPTIONS) from exc


def simulate_command(
    run_dir: Path = typer.Argument(
        ..., help="Run folder holding tasks.jsonl, worlds/ and states/ (episodes go to episodes/)."
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Play both sides offline: scripted user and oracle agent."
    ),
    agent_model: str = typer.Option(None, "--agent-model", help="Model that plays the agent."),
    user_model: str = typer.Option(None, "--user-model", help="Model that plays the user."),
    base_url: str = typer.Option(
        None,
        "--base-url",
        help=f"OpenAI-compatible server of the models, up to /v1 (default {_LLM.base_url}).",
    ),
    user_base_url: str = typer.Option(
        None, "--user-base-url", help="Another server for the user model (default: --base-url)."
    ),
    api_key_env: str = typer.Option(
        None,
        "--api-key-env",
        help=f"Environment variable holding the API key (default {_LLM.api_key_env}).",
    ),
    trials: int = typer.Option(
        None, "--trials", help=f"Episodes per task, k of pass^k (default {_SIM.trials})."
    ),
    concurrency: int = typer.Option(
        None,
        "--concurrency",
        help="Episodes in flight at once, shared among the worker processes "
        f"(default {_SIM.concurrency}).",
    ),
    executor: str = EXECUTOR_OPTION,
    workers: int = WORKERS_OPTION,
    ray_address: str = RAY_ADDRESS_OPTION,
    limit: int = typer.Option(None, "--limit", help="Simulate only the first N tasks."),
    tasks_file: Path = typer.Option(
        None, "--tasks-file", help="Tasks to simulate instead of DIR/tasks.jsonl."
    ),
    max_turns: int = typer.Option(
        None,
        "--max-turns",
        help=f"Messages agent and user may produce per episode (default {_SIM.max_turns}).",
    ),
    max_tool_calls: int = typer.Option(
        None,
        "--max-tool-calls",
        help=f"Tool calls the agent may make per episode (default {_SIM.max_tool_calls}).",
    ),
    episode_timeout: float = typer.Option(
        None,
        "--episode-timeout",
        help=f"Seconds one episode may take, retries included (default {_SIM.episode_timeout_s:g}).",
    ),
    request_timeout: float = typer.Option(
        None,
        "--request-timeout",
        help=f"Seconds one LLM request attempt may take (default {_LLM.timeout_s:g}).",
    ),
    max_retries: int = typer.Option(
        None,
        "--max-retries",
        help=f"Retries of an LLM request on 429, 5xx and timeouts (default {_LLM.max_retries}).",
    ),
    temperature: float = typer.Option(
        None,
        "--temperature",
        help=f"Sampling temperature of both models (default {_LLM.temperature}).",
    ),
    http_backend: str = typer.Option(
        None,
        "--http-backend",
        help="LLM HTTP stack: aiohttp or httpx (the openai SDK over that stack), or direct (bare "
        f"aiohttp POSTs without the SDK, least CPU per request) (default {_LLM.http_backend}).",
    ),
    tool_call_parser: str = typer.Option(
        None,
        "--tool-call-parser",
        help="How to read tool calls a server returns as text (no tool parser on the server): "
        "hermes (<tool_call>, Qwen), llama3, mistral ([TOOL_CALLS]), json, auto (by marker) or "
        f"none (default {_LLM.tool_call_parser}). `agentscaler doctor` tells which one a server "
        "needs.",
    ),
    shards: int = typer.Option(
        None,
        "--shards",
        help=f"Episode files under episodes/, fixed once a run starts (default {_SIM.shards}).",
    ),
    seed: int = typer.Option(
        None,
        "--seed",
        help=f"Base of the per-trial sampling seeds (default {_SIM.seed}).",
    ),
    retry_failed: bool = typer.Option(
        False,
        "--retry-failed",
        help="Run again stored episodes that ended by an infrastructure failure (LLM errors, "
        "timeouts, world bugs); their records are replaced.",
    ),
) -> None:
    """Simulate user <-> agent <-> world episodes for the tasks of DIR.

    A user pursues each task's intent while an agent acts in the task's world; episodes go to
    DIR/episodes/. Resumable: a rerun skips finished (task, trial) pairs.
    """
    from agentscaler.cli.common import option_error, shard_failures
    from agentscaler.errors import ShardsFailedError, UsageError
    from agentscaler.simulate.summary import reasons_table, summary_table

    if offline and (agent_model or user_model):
        raise UsageError("--offline plays both sides offline; drop --agent-model/--user-model")
    if not offline and not agent_model and not user_model:
        raise UsageError(f"no policy given. {_HELP_WHO}")
    if (agent_model or user_model) and not (base_url or user_base_url):
        console.print(
            "[yellow]no --base-url given: using the LLMConfig default server[/]", highlight=False
        )
    shared = {
        "api_key_env": api_key_env,
        "timeout_s": request_timeout,
        "max_retries": max_retries,
        "temperature": temperature,
        "http_backend": http_backend,
        "tool_call_parser": tool_call_parser,
    }
    agent = (
        _llm_config({**shared, "base_url": base_url, "model": agent_model}) if agent_model else None
    )
    user = (
        _llm_config({**shared, "base_url": user_base_url or base_url, "model": user_model})
        if user_model
        else None
    )
    values = {
        "trials": trials,
        "concurrency": concurrency,
        "limit": limit,
        "max_turns": max_turns,
        "max_tool_calls": max_tool_calls,
        "episode_timeout_s": episode_timeout,
        "shards": shards,
        "seed": seed,
        "retry_infrastructure": retry_failed or None,
    }
    try:
        config = SimulateConfig(
            agent=agent, user=user, **{k: v for k, v in values.items() if v is not None}
        )
    except ValueError as exc:
        raise option_error(exc, _OPTIONS) from exc

    runner = stage_executor(executor, workers, ray_address)
    try:
        stats, plan = _run(run_dir, config, tasks_file, runner, agent, user)
    except ShardsFailedError as exc:
        shard_failures("simulate", exc.failures)
        raise
    finally:
        runner.close()
    console.print(summary_table(stats))
    reasons = reasons_table(stats)
    if reasons is not None:
        console.print(reasons)
        for example in stats.examples:
            console.print(f"  [dim]{example}[/]", highlight=False)
    console.print(f"episodes in {plan.store.root}", highlight=False)
    _exit_status(stats, run_dir)


def _run(
    run_dir: Path,
    config: SimulateConfig,
    tasks_file: Path | None,
    runner: Any,
    agent: LLMConfig | None,
    user: LLMConfig | None,
) -> tuple[Any, Any]:
    """Plan and run the episodes with a progress bar; the run's totals and its plan."""
    import time

    from agentscaler.progress import make_progress
    from agentscaler.simulate.build import open_simulation, run_simulation
    from agentscaler.simulate.summary import RunStats

    with open_simulation(run_dir, config, tasks_file=tasks_file, executor=runner) as plan:
        who = (
            f"agent [bold]{agent.model if agent else 'oracle (offline)'}[/], "
            f"user [bold]{user.model if user else 'scripted (offline)'}[/]"
        )
        where = (
            "in this process"
            if plan.executor.loads_worlds
            else f"{runner.workers} {runner.name} workers"
        )
        console.print(
            f"{len(plan.tasks)} tasks x {config.trials} trials: {plan.pending} episodes to run, "
            f"{plan.done.episodes} already stored; {who}; {where}",
            highlight=False,
        )
        live = RunStats()
        progress = make_progress(extra=(_stats_column(),))
        with progress:
            bar = progress.add_task("simulating", total=plan.pending, stats="")
            started = time.perf_counter()

            def on_outcome(outcome: Any) -> None:
                live.add(outcome)
                elapsed = time.perf_counter() - started
                progress.update(bar, advance=1, stats=_live_text(live, elapsed))

            return run_simulation(plan, on_outcome), plan


def _exit_status(stats: Any, run_dir: Path) -> None:
    """Exit 1 when every episode failed for infrastructure reasons, 3 when some did."""
    from agentscaler.cli.common import fail, partial

    if not stats.infrastructure:
        return
    counts = ", ".join(
        f"{t} {n}" for t, n in sorted(stats.by_termination.items()) if t != "user_stop"
    )
    first = f"; first: {stats.examples[0].strip()}" if stats.examples else ""
    retry = (
        f"Fix the server or the model settings, then run the same command with --retry-failed "
        f"to run them again (the other episodes in {run_dir} are kept)"
    )
    if stats.infrastructure >= stats.episodes:
        fail(
            f"every one of the {stats.episodes} episodes failed for infrastructure reasons "
            f"({counts}){first}. {retry}."
        )
    partial(
        f"{stats.infrastructure} of {stats.episodes} episodes failed for infrastructure reasons "
        f"({counts}). {retry}."
    )


def _stats_column() -> Any:
    from rich.progress import TextColumn

    return TextColumn("{task.fields[stats]}")


def _live_text(stats: Any, elapsed: float) -> str:
    gold = f"gold {100 * stats.gold_rate:.1f}%"
    failures = {t: n for t, n in stats.by_termination.items() if t != "user_stop"}
    failed = ", ".join(f"{t} {n}" for t, n in sorted(failures.items())) or "no failures"
    parts = [gold, failed]
    if stats.tokens and elapsed > 0:
        parts.append(f"{stats.tokens / elapsed:,.0f} tok/s")
    return " | ".join(parts)
