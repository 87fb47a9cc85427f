"""Two-stage SFT with assistant-only loss: stage 1 on all domains, stage 2 on the verticals.

Each stage hands the exported Parquet split, as is, to TRL's ``SFTTrainer`` with
``SFTConfig(assistant_only_loss=True)``: TRL renders each row's ``messages`` and ``tools`` with
the tokenizer's chat template and keeps the labels of the tokens inside the template's
``{% generation %}`` blocks only (the assistant's tool calls and replies, with their end-of-turn
token). The loss over those labels is computed by :mod:`agentscaler.train.loss`.

Before training, the masks of a few examples per stage are checked independently
(:func:`agentscaler.train.masks.check_mask`). Stage 2 starts from stage 1's saved result: the
full model, or (with LoRA) the base model plus stage 1's adapter, trained further. Each stage
writes its model or adapter, the tokenizer, ``log.jsonl`` (the logged losses) and ``stage.json``
(its summary, with digests of the weights before and after training); a finished stage with the
same settings and data is reused on a re-run.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, ClassVar

from agentscaler.errors import MissingDependencyError, TrainingError
from agentscaler.jsonl import read_json, write_json
from agentscaler.records.base import Record
from agentscaler.train.config import TrainConfig
from agentscaler.train.data import check_rows, count_rows, load_split, resolve_data_dir, split_file
from agentscaler.train.quiet import quiet_library_progress
from agentscaler.workspace import fingerprint

log = logging.getLogger(__name__)

STAGE_FILE = "stage.json"
LOG_FILE = "log.jsonl"
SUMMARY_FILE = "summary.json"


class StageResult(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    name: str
    fingerprint: str
    rows: int
    steps: int
    first_loss: float | None = None
    last_loss: float | None = None
    seconds: float = 0.0
    output: str
    init_from: str
    lora: bool = False
    initial_digest: str
    final_digest: str
    supervised_tokens_checked: int = 0
    reused: bool = False


class TrainSummary(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    out: str
    config: dict[str, Any]
    stages: tuple[StageResult, ...]


def _require_extras() -> None:
    try:
        import datasets  # noqa: F401
        import peft  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
        import trl  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"Training needs the train extras ({exc.name} is missing): "
            "pip install 'agentscaler[train]' -c constraints.txt"
        ) from exc


def _data_stamp(path: Path) -> list:
    st = path.stat()
    return [str(path), st.st_size, st.st_mtime_ns]


def run_stage(
    name: str,
    config: TrainConfig,
    *,
    dataset,
    base: Path,
    adapter: Path | None,
    out: Path,
    stamp: str,
) -> StageResult:
    """Train one stage from ``base`` (plus ``adapter``) on ``dataset``; save into ``out``."""
    from transformers.trainer_callback import PrinterCallback

    from agentscaler.train.callbacks import callback_classes
    from agentscaler.train.loss import sft_trainer_class, weights_digest
    from agentscaler.train.setup import load_model, load_tokenizer, lora_config, sft_config

    tokenizer = load_tokenizer(base if adapter is None else adapter)
    checked = check_rows(dataset, tokenizer, name, config.check_masks)
    model = load_model(base, adapter=adapter)
    loss_log, progress = callback_classes()
    logger = loss_log(out / LOG_FILE)
    trainer = sft_trainer_class()(
        model=model,
        args=sft_config(config, out),
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora_config(config) if config.lora and adapter is None else None,
        callbacks=[logger, progress(f"{name} ({len(dataset)} rows)")],
    )
    trainer.remove_callback(PrinterCallback)
    kept = len(trainer.train_dataset)
    if kept == 0:
        raise TrainingError(
            f"{name}: no example keeps an assistant token within --max-length "
            f"{config.max_length} (the system prompt and tools fill it). Raise --max-length."
        )
    if kept < len(dataset):
        log.warning(
            "%s: %d of %d examples have no assistant token within --max-length %d and are left out",
            name,
            len(dataset) - kept,
            len(dataset),
            config.max_length,
        )
    trainable_only = config.lora
    initial = weights_digest(trainer.model, trainable_only=trainable_only)
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    final = weights_digest(trainer.model, trainable_only=trainable_only)
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    losses = [e["loss"] for e in logger.entries if "loss" in e]
    result = StageResult(
        name=name,
        fingerprint=stamp,
        rows=len(dataset),
        steps=trainer.state.global_step,
        first_loss=losses[0] if losses else None,
        last_loss=losses[-1] if losses else None,
        seconds=round(seconds, 3),
        output=str(out),
        init_from=str(adapter or base),
        lora=config.lora,
        initial_digest=initial,
        final_digest=final,
        supervised_tokens_checked=checked,
    )
    write_json(out / STAGE_FILE, result.to_json_dict())
    log.info("%s: %d steps, loss %s -> %s", name, result.steps, result.first_loss, result.last_loss)
    return result


def _finished(out: Path, stamp: str) -> StageResult | None:
    path = out / STAGE_FILE
    if not path.is_file():
        return None
    result = StageResult.from_json_dict(read_json(path), where=str(path))
    return result.model_copy(update={"reused": True}) if result.fingerprint == stamp else None


def _model_stamp(path: Path) -> list:
    files = sorted(p for p in path.glob("*") if p.suffix in {".json", ".safetensors", ".bin"})
    return [_data_stamp(p) for p in files]


def _check_inputs(config: TrainConfig) -> tuple[Path, dict[str, Path]]:
    """Validate options and data before any training: the data folder and each stage's file."""
    if config.data is None:
        raise TrainingError("--data is required: the exported dataset folder to train on.")
    if (config.model is None) == (not config.tiny):
        raise TrainingError("Give either --model PATH (a local model folder) or --tiny.")
    if config.model is not None and not Path(config.model).is_dir():
        raise TrainingError(
            f"--model {config.model}: no such folder. Models are never downloaded here: pass "
            "the path of a local model folder (config.json, weights, tokenizer)."
        )
    data_dir = resolve_data_dir(config.data)
    files = {}
    for name in ("stage1", "stage2") if config.stage2 else ("stage1",):
        files[name] = split_file(data_dir, name)
        if count_rows(files[name]) == 0:
            hint = (
                "export with --stage2-domains to choose vertical domains, or train with --no-stage2"
                if name == "stage2"
                else "check that the filter kept episodes and that not every task is held out"
            )
            raise TrainingError(f"{files[name]} has no rows: {hint}.")
    return data_dir, files


