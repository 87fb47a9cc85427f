"""`Conversation`: the messages of one episode, kept as records and as OpenAI dicts.

The agent's view (``messages``/``wire``) is the episode record: an optional system prompt, the
user's messages, the agent's messages (text and tool calls) and tool results. The user's view
(``user_view``) holds only text, oriented for the user: ``user`` is the simulated user,
``assistant`` the agent. Both grow by appending, so no turn re-serialises the whole history.
"""

from __future__ import annotations

from typing import Any

from agentscaler.records import Message


class Conversation:
    """The growing message lists of one episode."""

    __slots__ = ("messages", "tool_calls", "tool_errors", "user_view", "wire")

    def __init__(self, system: str | None = None) -> None:
        self.messages: list[Message] = []
        self.wire: list[dict[str, Any]] = []
        """The agent's view as OpenAI request dicts (what an LLM agent is sent)."""
        self.user_view: list[dict[str, str]] = []
        self.tool_calls = 0
        self.tool_errors = 0
        if system:
            self._append(Message(role="system", content=system))

    def _append(self, message: Message, wire: dict[str, Any] | None = None) -> None:
        self.messages.append(message)
        self.wire.append(wire if wire is not None else message.openai())

    def add_user(self, text: str) -> Message:
        message = Message(role="user", content=text)
        self._append(message, {"role": "user", "content": text})
        self.user_view.append({"role": "user", "content": text})
        return message

    def add_assistant(self, message: Message) -> None:
        """Append an agent message; a message without tool calls is what the user hears."""
        wire = message.openai()
        wire.pop("reasoning_content", None)  # servers do not expect it back
        self._append(message, wire)
        if not message.tool_calls:
            self.user_view.append({"role": "assistant", "content": message.content or ""})

    def add_tool_result(self, call_id: str, content: str, *, error: bool) -> None:
        self._append(
            Message(role="tool", tool_call_id=call_id, content=content),
            {"role": "tool", "tool_call_id": call_id, "content": content},
        )
        self.tool_calls += 1
        if error:
            self.tool_errors += 1

    def __len__(self) -> int:
        return len(self.messages)
