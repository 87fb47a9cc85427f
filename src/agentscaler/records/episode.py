"""`Episode`: one simulated conversation between a user, an agent and a world."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Literal

from agentscaler.records.base import Record


class ToolCallFunction(Record):
    name: str
    arguments: str
    """Arguments as the JSON text the model produced (may be malformed)."""


class ToolCall(Record):
    id: str
    type: Literal["function"] = "function"
    function: ToolCallFunction


class Message(Record):
    """A chat message in OpenAI format."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] | None = None
    tool_call_id: str | None = None
    name: str | None = None
    reasoning_content: str | None = None

    def openai(self) -> dict[str, Any]:
        """The message as an OpenAI chat-completions dict (no null fields)."""
        return self.model_dump(mode="json", exclude_none=True)


class PolicyInfo(Record):
    kind: Literal["llm", "scripted_user", "oracle_agent", "replay"]
    model: str | None = None
    offline: bool = False


class Usage(Record):
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0
    latency_s: float = 0.0


class Termination(StrEnum):
    """Why an episode ended. Infrastructure failures are separate from agent outcomes."""

    USER_STOP = "user_stop"
    """The user said the goal was met (or cannot be) and stopped."""
    AGENT_STOP = "agent_stop"
    """The agent ended the conversation (e.g. transfer, refusal) before the user stopped."""
    MAX_TURNS = "max_turns"
    MAX_TOOL_CALLS = "max_tool_calls"
    LLM_TIMEOUT = "llm_timeout"
    LLM_ERROR = "llm_error"
    RATE_LIMITED = "rate_limited"
    WORLD_BUG = "world_bug"
    EPISODE_TIMEOUT = "episode_timeout"
    """The whole episode ran past its deadline (a slow or stalled server)."""

    @property
    def is_infrastructure(self) -> bool:
        return self in {
            Termination.LLM_TIMEOUT,
            Termination.LLM_ERROR,
            Termination.RATE_LIMITED,
            Termination.WORLD_BUG,
            Termination.EPISODE_TIMEOUT,
        }


class Episode(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    id: str
    task_id: str
    trial: int
    domain_id: str
    agent: PolicyInfo
    user: PolicyInfo
    messages: tuple[Message, ...]
    termination: Termination
    final_state_hash: str | None = None
    tool_calls: int = 0
    tool_errors: int = 0
    usage: Usage = Usage()
    """Tokens, requests, retries and LLM latency of the agent and the user together."""
    agent_usage: Usage = Usage()
    user_usage: Usage = Usage()
    turns: int = 0
    """Messages the agent and the user produced (tool results excluded)."""
    seed: int | None = None
    """Sampling seed of this trial (sent to LLM policies; differs between trials)."""
    duration_s: float = 0.0
    """Wall-clock time of the episode."""
    error: str | None = None
    """Infrastructure error text when ``termination.is_infrastructure``."""

    @property
    def key(self) -> tuple[str, int]:
        return (self.task_id, self.trial)
