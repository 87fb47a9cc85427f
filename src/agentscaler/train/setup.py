"""Loading the model and tokenizer of a stage, and the TRL / peft settings from TrainConfig."""

from __future__ import annotations

from pathlib import Path

from agentscaler.errors import TrainingError
from agentscaler.train.config import TrainConfig


def load_tokenizer(path: Path):
    """The model folder's tokenizer, with its own chat template."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"{path}: no usable tokenizer in the model folder ({exc}).") from exc


def load_model(path: Path, *, adapter: Path | None = None):
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.float32
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        dtype = torch.bfloat16
    try:
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"{path}: cannot load a causal LM from this folder ({exc}).") from exc
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter), is_trainable=True)
    return model


def sft_config(config: TrainConfig, out: Path):
    import torch
    from trl import SFTConfig

    cuda = torch.cuda.is_available()
    return SFTConfig(
        output_dir=str(out),
        num_train_epochs=config.resolved_epochs,
        max_steps=config.resolved_max_steps or -1,
        learning_rate=config.resolved_learning_rate,
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        max_length=config.max_length,
        warmup_steps=config.warmup_ratio,
        weight_decay=config.weight_decay,
        lr_scheduler_type=config.lr_scheduler,
        logging_steps=config.resolved_logging_steps,
        seed=config.seed,
        data_seed=config.seed,
        save_strategy="no",
        report_to="none",
        use_cpu=not cuda,
        bf16=cuda and torch.cuda.is_bf16_supported(),
        disable_tqdm=True,
        dataloader_num_workers=0,
        gradient_checkpointing=config.resolved_gradient_checkpointing,
    )


def lora_config(config: TrainConfig):
    from peft import LoraConfig

    targets = config.lora_target_modules
    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets if isinstance(targets, str) else list(targets),
        task_type="CAUSAL_LM",
    )
