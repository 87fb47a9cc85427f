"""Defaults of the training stage (the one place they live)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agentscaler.export.config import DEFAULT_MAX_TOKENS

DEFAULT_EPOCHS = 2.0
TINY_MAX_STEPS = 10
DEFAULT_LOGGING_STEPS = 10
"""Optimizer steps per stage of a tiny demo model when neither --epochs nor --max-steps is given."""


class TrainConfig(BaseModel):
    """Settings of two-stage supervised fine-tuning with assistant-only loss.

    Stage 1 trains on ``data/stage1`` from ``model``; stage 2 trains on ``data/stage2`` starting
    from stage 1's result (full weights, or the same LoRA adapter trained further).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: Path | None = Field(
        default=None, description="local model folder (config, weights, tokenizer)"
    )
    tiny: bool = Field(
        default=False,
        description="start from a new tiny random Qwen3 model written to <out>/init",
    )
    data: Path | None = Field(
        default=None,
        description="dataset folder with stage1/ and stage2/ (a run folder's dataset/, "
        "or the run folder itself)",
    )
    out: Path = Field(description="output folder: stage1/, stage2/, summary.json")
    lora: bool = Field(default=False, description="train a LoRA adapter instead of all weights")
    stage2: bool = Field(
        default=True, description="run stage 2 after stage 1 (skipped, with a notice, when empty)"
    )
    chat_template: str | None = Field(
        default=None,
        description="template to render with: None for the model's own, 'project' for "
        "agentscaler's Qwen3-format template, or the path of a Jinja file",
    )
    epochs: float | None = Field(
        default=None,
        gt=0,
        description=f"passes over each stage's data (None: {DEFAULT_EPOCHS:g}; with --tiny, "
        f"{TINY_MAX_STEPS} steps)",
    )
    max_steps: int | None = Field(
        default=None, ge=1, description="optimizer steps per stage (overrides epochs)"
    )
    learning_rate: float | None = Field(
        default=None,
        gt=0,
        description="peak learning rate; None: 1e-5 full, 1e-4 LoRA, 1e-3 for --tiny (a random "
        "model, where a pretrained model's rate would leave the loss where it starts)",
    )
    full_learning_rate: float = Field(default=1e-5, gt=0)
    lora_learning_rate: float = Field(default=1e-4, gt=0)
    tiny_learning_rate: float = Field(default=1e-3, gt=0)
    batch_size: int = Field(default=2, ge=1, description="examples per device and step")
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    max_length: int = Field(
        default=DEFAULT_MAX_TOKENS,
        ge=32,
        description="tokens per example: a turn whose prompt and reply are longer is left out "
        "(and counted)",
    )
    gradient_checkpointing: bool | None = Field(
        default=None,
        description="recompute activations in the backward pass (None: on for --model, off for "
        "--tiny, where it only costs time)",
    )
    warmup_ratio: float = Field(default=0.03, ge=0, lt=1)
    weight_decay: float = Field(default=0.0, ge=0)
    lr_scheduler: str = Field(default="cosine", description="transformers scheduler name")
    logging_steps: int | None = Field(
        default=None,
        ge=1,
        description=f"log the loss every N steps (None: {DEFAULT_LOGGING_STEPS}; every step with "
        "--tiny)",
    )
    seed: int = 0
    lora_r: int = Field(default=16, ge=1)
    lora_alpha: int = Field(default=32, ge=1)
    lora_dropout: float = Field(default=0.05, ge=0, lt=1)
    lora_target_modules: str | tuple[str, ...] = Field(
        default="all-linear", description="peft target modules"
    )
    check_masks: int = Field(
        default=8,
        ge=0,
        description="rows of each stage whose assistant masks are checked, before training, "
        "against rendering each prefix with the chat template",
    )

    @property
    def resolved_epochs(self) -> float:
        return self.epochs if self.epochs is not None else DEFAULT_EPOCHS

    @property
    def resolved_max_steps(self) -> int | None:
        if self.max_steps is not None:
            return self.max_steps
        return TINY_MAX_STEPS if self.tiny and self.epochs is None else None

    @property
    def resolved_logging_steps(self) -> int:
        if self.logging_steps is not None:
            return self.logging_steps
        return 1 if self.tiny else DEFAULT_LOGGING_STEPS

    @property
    def resolved_gradient_checkpointing(self) -> bool:
        if self.gradient_checkpointing is not None:
            return self.gradient_checkpointing
        return not self.tiny

    @property
    def resolved_learning_rate(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        if self.tiny:
            return self.tiny_learning_rate
        return self.lora_learning_rate if self.lora else self.full_learning_rate
