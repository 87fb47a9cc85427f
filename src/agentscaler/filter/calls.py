"""Tool calls of an episode, paired with their results, and argument normalization."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.records import Episode, Message

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
    """Every tool call of the conversation in order, with the tool message that answers it."""
    results: dict[str, str] = {}
    for message in messages:
        if message.role == "tool" and message.tool_call_id is not None:
            results.setdefault(message.tool_call_id, message.content or "")
    calls: list[CallRecord] = []
    for index, message in enumerate(messages):
        if message.role != "assistant" or not message.tool_calls:
            continue
        for call in message.tool_calls:
            calls.append(
                CallRecord(
                    index=index,
                    call_id=call.id,
                    name=call.function.name,
                    raw_arguments=call.function.arguments,
                    arguments=parse_arguments(call.function.arguments),
                    result=results.get(call.id),
                )
            )
    return calls


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