def train(config: TrainConfig, *, force: bool = False) -> TrainSummary:
    """Run stage 1 (and stage 2) and write ``OUT/summary.json``."""
    _require_extras()
    data_dir, files = _check_inputs(config)
    out = Path(config.out)
    base = Path(config.model) if config.model is not None else out / "init"
    if config.tiny and not (base / "config.json").is_file():
        from agentscaler.train.tiny import TinyQwen3Spec, create_tiny_model

        create_tiny_model(base, TinyQwen3Spec(seed=config.seed))

    settings = config.model_dump(mode="json", exclude={"out", "data", "check_masks"})
    stages: list[StageResult] = []
    previous: StageResult | None = None
    for name, data_file in files.items():
        stage_out = out / name
        init = _model_stamp(base) if previous is None else previous.final_digest
        stamp = fingerprint({"settings": settings, "data": _data_stamp(data_file), "init": init})
        result = None if force else _finished(stage_out, stamp)
        if result is not None:
            log.info("%s: reusing the finished stage in %s", name, stage_out)
        else:
            if previous is None:
                start_base, adapter = base, None
            elif config.lora:
                start_base, adapter = base, Path(previous.output)
            else:
                start_base, adapter = Path(previous.output), None
            with quiet_library_progress():
                result = run_stage(
                    name,
                    config,
                    dataset=load_split(data_dir, name),
                    base=start_base,
                    adapter=adapter,
                    out=stage_out,
                    stamp=stamp,
                )
        stages.append(result)
        previous = result
    summary = TrainSummary(
        out=str(out), config=config.model_dump(mode="json"), stages=tuple(stages)
    )
    write_json(out / SUMMARY_FILE, summary.to_json_dict())
    return summary
