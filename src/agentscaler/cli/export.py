"""``agentscaler export``: kept episodes -> stage-1/stage-2/held-out training datasets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agentscaler.cli.common import (
    EXECUTOR_OPTION,
    RAY_ADDRESS_OPTION,
    WORKERS_OPTION,
    console,
    option_error,
    shard_failures,
    stage_executor,
)
from agentscaler.export.config import ExportConfig

if TYPE_CHECKING:
    from agentscaler.records.dataset import DatasetManifest


def _default(name: str) -> object:
    return ExportConfig.model_fields[name].default


def _split_list(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def print_manifest(manifest: DatasetManifest, dataset_dir: Path) -> None:
    """Print the splits, domains and input counts of an export."""
    from rich.table import Table

    table = Table(title=f"Dataset in {dataset_dir}")
    numbers = ("rows", "tasks", "tokens p50/p90/max", "fitted")
    for name in ("split", "rows", "tasks", "domains", "tokens p50/p90/max", "fitted", "files"):
        table.add_column(name, justify="right" if name in numbers else "left")
    for split, stats in manifest.splits.items():
        domains = ", ".join(d.name for d in stats.domains[:4])
        if len(stats.domains) > 4:
            domains += f", +{len(stats.domains) - 4}"
        tokens = stats.tokens
        lengths = f"{tokens.p50}/{tokens.p90}/{tokens.max}" if tokens and tokens.measured else "–"
        fitted = f"{tokens.tools_trimmed}+{tokens.truncated}" if tokens else "–"
        table.add_row(
            split,
            str(stats.rows),
            str(stats.tasks),
            domains or "–",
            lengths,
            fitted,
            " ".join(stats.files.values()),
        )
    console.print(table)
    counts = manifest.input
    notes = [
        f"kept verdicts {counts.kept_verdicts}",
        f"rows {counts.rows}",
        f"held-out tasks {manifest.heldout_tasks} (fraction {manifest.heldout_fraction:g}, "
        f"seed {manifest.seed})",
    ]
    if counts.duplicate_episodes:
        notes.append(f"duplicate episodes skipped {counts.duplicate_episodes}")
    if counts.without_assistant:
        notes.append(f"episodes without assistant turns left out {counts.without_assistant}")
    if counts.unknown_tasks:
        notes.append(f"episodes of tasks missing from tasks.jsonl {counts.unknown_tasks}")
    if counts.decontaminated:
        notes.append(
            f"episodes of tasks overlapping a benchmark left out {counts.decontaminated} "
            "(decontam/report.json; --keep-flagged keeps them)"
        )
    if manifest.stage2_auto:
        chosen = ", ".join(manifest.stage2_domains) or "none (no kept training episode)"
        notes.append(f"stage 2 chosen automatically (most kept episodes): {chosen}")
    elif manifest.stage2_keywords:
        notes.append(
            f"stage 2: {', '.join(manifest.stage2_keywords)} -> "
            f"{', '.join(manifest.stage2_domains)}"
        )
    lengths = manifest.lengths
    if lengths is not None and lengths.measured:
        notes.append(
            f"rows measured in {lengths.tokenizer} tokens ({lengths.template} template), fitted "
            f"to {lengths.budget} (fitted = tool lists trimmed + rows cut at a turn)"
        )
    elif lengths is not None:
        notes.append(f"rows not measured in tokens: {lengths.note}")
    if manifest.sharegpt is not None:
        share = manifest.sharegpt
        notes.append(
            f"ShareGPT rows {share.rows} (skipped {share.skipped}, "
            f"texts beside tool calls dropped {share.dropped_texts})"
        )
    console.print("; ".join(notes), highlight=False)


def export_command(
    run_dir: Path = typer.Argument(
        ...,
        help="Run folder with domains.jsonl, tasks.jsonl, episodes/, filtered/kept.jsonl and "
        "worlds/<domain>/tools.json.",
        show_default=False,
    ),
    stage2_domains: str | None = typer.Option(
        None,
        "--stage2-domains",
        help="Comma-separated vertical domains for stage 2: domain ids, names or keywords matched "
        f"against domain names and terms. Default: the {_default('stage2_auto')} domains with "
        "the most kept training episodes.",
        show_default=False,
    ),
    heldout_fraction: float | None = typer.Option(
        None,
        "--heldout-fraction",
        help="Share of tasks kept apart for evaluation, chosen by task-id hash. "
        f"Default: {_default('heldout_fraction')}.",
        show_default=False,
    ),
    seed: int | None = typer.Option(
        None,
        "--seed",
        help=f"Seed of the held-out choice. Default: {_default('seed')}.",
        show_default=False,
    ),
    max_tokens: int | None = typer.Option(
        None,
        "--max-tokens",
        help="Token budget of a row (Qwen3 tokens, official chat template): longer rows get the "
        "tools they call plus sampled distractors, then are cut after the last assistant turn "
        f"that fits; 0 only measures. Default: {_default('max_tokens')}.",
        show_default=False,
    ),
    formats: str | None = typer.Option(
        None,
        "--formats",
        help="Comma-separated formats among parquet, jsonl, sharegpt, swift. "
        f"Default: {','.join(_default('formats'))}.",
        show_default=False,
    ),
    keep_flagged: bool = typer.Option(
        False,
        "--keep-flagged",
        help="Keep the rows of tasks `agentscaler decontam` flagged (left out by default).",
    ),
    force: bool = typer.Option(
        False, "--force", help="Export again even if the dataset is up to date."
    ),
    executor: str = EXECUTOR_OPTION,
    workers: int = WORKERS_OPTION,
    ray_address: str | None = RAY_ADDRESS_OPTION,
) -> None:
    """Export kept episodes as SFT datasets: dataset/stage1, stage2 and heldout (Parquet, JSON
    Lines, LLaMA-Factory ShareGPT, ms-swift) with assistant-only train flags, rows measured in
    tokens and fitted to a budget, plus dataset/manifest.json."""
    from pydantic import ValidationError

    from agentscaler.errors import ShardsFailedError
    from agentscaler.export.build import count_kept, export_dataset
    from agentscaler.progress import progress_bar
    from agentscaler.workspace import Workspace

    overrides = {
        "stage2_domains": _split_list(stage2_domains),
        "heldout_fraction": heldout_fraction,
        "seed": seed,
        "max_tokens": max_tokens,
        "formats": _split_list(formats),
        "decontaminate": False if keep_flagged else None,
    }
    try:
        config = ExportConfig(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise option_error(exc) from exc
    runner = stage_executor(executor, workers, ray_address)
    try:
        with progress_bar("exporting kept episodes", count_kept(run_dir)) as advance:
            manifest = export_dataset(
                run_dir, config, force=force, advance=advance, executor=runner
            )
    except ShardsFailedError as exc:
        shard_failures("export", exc.failures)
        raise
    finally:
        runner.close()
    print_manifest(manifest, Workspace(run_dir).dataset_dir)
