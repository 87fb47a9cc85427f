"""`StubConfig`: settings of ``agentscaler stub serve``. Its field defaults are THE defaults."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentscaler.llm.stub.embeddings import EmbeddingPlan
from agentscaler.llm.stub.faults import FaultPlan
from agentscaler.llm.stub.quirks import QuirkPlan


class StubConfig(BaseModel):
    """Where the stub server listens, which brain answers, which faults it injects and which
    quirks of real servers it plays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0 picks a free one).")
    brain: str = Field(
        "echo", description="Brain spec: echo, tool-echo, script:FILE.json or module:factory."
    )
    brain_options: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments for the brain's factory."
    )
    faults: FaultPlan = Field(default_factory=FaultPlan, description="Latency and faults.")
    quirks: QuirkPlan = Field(
        default_factory=QuirkPlan, description="How answers differ from OpenAI's format."
    )
    embeddings: EmbeddingPlan = Field(
        default_factory=EmbeddingPlan, description="How POST /v1/embeddings answers."
    )
