"""`SimulateConfig`: every default of the simulation stage, in one place.

LLM connection settings (base URL, timeouts, retries, sampling) live in
:class:`agentscaler.llm.LLMConfig`, whose defaults apply to the agent and the user models.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentscaler.llm.config import LLMConfig

STOP_TOKEN = "###STOP###"
"""What a simulated user says, alone, to end the conversation."""


class SimulateConfig(BaseModel):
    """Settings of one simulation run. The field defaults are the product's defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- who plays -------------------------------------------------------------------------------
    agent: LLMConfig | None = Field(
        None, description="The agent's LLM server and model; None plays the offline oracle agent."
    )
    user: LLMConfig | None = Field(
        None, description="The user's LLM server and model; None plays the offline scripted user."
    )

    # --- what runs -------------------------------------------------------------------------------
    trials: int = Field(1, ge=1, description="Episodes per task (pass^k needs k or more).")
    limit: int | None = Field(None, ge=1, description="Simulate only the first N tasks.")
    seed: int = Field(0, description="Base of the per-trial sampling seeds sent to LLM policies.")
    retry_infrastructure: bool = Field(
        False,
        description="Run again stored episodes that ended by an infrastructure failure (their "
        "records are replaced).",
    )

    # --- limits ----------------------------------------------------------------------------------
    max_turns: int = Field(
        40, ge=2, description="Messages the agent and the user may produce in one episode."
    )
    max_tool_calls: int = Field(30, ge=1, description="Tool calls the agent may make per episode.")
    episode_timeout_s: float = Field(
        900.0, gt=0, description="Wall-clock deadline of one episode, retries included."
    )

    # --- scale -----------------------------------------------------------------------------------
    concurrency: int = Field(
        64, ge=1, description="Episodes in flight at once, shared among the worker processes."
    )
    shards: int = Field(
        16, ge=1, le=4096, description="Episode files under episodes/ (fixed when a run starts)."
    )
    executor: Literal["local", "ray"] = Field(
        "local",
        description="Where a stage given no executor runs its shards: local: in this process; "
        "ray: one Ray task per shard.",
    )
    ray_address: str | None = Field(
        None, description="Address of a Ray cluster (None: start or join a local one)."
    )
    fsync: bool = Field(
        False, description="fsync every episode line (slower, survives power loss)."
    )
    event_loop: Literal["auto", "asyncio", "uvloop"] = Field(
        "auto", description="Event loop of the orchestrator; auto: uvloop when installed."
    )

    # --- conversation conventions ----------------------------------------------------------------
    stop_token: str = Field(STOP_TOKEN, description="Token a user sends alone to end an episode.")
    greeting: str = Field(
        "Hi! How can I help you today?",
        description="The agent's opening line as the LLM user sees it (not part of the episode).",
    )

    @property
    def offline(self) -> bool:
        """True when neither side talks to an LLM."""
        return self.agent is None and self.user is None

    def stage_settings(self) -> dict[str, Any]:
        """The settings recorded in the stage's completion marker (what ``run`` checks)."""
        return {**self.policy_settings(), "trials": self.trials, "limit": self.limit}

    def policy_settings(self) -> dict[str, Any]:
        """Settings that change what an episode contains (resume fingerprint, episode ids)."""
        return {
            "agent": _llm_settings(self.agent, "oracle_agent"),
            "user": _llm_settings(self.user, "scripted_user"),
            "max_turns": self.max_turns,
            "max_tool_calls": self.max_tool_calls,
            "stop_token": self.stop_token,
            "seed": self.seed,
        }


def _llm_settings(config: LLMConfig | None, offline_kind: str) -> dict[str, Any]:
    if config is None:
        return {"kind": offline_kind}
    return {
        "kind": "llm",
        "model": config.model,
        "temperature": config.temperature,
        "max_tokens": config.max_tokens,
        "extra_body": config.extra_body,
    }
