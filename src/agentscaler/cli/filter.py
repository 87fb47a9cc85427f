"""``agentscaler filter``: the three-stage filter over a run folder's episodes."""

from __future__ import annotations

from pathlib import Path

import typer

from agentscaler.cli.common import (
    EXECUTOR_OPTION,
    RAY_ADDRESS_OPTION,
    WORKERS_OPTION,
    console,
    shard_failures,
    stage_executor,
)


def filter_command(
    run_dir: Path = typer.Argument(..., help="Run folder with tasks.jsonl, worlds/ and episodes/."),
    ngram_n: int | None = typer.Option(None, help="n of the word n-grams of the repetition check."),
    max_repeat_ratio: float | None = typer.Option(
        None, help="Reject an assistant message whose share of repeated n-grams exceeds this."
    ),
    max_failing_calls: int | None = typer.Option(
        None, help="Reject when one identical failing call is repeated this many times."
    ),
    order_insensitive: bool | None = typer.Option(
        None,
        "--order-insensitive/--order-sensitive",
        help="Compare read-only call sequences as multisets (independent reads).",
    ),
    strict_exact: bool | None = typer.Option(
        None,
        "--strict-exact/--lenient-exact",
        help="Also compare calls that returned an error with the gold (default: only successful calls).",
    ),
    executor: str = EXECUTOR_OPTION,
    workers: int = WORKERS_OPTION,
    ray_address: str | None = RAY_ADDRESS_OPTION,
) -> None:
    """Keep only episodes that are well formed, reach the gold final state and, for read-only
    tasks, make exactly the gold calls. Writes filtered/kept.jsonl, rejected.jsonl, funnel.json."""
    from rich.table import Table

    from agentscaler.filter.config import FilterConfig
    from agentscaler.filter.stage import run_filter
    from agentscaler.progress import progress_bar
    from agentscaler.workspace import Workspace

    overrides = {
        "ngram_n": ngram_n,
        "ngram_max_repeat_ratio": max_repeat_ratio,
        "max_identical_failing_calls": max_failing_calls,
        "exact_order_insensitive": order_insensitive,
        "exact_include_failed_calls": strict_exact,
    }
    config = FilterConfig(**{k: v for k, v in overrides.items() if v is not None})
    ws = Workspace(run_dir)
    total = 0
    for path in ws.episode_files():
        with path.open("rb") as handle:
            total += sum(1 for line in handle if line.strip())
    runner = stage_executor(executor, workers, ray_address)
    try:
        with progress_bar("verifying episodes", total or None) as advance:
            result = run_filter(run_dir, config, advance=advance, executor=runner)
    finally:
        runner.close()
    shard_failures("filter", result.shard_failures)
    funnel = result.funnel
    table = Table(title=f"filter funnel: {funnel.kept} of {funnel.episodes} episodes kept")
    table.add_column("stage")
    table.add_column("input", justify="right")
    table.add_column("rejected", justify="right")
    table.add_column("reasons")
    for stage in funnel.stages:
        reasons = ", ".join(f"{r}: {n}" for r, n in stage.reasons.items()) or "-"
        table.add_row(stage.stage, str(stage.input), str(stage.rejected), reasons)
    console.print(table)
    console.print(
        f"kept {funnel.kept} ({funnel.error_recovered} recovered from a tool error); "
        f"wrote {ws.filtered_dir}"
    )
