"""`EnvConfig`: the settings of a multi-turn task environment (limits, the user simulator).

Limits and conversation conventions default to the simulation stage's
(:class:`agentscaler.simulate.SimulateConfig`), so an episode run through an environment and one
simulated by ``agentscaler simulate`` follow the same rules and get the same verdict.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentscaler.filter.config import FilterConfig
from agentscaler.llm.config import LLMConfig
from agentscaler.simulate.config import SimulateConfig

_SIM = SimulateConfig.model_fields


def _default(name: str) -> Any:
    return _SIM[name].default


class EnvConfig(BaseModel):
    """How one task environment runs an episode."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: LLMConfig | None = Field(
        None,
        description="The user simulator's LLM server and model (any OpenAI-compatible server); "
        "None plays the offline scripted user.",
    )
    max_turns: int = Field(_default("max_turns"), ge=2, description=_SIM["max_turns"].description)
    max_tool_calls: int = Field(
        _default("max_tool_calls"), ge=1, description=_SIM["max_tool_calls"].description
    )
    stop_token: str = Field(_default("stop_token"), description=_SIM["stop_token"].description)
    greeting: str = Field(_default("greeting"), description=_SIM["greeting"].description)
    seed: int = Field(_default("seed"), description="Base of the user simulator's sampling seeds.")
    tool_call_parser: Literal["auto", "none", "hermes", "llama3", "mistral", "json"] = Field(
        LLMConfig.model_fields["tool_call_parser"].default,
        description="How tool calls inside a raw-text action are read (the response normaliser's "
        "parsers; see LLMConfig.tool_call_parser).",
    )
    filter: FilterConfig = Field(
        default_factory=FilterConfig,
        description="The filter settings whose verdict decides the reward.",
    )

    def simulate_config(self) -> SimulateConfig:
        """The simulation settings with the same limits and conventions."""
        return SimulateConfig(
            user=self.user,
            max_turns=self.max_turns,
            max_tool_calls=self.max_tool_calls,
            stop_token=self.stop_token,
            greeting=self.greeting,
            seed=self.seed,
        )
