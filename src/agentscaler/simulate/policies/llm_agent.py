"""The LLM agent: any OpenAI-compatible model acting with the world's tools.

It sends the conversation (system prompt first) and the world's tools in OpenAI format through
:class:`agentscaler.llm.ChatClient`, which bounds concurrency, retries 429/5xx/timeouts with
backoff, counts usage and normalises the answer (reasoning split out, tool calls written as text
parsed). Parallel tool calls, plain replies and malformed tool-call arguments are kept as produced
(the episode answers broken calls with error observations). An empty answer is asked again with
another seed, then ends the episode as the agent's stop; an answer cut at the token limit ends it
as ``truncated``.
"""

from __future__ import annotations

from agentscaler.errors import LLMTruncated
from agentscaler.llm import ChatClient
from agentscaler.llm.messages import add_usage
from agentscaler.records import PolicyInfo, Usage
from agentscaler.simulate.policies.base import (
    EMPTY_REPLY_RETRIES,
    EpisodeContext,
    PolicyReply,
    retry_seed,
)


def truncated(role: str, model: str, usage: Usage) -> LLMTruncated:
    """The error of a policy whose model's answer was cut at the token limit."""
    return LLMTruncated(
        f"the {role} model {model} was cut at the token limit (finish_reason=length), also when "
        "asked again with a larger max_tokens. Fix: raise max_tokens or the server's context "
        "length, or turn the model's thinking off.",
        usage=usage,
    )


class LLMAgent:
    """An agent played by ``client``'s model; each trial samples with its own seed."""

    def __init__(self, client: ChatClient, *, send_seed: bool = True) -> None:
        self.client = client
        self.send_seed = send_seed
        self._info = PolicyInfo(kind="llm", model=client.config.model)

    @property
    def info(self) -> PolicyInfo:
        return self._info

    async def act(self, context: EpisodeContext) -> PolicyReply:
        usage: Usage | None = None
        for attempt in range(EMPTY_REPLY_RETRIES + 1):
            params = {"seed": retry_seed(context.seed, attempt)} if self.send_seed else {}
            result = await self.client.chat(
                context.conversation.wire, context.tools or None, **params
            )
            usage = result.usage if usage is None else add_usage(usage, result.usage)
            if result.finish_reason == "length":
                raise truncated("agent", self._info.model or "", usage)
            message = result.message
            if message.tool_calls or (message.content or "").strip():
                return PolicyReply(message, usage)
        return PolicyReply(message, usage, stop=True)
