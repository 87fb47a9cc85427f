"""The LLM user: a model playing the user with tau-bench-style rules.

It sees the conversation with the roles flipped (the agent's messages as ``user``, its own as
``assistant``), text only, after its system prompt (goal, known facts, rules; see
:mod:`agentscaler.simulate.policies.prompts`) and the agent's greeting. A reply whose text ends
with the stop token ends the episode (the normaliser has moved any reasoning out of the text). An
empty reply is asked again with another seed; a reply cut at the token limit ends the episode as
``truncated``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from agentscaler.llm import ChatClient
from agentscaler.llm.messages import add_usage
from agentscaler.records import Message, PolicyInfo, Task, Usage
from agentscaler.simulate.config import STOP_TOKEN
from agentscaler.simulate.policies.base import (
    EMPTY_REPLY_RETRIES,
    EpisodeContext,
    PolicyReply,
    is_stop,
    retry_seed,
)
from agentscaler.simulate.policies.llm_agent import truncated
from agentscaler.simulate.policies.prompts import user_system_prompt

_FLIP = {"user": "assistant", "assistant": "user"}
_PROMPT_CACHE_SIZE = 4096


class LLMUser:
    """A user played by ``client``'s model."""

    def __init__(
        self,
        client: ChatClient,
        *,
        stop_token: str = STOP_TOKEN,
        greeting: str = "Hi! How can I help you today?",
        send_seed: bool = True,
    ) -> None:
        self.client = client
        self.stop_token = stop_token
        self.greeting = greeting
        self.send_seed = send_seed
        self._info = PolicyInfo(kind="llm", model=client.config.model)
        self._prompts: OrderedDict[str, tuple[Task, str]] = OrderedDict()

    @property
    def info(self) -> PolicyInfo:
        return self._info

    def _prompt(self, task: Task) -> str:
        cached = self._prompts.get(task.id)
        if cached is not None and cached[0] is task:
            return cached[1]
        prompt = user_system_prompt(task, self.stop_token)
        self._prompts[task.id] = (task, prompt)
        if len(self._prompts) > _PROMPT_CACHE_SIZE:
            self._prompts.popitem(last=False)
        return prompt

    def messages(self, context: EpisodeContext) -> list[dict[str, Any]]:
        """What the user model is sent: its prompt, the greeting, the flipped conversation."""
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self._prompt(context.task)},
            {"role": "user", "content": self.greeting},
        ]
        messages.extend(
            {"role": _FLIP[m["role"]], "content": m["content"]}
            for m in context.conversation.user_view
        )
        return messages

    async def respond(self, context: EpisodeContext) -> PolicyReply:
        messages = self.messages(context)
        usage: Usage | None = None
        text = ""
        for attempt in range(EMPTY_REPLY_RETRIES + 1):
            params = {"seed": retry_seed(context.seed + 1, attempt)} if self.send_seed else {}
            result = await self.client.chat(messages, **params)
            usage = result.usage if usage is None else add_usage(usage, result.usage)
            if result.finish_reason == "length":
                raise truncated("user", self._info.model or "", usage)
            text = (result.message.content or "").strip()
            if text:
                break
        return PolicyReply(
            Message(role="user", content=text), usage, stop=is_stop(text, self.stop_token)
        )
