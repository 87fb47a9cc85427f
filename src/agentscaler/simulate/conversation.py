"""`Conversation`: the messages of one episode, kept as records and as OpenAI dicts.

The agent's view (``messages``/``wire``) is the episode record: an optional system prompt, the
user's messages, the agent's messages (text and tool calls) and tool results. The user's view
(``user_view``) holds only text, oriented for the user: ``user`` is the simulated user,
``assistant`` the agent. Both grow by appending, so no turn re-serialises the whole history.

Agent messages are made safe to send back to any server: call ids are made unique in the
episode (:class:`~agentscaler.llm.normalize.CallIds`), the wire copy carries no reasoning, and
tool-call arguments that are not a JSON object go on the wire as ``{}`` while the record keeps the
text the model produced (the tool result tells the model its arguments did not parse).
"""

from __future__ import annotations

from typing import Any

from agentscaler.llm.normalize import CallIds, wire_arguments
from agentscaler.records import Message


class Conversation:
    """The growing message lists of one episode."""

    __slots__ = ("_ids", "messages", "tool_calls", "tool_errors", "user_view", "wire")

    def __init__(self, system: str | None = None) -> None:
        self.messages: list[Message] = []
        self.wire: list[dict[str, Any]] = []
        """The agent's view as OpenAI request dicts (what an LLM agent is sent)."""
        self.user_view: list[dict[str, str]] = []
        self.tool_calls = 0
        self.tool_errors = 0
        self._ids = CallIds()
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

    def add_assistant(self, message: Message) -> Message:
        """Append an agent message and return it as recorded (call ids made unique in the
        episode); a message without tool calls is what the user hears."""
        message = self._ids.unique(message)
        wire = message.openai()
        wire.pop("reasoning_content", None)  # servers do not expect it back
        calls = wire.get("tool_calls")
        if calls:
            for call in calls:
                function = call["function"]
                arguments = function["arguments"]
                safe = wire_arguments(arguments)
                if safe is not arguments:
                    function["arguments"] = safe
        self._append(message, wire)
        if not message.tool_calls:
            self.user_view.append({"role": "assistant", "content": message.content or ""})
        return message

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
