"""A scripted text policy for adapter tests: the gold calls as Hermes text, then a last word."""

from __future__ import annotations

import json

from agentscaler.records import Task


def gold_texts(task: Task, *, wrong_write: bool = False) -> list[str]:
    """One action per gold call (``<tool_call>`` text), then a closing message. With
    ``wrong_write`` every string argument of the write calls is altered."""
    texts = []
    for call in task.gold_calls:
        arguments = dict(call.arguments)
        if wrong_write and call.kind == "write":
            arguments = {k: f"{v}-x" if isinstance(v, str) else v for k, v in arguments.items()}
        body = json.dumps({"name": call.name, "arguments": arguments})
        texts.append(f"<tool_call>{body}</tool_call>")
    texts.append("All done: I made the changes you asked for.")
    return texts
