"""A tiny, randomly initialised Qwen3 model with the real Qwen vocabulary, for demos and tests.

The folder it writes is a complete local model (config, safetensors weights, generation config,
tokenizer with the project's Qwen3 chat template) that ``agentscaler train --model`` and
transformers' ``from_pretrained`` load without any hub access.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agentscaler.errors import MissingDependencyError, TrainingError
from agentscaler.train.quiet import quiet_library_progress
from agentscaler.train.tokenizer import QWEN3_VOCAB_SIZE, build_qwen_tokenizer

log = logging.getLogger(__name__)


class TinyQwen3Spec(BaseModel):
    """Shape of the tiny model. The defaults train at a few steps per second on 2 CPU cores."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hidden_size: int = Field(default=32, ge=8)
    intermediate_size: int = Field(default=64, ge=8)
    num_hidden_layers: int = Field(default=2, ge=1)
    num_attention_heads: int = Field(default=4, ge=1)
    num_key_value_heads: int = Field(default=2, ge=1)
    head_dim: int = Field(default=8, ge=2)
    max_position_embeddings: int = Field(default=8192, ge=128)
    tie_word_embeddings: bool = True
    seed: int = 0


def create_tiny_model(
    out: Path, spec: TinyQwen3Spec | None = None, *, cache_dir: Path | None = None
) -> Path:
    """Write a tiny random Qwen3 model folder to ``out`` and return ``out``.

    ``out`` must be empty or absent; the weights depend only on ``spec`` (including its seed).
    """
    spec = spec or TinyQwen3Spec()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise TrainingError(
            f"{out} is not empty; choose a new folder for the tiny model or delete this one."
        )
    try:
        import torch
        from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM
    except ImportError as exc:
        raise MissingDependencyError(
            "Creating a tiny Qwen3 model needs torch and transformers. "
            "Install the training extras: pip install 'agentscaler[train]'."
        ) from exc

    tokenizer = build_qwen_tokenizer(cache_dir)
    config = Qwen3Config(
        vocab_size=QWEN3_VOCAB_SIZE,
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers,
        num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_key_value_heads,
        head_dim=spec.head_dim,
        max_position_embeddings=spec.max_position_embeddings,
        tie_word_embeddings=spec.tie_word_embeddings,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        dtype="float32",
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = Qwen3ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        max_new_tokens=64,
        do_sample=False,
    )
    out.mkdir(parents=True, exist_ok=True)
    with quiet_library_progress():
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    log.info(
        "Wrote a tiny Qwen3 model (%d parameters) to %s",
        sum(p.numel() for p in model.parameters()),
        out,
    )
    return out
