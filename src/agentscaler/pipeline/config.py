"""`RunConfig`: the resolved settings of one run, written to ``run.json``.

Every field defaults to its stage's config class, so the defaults stay in one place per stage.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agentscaler.evaluate.config import EvalConfig
from agentscaler.export.config import ExportConfig
from agentscaler.filter.config import FilterConfig
from agentscaler.graph.config import GraphConfig
from agentscaler.ingest.config import IngestConfig
from agentscaler.llm.config import LLMConfig
from agentscaler.simulate.config import SimulateConfig
from agentscaler.tasks.config import TaskConfig
from agentscaler.worlds.config import WorldConfig

BUILTIN = "builtin"


class RunConfig(BaseModel):
    """Settings of every stage of one run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    sources: tuple[str, ...] = Field(
        (BUILTIN,), description="tool catalogs to import: files, folders, globs or 'builtin'"
    )
    ingest: IngestConfig = IngestConfig()
    graph: GraphConfig = GraphConfig()
    worlds: WorldConfig = WorldConfig()
    tasks: TaskConfig = TaskConfig()
    simulate: SimulateConfig = SimulateConfig()
    filter: FilterConfig = FilterConfig()
    export: ExportConfig = ExportConfig()
    eval: EvalConfig = EvalConfig()
    llm: LLMConfig | None = Field(
        None,
        description="server for the optional LLM passes (dependency edges, intents, compilation)",
    )
    progress: dict[str, Any] | None = Field(
        None,
        exclude=True,
        description="where the run is, written by the run beside its settings (shards, speed, "
        "memory per stage; see agentscaler.pipeline.status); never a setting",
    )

    def differences(self, other: RunConfig) -> list[str]:
        """Dotted names of the settings that differ between two configs."""
        return _diff(self.model_dump(mode="json"), other.model_dump(mode="json"), "")


def _diff(a: Any, b: Any, prefix: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            out += _diff(a.get(key), b.get(key), f"{prefix}{key}.")
        return out
    return [] if a == b else [prefix.rstrip(".")]
