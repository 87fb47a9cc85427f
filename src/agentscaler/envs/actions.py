"""Actions of a task environment: one assistant message, made clean by the response normaliser.

An action is what an agent says next, in any of the shapes trainers produce:

* raw model text (``str``): reasoning split off, tool calls written as text (Hermes/Qwen
  ``<tool_call>`` tags, Llama 3 JSON, Mistral ``[TOOL_CALLS]``, a JSON call) parsed;
* an OpenAI assistant message (``{"role": "assistant", "content": ..., "tool_calls": [...]}``,
  a dict or an openai SDK object), or a :class:`~agentscaler.records.Message`;
* a single tool call as ``{"name": ..., "arguments": {...}}``.

Every shape goes through :func:`agentscaler.llm.normalize.normalize_message`, the normaliser that
sits between LLM servers and simulation, so an environment episode and a simulated one hold the
same messages for the same model output.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError

from agentscaler.errors import EnvError, LLMResponseError
from agentscaler.llm.messages import as_dict
from agentscaler.llm.normalize import normalize_message
from agentscaler.records import Message


class InvalidAction(EnvError):
    """The action holds no usable assistant message (answered with an error observation)."""


def to_message(action: Any, tools: Collection[Any], parser: str = "auto") -> Message:
    """The assistant message of ``action`` (see the module docstring).

    Raises :class:`InvalidAction` when the action is empty or a tool-call entry is unusable (no
    function name, not an object), and :class:`EnvError` when the action has no supported shape.
    """
    if isinstance(action, Message):
        if action.role != "assistant":
            raise EnvError(f"an action is an assistant message, not a {action.role!r} message")
        data: dict[str, Any] = action.openai()
    elif isinstance(action, str):
        data = {"content": action}
    elif isinstance(action, Mapping) or hasattr(action, "model_dump"):
        data = dict(as_dict(action))
        role = data.pop("role", "assistant")
        if role != "assistant":
            raise EnvError(f"an action is an assistant message, not a {role!r} message")
        if "name" in data and "content" not in data and "tool_calls" not in data:
            arguments = data.get("arguments", {})
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            data = {
                "tool_calls": [
                    {"type": "function", "function": {"name": data["name"], "arguments": arguments}}
                ]
            }
    else:
        raise EnvError(
            f"an action is an assistant message (dict or Message), raw model text or a tool call "
            f"{{'name': ..., 'arguments': {{...}}}}, not a {type(action).__name__}"
        )
    try:
        message = normalize_message(data, tools=tools, parser=parser)
    except LLMResponseError as exc:
        raise InvalidAction(f"the action's tool calls are unusable: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidAction(f"the action is not a valid message ({where}: {first['msg']})") from exc
    if not message.tool_calls and not (message.content or "").strip():
        raise InvalidAction("the action is empty: send text for the user or tool calls")
    return message
