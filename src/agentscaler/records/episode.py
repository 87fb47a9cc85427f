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
    """Why an episode ended. Infrastructure failures are separate from agent outcomes.

    As in tau-bench, a failure of the model (a request the server refuses with a 4xx other than
    408/429, context overflow included; an answer cut at the token limit; a user that answers
    nothing) is an outcome that counts as a failure; only transport failures, 5xx, 429 and
    timeouts after retries, world bugs and episode deadlines are infrastructure.
    """

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
    LLM_REJECTED = "llm_rejected"
    """A server refused a request with a 4xx other than 408/429 (e.g. the context overflowed)."""
    TRUNCATED = "truncated"
    """A model's answer was cut at the token limit, also when asked with a larger budget."""
    EMPTY_USER_REPLY = "empty_user_reply"
    """The user model answered nothing, also when asked again."""
    POLICY_BREACH = "policy_breach"
    """The agent changed a record of another person than the user it serves (the world's
    policy forbids it; :mod:`agentscaler.worlds.ownership`): the conversation ends there."""

    @property
    def is_infrastructure(self) -> bool:
        return self in {
            Termination.LLM_TIMEOUT,
            Termination.LLM_ERROR,
            Termination.RATE_LIMITED,
            Termination.WORLD_BUG,
            Termination.EPISODE_TIMEOUT,
        }

    @property
    def is_model_failure(self) -> bool:
        """The episode stopped because a model failed (not the infrastructure): it is incomplete,
        never kept for training, and counts as a failure in pass^k."""
        return self in {
            Termination.LLM_REJECTED,
            Termination.TRUNCATED,
            Termination.EMPTY_USER_REPLY,
        }


class Episode(Record):
    SCHEMA_VERSION: ClassVar[int] = 3
    OLDER_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2)
    """Version 2 added the terminations ``llm_rejected``, ``truncated`` and ``empty_user_reply``
    (version 1 recorded a refused request as ``llm_error``); version 3 ``policy_breach``."""

    schema_version: int = 3
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
