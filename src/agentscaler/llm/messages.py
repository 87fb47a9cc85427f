"""Conversion between OpenAI chat-completions JSON and our `Message` / `Usage` records.

The client parses response bodies itself (plain dicts from the wire), so these functions take
dicts; openai SDK objects are accepted too and turned into dicts first. Tool-call arguments stay
the exact text the model produced, even when it is not valid JSON: judging them is the job of the
simulation and the filters, not of the transport.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from agentscaler.errors import LLMResponseError
from agentscaler.records import Message, ToolCall, ToolCallFunction, Usage

REASONING_KEYS = ("reasoning_content", "reasoning")
"""Where servers put a reasoning trace (vLLM/SGLang/DeepSeek: ``reasoning_content``)."""


def as_dict(obj: Any) -> dict[str, Any]:
    """A plain dict from a dict or an openai SDK (pydantic) object, extra fields included."""
    if isinstance(obj, Mapping):
        return dict(obj)
    to_dict = getattr(obj, "to_dict", None) or getattr(obj, "model_dump", None)
    if to_dict is None:
        raise TypeError(f"expected a dict or an openai SDK object, got {type(obj).__name__}")
    return to_dict()


def to_openai_messages(messages: Iterable[Message | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Messages as OpenAI request dicts; records are dumped, dicts pass through unchanged."""
    return [m.openai() if isinstance(m, Message) else m for m in messages]  # type: ignore[misc]


def _text(content: Any) -> str | None:
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
    return str(content)


def _arguments(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    # some servers (e.g. older Ollama) send parsed arguments: keep them as JSON text
    return json.dumps(raw, ensure_ascii=False)


def tool_call_from_openai(raw: Any, index: int = 0) -> ToolCall:
    """One ``tool_calls`` entry; a missing id gets a fresh ``call_...`` id so replies can refer to it."""
    data = as_dict(raw)
    function = data.get("function") or {}
    if not isinstance(function, Mapping):
        raise LLMResponseError(f"tool call {index} has a non-object 'function' field: {function!r}")
    call_id = data.get("id") or f"call_{uuid.uuid4().hex[:24]}"
    return ToolCall(
        id=str(call_id),
        function=ToolCallFunction(
            name=str(function.get("name") or ""), arguments=_arguments(function.get("arguments"))
        ),
    )


def message_from_openai(raw: Any) -> Message:
    """The assistant message of a choice (``choices[i].message``) as a :class:`Message`."""
    data = as_dict(raw)
    calls = data.get("tool_calls")
    tool_calls = (
        tuple(tool_call_from_openai(call, i) for i, call in enumerate(calls)) if calls else None
    )
    reasoning = None
    for key in REASONING_KEYS:
        if data.get(key):
            reasoning = _text(data[key])
            break
    return Message(
        role="assistant",
        content=_text(data.get("content")),
        tool_calls=tool_calls,
        reasoning_content=reasoning,
    )


def usage_from_openai(
    raw: Any, *, retries: int = 0, latency_s: float = 0.0, requests: int = 1
) -> Usage:
    """Usage of one request; token counts are 0 when the server sent none."""
    data = as_dict(raw) if raw is not None else {}
    return Usage(
        requests=requests,
        prompt_tokens=int(data.get("prompt_tokens") or 0),
        completion_tokens=int(data.get("completion_tokens") or 0),
        retries=retries,
        latency_s=latency_s,
    )


def add_usage(*usages: Usage) -> Usage:
    """The sum of several usages (e.g. every turn of an episode)."""
    return Usage(
        requests=sum(u.requests for u in usages),
        prompt_tokens=sum(u.prompt_tokens for u in usages),
        completion_tokens=sum(u.completion_tokens for u in usages),
        retries=sum(u.retries for u in usages),
        latency_s=sum(u.latency_s for u in usages),
    )


def parse_completion(body: Any) -> tuple[Message, str | None, dict[str, Any] | None, str | None]:
    """``(message, finish_reason, usage, model)`` of a chat-completions response body.

    Raises :class:`LLMResponseError` when the body is not a completion with a first choice.
    """
    if not isinstance(body, Mapping):
        raise LLMResponseError(f"the response body is not a JSON object: {_clip(body)}")
    choices = body.get("choices")
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], Mapping):
        raise LLMResponseError(f"the response has no choices: {_clip(body)}")
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, Mapping):
        raise LLMResponseError(f"the first choice has no message object: {_clip(choice)}")
    usage = body.get("usage")
    return (
        message_from_openai(message),
        choice.get("finish_reason"),
        usage if isinstance(usage, Mapping) else None,
        body.get("model"),
    )


def _clip(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
