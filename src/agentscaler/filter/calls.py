"""Tool calls of an episode, paired with their results, and argument normalization."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.records import Episode, Message, ToolCall

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CallRecord:
    """One tool call the agent made, with its parsed arguments and its result."""

    index: int
    """Position of the assistant message in the episode."""
    call_id: str
    name: str
    raw_arguments: str
    arguments: dict[str, Any] | None
    """Parsed arguments, or None when the text is not a JSON object."""
    result: str | None
    """Content of the tool message answering the call, or None if there is none."""

    @property
    def errored(self) -> bool:
        return self.result is None or is_error_observation(self.result)


def parse_arguments(raw: str) -> dict[str, Any] | None:
    """The arguments as a dict, or None when they are not a JSON object."""
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def is_error_observation(content: str) -> bool:
    """True when a tool result is an error observation (``{"error": {...}}``)."""
    if not content or not content.lstrip().startswith("{"):
        return False
    if '"error"' not in content and "\\u" not in content:
        return False  # no "error" key, not even spelled with \u escapes: skip the parse
    try:
        value = json.loads(content)
    except json.JSONDecodeError:
        return False
    return isinstance(value, dict) and "error" in value and len(value) <= 2


def episode_calls(messages: tuple[Message, ...] | list[Message]) -> list[CallRecord]:
    """Every tool call of the conversation in order, with the tool message that answers it.

    Results are paired with calls by where they stand, the way they were answered: the tool
    messages that follow an assistant message answer its calls. Inside that run a result goes to
    the call its ``tool_call_id`` names when the message's ids are distinct; otherwise (ids
    reused or missing) results answer the calls in order. Ids never pair a result with a call of
    another message, so a server that reuses ids across turns cannot change a verdict.
    """
    calls: list[CallRecord] = []
    count = len(messages)
    index = 0
    while index < count:
        message = messages[index]
        index += 1
        if message.role != "assistant" or not message.tool_calls:
            continue
        start = index
        while index < count and messages[index].role == "tool":
            index += 1
        results = _pair(message.tool_calls, messages[start:index])
        for call, result in zip(message.tool_calls, results, strict=True):
            calls.append(
                CallRecord(
                    index=start - 1,
                    call_id=call.id,
                    name=call.function.name,
                    raw_arguments=call.function.arguments,
                    arguments=parse_arguments(call.function.arguments),
                    result=result,
                )
            )
    return calls


def _pair(
    calls: tuple[ToolCall, ...], answers: tuple[Message, ...] | list[Message]
) -> list[str | None]:
    """The result text of each call (None when unanswered) from the tool messages after it."""
    ids = [c.id for c in calls]
    if len(set(ids)) == len(ids):
        by_id: dict[str, str] = {}
        for answer in answers:
            if answer.tool_call_id in by_id or answer.tool_call_id not in ids:
                break
            by_id[answer.tool_call_id] = answer.content or ""
        else:
            return [by_id.get(i) for i in ids]
    texts: list[str | None] = [a.content or "" for a in answers[: len(calls)]]
    return texts + [None] * (len(calls) - len(texts))


def calls_of(episode: Episode) -> list[CallRecord]:
    return episode_calls(episode.messages)


def normalize_value(value: Any) -> Any:
    """Normalize an argument value for comparison: whitespace, number types, key order."""
    if isinstance(value, str):
        return _SPACE.sub(" ", value.strip())
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return round(value, 9)
    if isinstance(value, int):
        return value
    if isinstance(value, list | tuple):
        return [normalize_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normalize_value(v) for k, v in value.items()}
    return value


def normalize_arguments(
    arguments: dict[str, Any], schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Normalize a call's arguments; with the tool's schema, coerce to declared types and add
    declared defaults for omitted parameters, so ``{"limit": "10"}`` equals ``{}`` when the
    default limit is 10 and the type is integer."""
    properties = (schema or {}).get("properties", {}) if isinstance(schema, dict) else {}
    out: dict[str, Any] = {}
    for key, value in arguments.items():
        out[key] = normalize_value(_coerce(value, properties.get(key)))
    for key, prop in properties.items():
        if key not in out and isinstance(prop, dict) and "default" in prop:
            out[key] = normalize_value(prop["default"])
    return out


def _coerce(value: Any, schema: Any) -> Any:
    if not isinstance(schema, dict) or not isinstance(value, str):
        return value
    kind = schema.get("type")
    text = value.strip()
    try:
        if kind == "integer" and re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "boolean" and text.lower() in {"true", "false"}:
            return text.lower() == "true"
    except ValueError:
        return value
    return value


def call_key(name: str, arguments: dict[str, Any], schema: dict[str, Any] | None = None) -> str:
    """A canonical string for (tool, normalized arguments)."""
    return name + canonical_json(normalize_arguments(arguments, schema))
