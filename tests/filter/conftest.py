"""Builders of small, realistic episodes for filter tests."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from agentscaler.records import (
    Episode,
    Message,
    PolicyInfo,
    Termination,
    ToolCall,
    ToolCallFunction,
)


class Conversation:
    """Fluent builder: ``Conversation().user("hi").call("get_order", order_id="O1").result({...})``."""

    def __init__(self, system: str | None = "You are a helpful retail assistant.") -> None:
        self.messages: list[Message] = []
        if system:
            self.messages.append(Message(role="system", content=system))
        self._counter = 0
        self._pending: list[str] = []

    def user(self, text: str) -> Conversation:
        self.messages.append(Message(role="user", content=text))
        return self

    def say(self, text: str, reasoning: str | None = None) -> Conversation:
        self.messages.append(Message(role="assistant", content=text, reasoning_content=reasoning))
        return self

    def calls(self, *calls: tuple[str, dict | str]) -> Conversation:
        tool_calls = []
        self._pending = []
        for name, arguments in calls:
            self._counter += 1
            call_id = f"call_{self._counter}"
            raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
            tool_calls.append(
                ToolCall(id=call_id, function=ToolCallFunction(name=name, arguments=raw))
            )
            self._pending.append(call_id)
        self.messages.append(Message(role="assistant", tool_calls=tuple(tool_calls)))
        return self

    def call(self, name: str, **arguments) -> Conversation:
        return self.calls((name, arguments))

    def result(self, *outputs) -> Conversation:
        for call_id, output in zip(self._pending, outputs, strict=True):
            self.messages.append(
                Message(role="tool", tool_call_id=call_id, content=json.dumps(output))
            )
        self._pending = []
        return self

    def error(self, kind: str = "not_found", message: str = "order O9 not found") -> Conversation:
        return self.result({"error": {"type": kind, "message": message}})

    def episode(
        self,
        task_id: str = "task-1",
        trial: int = 0,
        termination: Termination = Termination.USER_STOP,
        error: str | None = None,
    ) -> Episode:
        msgs = tuple(self.messages)
        return Episode(
            id=f"{task_id}#{trial}",
            task_id=task_id,
            trial=trial,
            domain_id="d0001-retail",
            agent=PolicyInfo(kind="oracle_agent", offline=True),
            user=PolicyInfo(kind="scripted_user", offline=True),
            messages=msgs,
            termination=termination,
            tool_calls=sum(len(m.tool_calls or ()) for m in msgs),
            error=error,
        )


@pytest.fixture
def conversation() -> Callable[..., Conversation]:
    return Conversation
