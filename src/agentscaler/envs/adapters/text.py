"""What the environment says to a text-in / text-out policy after its action.

Frameworks that exchange plain text with the model (GEM, verifiers' relayed turns) get the
messages the environment appended after the agent's action as text: tool results in
``<tool_response>`` tags (the Hermes / Qwen convention, which the response normaliser reads back
as tool calls in ``<tool_call>`` tags) and the user's reply as is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

TOOL_CALL_HOWTO = (
    "To use a tool, write one block per call: "
    '<tool_call>{"name": TOOL_NAME, "arguments": {...}}</tool_call>. '
    "Tool results come back in <tool_response> tags. Anything else you write goes to the user."
)


def tools_prompt(system_prompt: str, tools: Sequence[dict[str, Any]]) -> str:
    """The system prompt with the tools listed for a model that sees no structured tools."""
    listed = "\n".join(json.dumps(t["function"], ensure_ascii=False) for t in tools)
    return f"{system_prompt}\n\n# Tools\n\n<tools>\n{listed}\n</tools>\n\n{TOOL_CALL_HOWTO}"


def render(messages: Sequence[dict[str, Any]]) -> str:
    """Messages the environment appended, as the text a policy reads next."""
    parts = []
    for message in messages:
        if message["role"] == "tool":
            parts.append(f"<tool_response>\n{message.get('content') or ''}\n</tool_response>")
        elif message["role"] == "user":
            parts.append(message.get("content") or "")
    return "\n".join(parts)


def added(before: int, observation: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages after the agent's own message (``before`` messages existed before the step)."""
    messages = observation["messages"]
    start = before + 1 if len(messages) > before else before
    return messages[start:]
