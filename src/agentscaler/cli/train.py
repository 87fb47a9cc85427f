"""``agentscaler train``: two-stage SFT with assistant-only loss (TRL), or a tiny demo model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agentscaler.cli.common import console, option_error
from agentscaler.train.config import DEFAULT_EPOCHS, TINY_MAX_STEPS, TrainConfig

if TYPE_CHECKING:
    from agentscaler.train.trainer import TrainSummary


def _default(name: str) -> object:
    return TrainConfig.model_fields[name].default


def print_summary(summary: TrainSummary) -> None:
    """Print one line per stage (rows trained and dropped by reason, examples, steps, first and
    last logged loss), then the output folders and the stages reused or skipped."""
    from rich.table import Table

    table = Table(title=f"Training in {summary.out} ({summary.chat_template} chat template)")
    for name in ("stage", "rows", "trained", "dropped", "examples", "steps", "loss", "seconds"):
        table.add_column(name, justify="left" if name in ("stage", "dropped") else "right")
    for stage in summary.stages:
        data = stage.data
        dropped = ", ".join(f"{n} {reason}" for reason, n in data.dropped.items()) or "0"
        first = "–" if stage.first_loss is None else f"{stage.first_loss:.3f}"
        last = "–" if stage.last_loss is None else f"{stage.last_loss:.3f}"
        table.add_row(
            stage.name,
            str(stage.rows),
            str(data.trained_rows),
            dropped,
            str(data.examples),
            str(stage.steps),
            f"{first} → {last}",
            f"{stage.seconds:.1f}",
        )
    console.print(table)
    for stage in summary.stages:
        note = "reused (same settings and data)" if stage.reused else "written"
        console.print(f"{stage.name}: {stage.output} {note}", highlight=False)
    for name, reason in summary.skipped.items():
        console.print(f"{name} skipped: {reason}", highlight=False)


def train_command(
    model: Path | None = typer.Option(
        None,
        "--model",
        "-m",
        help="Local model folder (config, weights, tokenizer); never downloaded.",
        show_default=False,
    ),
    tiny: bool = typer.Option(
        False,
        "--tiny",
        help="Use a new tiny random Qwen3 model (real Qwen vocabulary, Qwen3's official chat "
        "template) instead of --model. With --data it is written to OUT/init and trained "
        f"({TINY_MAX_STEPS} steps per stage unless --epochs or --max-steps is given); without "
        "--data it is only written, to OUT.",
    ),
    data: Path | None = typer.Option(
        None,
        "--data",
        "-d",
        help="Exported dataset folder with stage1/ and stage2/ (a run folder's dataset/, or the "
        "run folder itself).",
        show_default=False,
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Output folder: stage1/, stage2/ (model or adapter, log.jsonl) and summary.json.",
        show_default=False,
    ),
    lora: bool | None = typer.Option(
        None,
        "--lora/--full",
        help="Train a LoRA adapter (peft) or all weights. Default: all weights.",
        show_default=False,
    ),
    stage2: bool | None = typer.Option(
        None,
        "--stage2/--no-stage2",
        help="Run stage 2 (vertical domains) from stage 1's result. Default: on (skipped, with a "
        "notice, when the export chose no vertical domain).",
        show_default=False,
    ),
    chat_template: str | None = typer.Option(
        None,
        "--chat-template",
        help="Template to render examples with: the model's own by default; 'project' for "
        "agentscaler's Qwen3-format template, or the path of a Jinja file. Checkpoints then "
        "carry it, and the model's own is kept as original_chat_template.jinja.",
        show_default=False,
    ),
    epochs: float | None = typer.Option(
        None,
        "--epochs",
        help=f"Passes over each stage's data. Default: {DEFAULT_EPOCHS:g} "
        f"({TINY_MAX_STEPS} steps with --tiny).",
        show_default=False,
    ),
    max_steps: int | None = typer.Option(
        None,
        "--max-steps",
        help="Optimizer steps per stage; overrides --epochs.",
        show_default=False,
    ),
    lr: float | None = typer.Option(
        None,
        "--lr",
        help=f"Peak learning rate. Default: {_default('full_learning_rate'):g} for all weights, "
        f"{_default('lora_learning_rate'):g} for LoRA.",
        show_default=False,
    ),
    batch_size: int | None = typer.Option(
        None,
        "--batch-size",
        help=f"Examples per step. Default: {_default('batch_size')}.",
        show_default=False,
    ),
    max_length: int | None = typer.Option(
        None,
        "--max-length",
        help="Tokens per example: an assistant turn whose prompt and reply are longer is left "
        "out, and a row with no turn that fits is dropped (both counted in the summary). "
        f"Default: {_default('max_length')} (the export's --max-tokens).",
        show_default=False,
    ),
    logging_steps: int | None = typer.Option(
        None,
        "--logging-steps",
        help=f"Log the loss every N steps (to OUT/stage*/log.jsonl). "
        f"Default: {_default('logging_steps')}.",
        show_default=False,
    ),
    seed: int | None = typer.Option(
        None, "--seed", help=f"Seed. Default: {_default('seed')}.", show_default=False
    ),
    force: bool = typer.Option(
        False, "--force", help="Train again even when a stage's output is already complete."
    ),
) -> None:
    """Fine-tune a local model on an exported dataset: stage 1 on all domains, then stage 2 on
    the vertical domains from stage 1's weights, with loss on the assistant's turns only."""
    from pydantic import ValidationError

    if tiny and data is None:
        from agentscaler.train.tiny import create_tiny_model

        path = create_tiny_model(out)
        console.print(f"Tiny random Qwen3 model written to {path}", highlight=False)
        return

    from agentscaler.train.trainer import train

    overrides = {
        "model": model,
        "tiny": tiny,
        "data": data,
        "out": out,
        "lora": lora,
        "stage2": stage2,
        "chat_template": chat_template,
        "epochs": epochs,
        "max_steps": max_steps,
        "learning_rate": lr,
        "batch_size": batch_size,
        "max_length": max_length,
        "logging_steps": logging_steps,
        "seed": seed,
    }
    try:
        config = TrainConfig(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise option_error(exc) from exc
    print_summary(train(config, force=force))
