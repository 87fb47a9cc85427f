"""Conversion between OpenAI chat-completions JSON and our `Message` / `Usage` records.

The client parses response bodies itself (plain dicts from the wire), so these functions take
dicts; openai SDK objects are accepted too and turned into dicts first. Assistant messages go
through the response normaliser (:mod:`agentscaler.llm.normalize`). Tool-call arguments stay
the exact text the model produced, even when it is not valid JSON: judging them is the job of the
simulation and the filters, not of the transport.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from agentscaler.errors import LLMResponseError
from agentscaler.llm.normalize import normalize_message
from agentscaler.records import Message, Usage


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


def message_from_openai(
    raw: Any, *, tools: Collection[Any] | None = None, parser: str = "auto"
) -> Message:
    """The assistant message of a choice (``choices[i].message``) as a normalised
    :class:`Message` (see :func:`agentscaler.llm.normalize.normalize_message`)."""
    return normalize_message(as_dict(raw), tools=tools, parser=parser)


def usage_from_openai(
    raw: Any, *, retries: int = 0, latency_s: float = 0.0, requests: int = 1
) -> Usage:
    """Usage of one request; token counts are 0 when the server sent none (or nonsense)."""
    data = as_dict(raw) if raw is not None else {}
    return Usage(
        requests=requests,
        prompt_tokens=_count(data.get("prompt_tokens")),
        completion_tokens=_count(data.get("completion_tokens")),
        retries=retries,
        latency_s=latency_s,
    )


def _count(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def add_usage(*usages: Usage) -> Usage:
    """The sum of several usages (e.g. every turn of an episode)."""
    return Usage(
        requests=sum(u.requests for u in usages),
        prompt_tokens=sum(u.prompt_tokens for u in usages),
        completion_tokens=sum(u.completion_tokens for u in usages),
        retries=sum(u.retries for u in usages),
        latency_s=sum(u.latency_s for u in usages),
    )


def parse_completion(
    body: Any, *, tools: Collection[Any] | None = None, parser: str = "auto"
) -> tuple[Message, str | None, dict[str, Any] | None, str | None]:
    """``(message, finish_reason, usage, model)`` of a chat-completions response body, the
    message normalised (``tools``: those the request offered; ``parser``: the text format of
    tool calls written as text).

    Raises :class:`LLMResponseError` when the body is not a completion with a first choice, or
    when the message holds an unusable tool-call entry.
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
    finish_reason = choice.get("finish_reason")
    model = body.get("model")
    try:
        normalized = normalize_message(message, tools=tools, parser=parser)
    except ValidationError as exc:  # a field of the wrong type somewhere in the message
        raise LLMResponseError(f"the message is not usable ({exc.errors()[0]['msg']}): "
                               f"{_clip(message)}") from exc  # fmt: skip
    return (
        normalized,
        finish_reason if isinstance(finish_reason, str) else None,
        usage if isinstance(usage, Mapping) else None,
        model if isinstance(model, str) else None,
    )


def _clip(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
