"""The LLM agent: any OpenAI-compatible model acting with the world's tools.

It sends the conversation (system prompt first) and the world's tools in OpenAI format through
:class:`agentscaler.llm.ChatClient`, which bounds concurrency, retries 429/5xx/timeouts with
backoff and counts usage. The answer is kept as produced: parallel tool calls, plain replies and
malformed tool-call arguments alike (the episode answers broken calls with error observations).
"""

from __future__ import annotations

from agentscaler.llm import ChatClient
from agentscaler.records import PolicyInfo
from agentscaler.simulate.policies.base import EpisodeContext, PolicyReply


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
        params = {"seed": context.seed} if self.send_seed else {}
        result = await self.client.chat(context.conversation.wire, context.tools or None, **params)
        message = result.message
        empty = not (message.content or "").strip() and not message.tool_calls
        return PolicyReply(message, result.usage, stop=empty)
