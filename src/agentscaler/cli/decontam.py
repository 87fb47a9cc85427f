"""``agentscaler decontam``: flag tools and tasks of a run that overlap benchmarks."""

from __future__ import annotations

from pathlib import Path

import typer

from agentscaler.cli.common import console, option_error
from agentscaler.decontam.config import DecontamConfig

_DEFAULTS = DecontamConfig()


def decontam_command(
    run: Path = typer.Argument(..., help="Run folder (with tools.jsonl; tasks.jsonl if any)."),
    against: list[str] = typer.Option(
        ...,
        "--against",
        help="Benchmark files, folders or globs: tool catalogs in any dialect and/or questions "
        "(JSON Lines with 'question', BFCL and ACEBench files, tau-bench runs); repeat it.",
    ),
    embedder: str | None = typer.Option(
        None, "--embedder", help=f"minilm or hash (default {_DEFAULTS.embedder})."
    ),
    embed_base_url: str | None = typer.Option(
        None, "--embed-base-url", help="Embed on this OpenAI-compatible server (…/v1)."
    ),
    embed_model: str | None = typer.Option(
        None, "--embed-model", help="Model name sent to --embed-base-url."
    ),
    signature_threshold: float | None = typer.Option(
        None,
        "--signature-threshold",
        help=f"Near signature (default {_DEFAULTS.signature_threshold}).",
    ),
    description_threshold: float | None = typer.Option(
        None,
        "--description-threshold",
        help=f"Near tool text, cosine (default {_DEFAULTS.description_threshold}).",
    ),
    ngram_threshold: float | None = typer.Option(
        None,
        "--ngram-threshold",
        help=f"Shared word n-grams of intent and question (default {_DEFAULTS.ngram_threshold}).",
    ),
    intent_threshold: float | None = typer.Option(
        None,
        "--intent-threshold",
        help=f"Near intent and question, cosine (default {_DEFAULTS.intent_threshold}).",
    ),
    scope: str | None = typer.Option(
        None,
        "--scope",
        help="Tasks a flagged tool flags: calls (its gold calls use it; default) or tools "
        "(its domain offers it).",
    ),
) -> None:
    """Compare a run's tools and task intents with benchmark tools and questions; write
    RUN/decontam/report.json. `agentscaler export` then leaves the flagged rows out."""
    from pydantic import ValidationError
    from rich.table import Table

    from agentscaler.decontam.run import decontaminate, summary

    values = {
        "embedder": embedder,
        "embed_base_url": embed_base_url,
        "embed_model": embed_model,
        "signature_threshold": signature_threshold,
        "description_threshold": description_threshold,
        "ngram_threshold": ngram_threshold,
        "intent_threshold": intent_threshold,
        "scope": scope,
    }
    try:
        config = DecontamConfig(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise option_error(exc) from exc
    report = decontaminate(run, against, config)
    table = Table(title=f"decontamination of {run}", show_header=False, title_justify="left")
    for key, value in summary(report).items():
        table.add_row(key, value)
    console.print(table)
    shown = [m for m in report.tool_matches][:10]
    if shown:
        matches = Table(title="tools near benchmark tools", title_justify="left")
        for column in ("tool", "benchmark tool", "kind", "signature", "text"):
            matches.add_column(column)
        for m in shown:
            matches.add_row(
                m.name, m.benchmark_name, m.kind, f"{m.signature:.2f}", f"{m.description:.2f}"
            )
        console.print(matches)
    console.print(f"report: {run / 'decontam' / 'report.json'}", highlight=False)
