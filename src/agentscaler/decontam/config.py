"""Defaults of decontamination (the one place they live).

Thresholds were chosen on the labelled samples in ``bench/labels/decontam_*.jsonl`` (labelled
before any threshold was set, frozen since); ``python bench/decontam.py`` measures recall on exact
copies and precision on those samples for these values.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agentscaler.graph.config import EmbedderName


class DecontamConfig(BaseModel):
    """What counts as a benchmark overlap."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- tools ----------------------------------------------------------------------------------
    signature_threshold: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="flag a tool whose signature score (name words and parameter names, each "
        "compared as sets) with a benchmark tool reaches this; 1.0 is the same name and the same "
        "parameters up to case and separators (flagged as exact copies whatever this is), and a "
        "tool keeping a benchmark tool's name words and parameters is a renamed copy",
    )
    description_threshold: float = Field(
        default=0.92,
        gt=0.0,
        le=1.0,
        description="flag a tool whose embedded text (name, description, parameters) has at "
        "least this cosine with a benchmark tool's and shares most of its parameter names",
    )
    description_min_parameters: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="share of parameter names (Jaccard) a description match must also share",
    )
    # --- questions ------------------------------------------------------------------------------
    ngram: int = Field(default=4, ge=2, le=20, description="word n-grams compared")
    ngram_threshold: float = Field(
        default=0.7,
        gt=0.0,
        le=1.0,
        description="flag a task whose intent holds this share of a benchmark question's word "
        "n-grams",
    )
    intent_threshold: float = Field(
        default=0.9,
        gt=0.0,
        le=1.0,
        description="flag a task whose embedded intent has at least this cosine with a "
        "benchmark question",
    )
    # --- embedding ------------------------------------------------------------------------------
    embedder: EmbedderName = Field(
        default="minilm", description="embedder of tool texts and questions: minilm or hash"
    )
    embed_base_url: str | None = Field(
        default=None, description="embed on this OpenAI-compatible server instead"
    )
    embed_model: str = Field(
        default="sentence-transformers/all-MiniLM-L6-v2",
        description="model name sent to the embeddings server",
    )
    neighbours: int = Field(
        default=5, ge=1, description="most similar benchmark items compared per run item"
    )
    scope: Literal["calls", "tools"] = Field(
        default="calls",
        description="which tasks a flagged tool flags: calls (tasks whose gold calls use it) or "
        "tools (every task of a domain offering it)",
    )
