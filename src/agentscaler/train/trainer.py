"""Two-stage SFT with assistant-only loss: stage 1 on all domains, stage 2 on the verticals.

Before any training, every row of every stage becomes examples rendered with the model's own chat
template (:mod:`agentscaler.train.masks`: each assistant turn supervised on exactly the tokens the
model generates after its prompt), rows that cannot be trained are counted by reason, the masks
of a few rows per stage are checked against plain rendering of each prefix, and a stage with no
trainable row is an error. An empty stage 2 (no vertical domain chosen at export) is skipped with
a notice. The examples (token ids and labels) go to TRL's ``SFTTrainer`` as a tokenised dataset,
and the loss over the labels is computed by :mod:`agentscaler.train.loss`.

Stage 2 starts from stage 1's saved result: the full model, or (with LoRA) the base model plus
stage 1's adapter, trained further. Each stage writes its model or adapter, the tokenizer with the
template it was trained on (the model's own unless ``--chat-template`` asked otherwise, in which
case the model's own is kept as ``original_chat_template.jinja``), ``log.jsonl`` (the logged
losses) and ``stage.json`` (its summary, with digests of the weights before and after training);
a finished stage with the same settings and data is reused on a re-run.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, ClassVar

from agentscaler.errors import MissingDependencyError, SchemaVersionError, TrainingError
from agentscaler.jsonl import read_json, write_json
from agentscaler.records.base import Record
from agentscaler.train.config import TrainConfig
from agentscaler.train.data import (
    StageData,
    StageStats,
    count_rows,
    examples_dataset,
    prepare_stage,
    resolve_data_dir,
    split_file,
)
from agentscaler.train.quiet import quiet_library_progress
from agentscaler.workspace import fingerprint

log = logging.getLogger(__name__)

STAGE_FILE = "stage.json"
LOG_FILE = "log.jsonl"
SUMMARY_FILE = "summary.json"
ORIGINAL_TEMPLATE_FILE = "original_chat_template.jinja"


class StageResult(Record):
    SCHEMA_VERSION: ClassVar[int] = 2

    schema_version: int = 2
    name: str
    fingerprint: str
    rows: int
    """Rows of the stage's split (= trained rows + dropped rows, see ``data``)."""
    data: StageStats
    steps: int
    first_loss: float | None = None
    last_loss: float | None = None
    seconds: float = 0.0
    output: str
    init_from: str
    lora: bool = False
    initial_digest: str
    final_digest: str
    reused: bool = False


class TrainSummary(Record):
    SCHEMA_VERSION: ClassVar[int] = 2

    schema_version: int = 2
    out: str
    config: dict[str, Any]
    chat_template: str
    """``qwen3-official``, ``project`` or ``custom-<digest>``: the template trained on."""
    stages: tuple[StageResult, ...]
    skipped: dict[str, str] = {}
    """Stages not run, with the reason."""


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
    data: StageData,
    template: str,
    own_template: str | None,
    base: Path,
    adapter: Path | None,
    out: Path,
    stamp: str,
) -> StageResult:
    """Train one stage from ``base`` (plus ``adapter``) on ``data``; save into ``out``."""
    from transformers.trainer_callback import PrinterCallback

    from agentscaler.train.callbacks import callback_classes
    from agentscaler.train.chat_template import describe_template
    from agentscaler.train.loss import sft_trainer_class, weights_digest
    from agentscaler.train.setup import load_model, load_tokenizer, lora_config, sft_config

    tokenizer = load_tokenizer(base if adapter is None else adapter)
    model = load_model(base, adapter=adapter)
    loss_log, progress = callback_classes()
    logger = loss_log(out / LOG_FILE)
    trainer = sft_trainer_class()(
        model=model,
        args=sft_config(config, out),
        train_dataset=examples_dataset(data.examples),
        processing_class=tokenizer,
        peft_config=lora_config(config) if config.lora and adapter is None else None,
        callbacks=[logger, progress(f"{name} ({len(data.examples)} examples)")],
    )
    trainer.remove_callback(PrinterCallback)
    if len(trainer.train_dataset) != len(data.examples):
        raise TrainingError(
            f"{name}: TRL kept {len(trainer.train_dataset)} of {len(data.examples)} examples; "
            "every example fits --max-length and has supervised tokens, so none should be lost."
        )
    trainable_only = config.lora
    initial = weights_digest(trainer.model, trainable_only=trainable_only)
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    final = weights_digest(trainer.model, trainable_only=trainable_only)
    trainer.save_model(str(out))
    tokenizer.chat_template = template
    tokenizer.save_pretrained(str(out))
    if own_template is not None and own_template != template:
        (out / ORIGINAL_TEMPLATE_FILE).write_text(own_template, encoding="utf-8")
    losses = [e["loss"] for e in logger.entries if "loss" in e]
    result = StageResult(
        name=name,
        fingerprint=stamp,
        rows=data.rows,
        data=data.stats(describe_template(template)),
        steps=trainer.state.global_step,
        first_loss=losses[0] if losses else None,
        last_loss=losses[-1] if losses else None,
        seconds=round(seconds, 3),
        output=str(out),
        init_from=str(adapter or base),
        lora=config.lora,
        initial_digest=initial,
        final_digest=final,
    )
    write_json(out / STAGE_FILE, result.to_json_dict())
    log.info("%s: %d steps, loss %s -> %s", name, result.steps, result.first_loss, result.last_loss)
    return result


def _finished(out: Path, stamp: str) -> StageResult | None:
    path = out / STAGE_FILE
    if not path.is_file():
        return None
    try:
        result = StageResult.from_json_dict(read_json(path), where=str(path))
    except SchemaVersionError:
        return None
    return result.model_copy(update={"reused": True}) if result.fingerprint == stamp else None


def _model_stamp(path: Path) -> list:
    files = sorted(p for p in path.glob("*") if p.suffix in {".json", ".safetensors", ".bin"})
    return [_data_stamp(p) for p in files]


def _check_inputs(config: TrainConfig) -> tuple[dict[str, Path], dict[str, str]]:
    """Validate options and data before any training: each stage's file, and the stages skipped
    (an empty stage 2) with the reason."""
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
    files, skipped = {}, {}
    for name in ("stage1", "stage2") if config.stage2 else ("stage1",):
        path = split_file(data_dir, name)
        if count_rows(path) > 0:
            files[name] = path
        elif name == "stage2":
            skipped[name] = (
                f"{path} has no rows (no vertical domain was chosen at export; export with "
                "--stage2-domains to choose some)"
            )
            log.warning("stage2 skipped: %s", skipped[name])
        else:
            raise TrainingError(
                f"{path} has no rows: check that the filter kept episodes and that not every "
                "task is held out."
            )
    return files, skipped


def _untrainable(name: str, data: StageData, config: TrainConfig) -> TrainingError:
    reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(data.dropped.items()))
    hint = ""
    if data.shortest_too_long is not None:
        hint = (
            f" The shortest assistant turn with its prompt is {data.shortest_too_long} tokens: "
            f"raise --max-length (now {config.max_length}) to at least that, or re-export with "
            "a smaller --max-tokens so rows are fitted (tool lists trimmed, long rows cut)."
        )
    return TrainingError(f"{name}: none of its {data.rows} rows can be trained ({reasons}).{hint}")


def train(config: TrainConfig, *, force: bool = False) -> TrainSummary:
    """Prepare every stage, then run stage 1 (and stage 2); write ``OUT/summary.json``."""
    from agentscaler.train.chat_template import (
        describe_template,
        template_digest,
        training_template,
    )
    from agentscaler.train.masks import ChatEncoder
    from agentscaler.train.setup import load_tokenizer

    _require_extras()
    files, skipped = _check_inputs(config)
    out = Path(config.out)
    base = Path(config.model) if config.model is not None else out / "init"
    if config.tiny and not (base / "config.json").is_file():
        from agentscaler.train.tiny import TinyQwen3Spec, create_tiny_model

        create_tiny_model(base, TinyQwen3Spec(seed=config.seed))

    tokenizer = load_tokenizer(base)
    own_template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else None
    template = training_template(config.chat_template, tokenizer, base)
    if config.chat_template is not None and own_template and template != own_template:
        log.warning(
            "training with the %s chat template instead of the model's own; the checkpoints "
            "carry it, and the model's own is kept in %s",
            describe_template(template),
            ORIGINAL_TEMPLATE_FILE,
        )
    encoder = ChatEncoder(tokenizer, template)
    prepared: dict[str, StageData] = {}
    for name, path in files.items():
        prepared[name] = prepare_stage(
            path, encoder, max_length=config.max_length, check=config.check_masks, name=name
        )
        if prepared[name].trained_rows == 0:
            raise _untrainable(name, prepared[name], config)

    settings = config.model_dump(mode="json", exclude={"out", "data", "check_masks"})
    stages: list[StageResult] = []
    previous: StageResult | None = None
    for name, data_file in files.items():
        stage_out = out / name
        init = _model_stamp(base) if previous is None else previous.final_digest
        stamp = fingerprint(
            {
                "settings": settings,
                "data": _data_stamp(data_file),
                "init": init,
                "template": template_digest(template),
            }
        )
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
                    data=prepared[name],
                    template=template,
                    own_template=own_template,
                    base=start_base,
                    adapter=adapter,
                    out=stage_out,
                    stamp=stamp,
                )
        stages.append(result)
        previous = result
    summary = TrainSummary(
        out=str(out),
        config=config.model_dump(mode="json"),
        chat_template=describe_template(template),
        stages=tuple(stages),
        skipped=skipped,
    )
    write_json(out / SUMMARY_FILE, summary.to_json_dict())
    return summary
