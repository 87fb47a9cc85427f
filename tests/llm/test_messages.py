"""Conversion between OpenAI JSON / SDK objects and Message / Usage records."""

from __future__ import annotations

import json

import pytest

from agentscaler.errors import LLMResponseError
from agentscaler.llm.messages import (
    add_usage,
    message_from_openai,
    parse_completion,
    to_openai_messages,
    usage_from_openai,
)
from agentscaler.records import Message, Usage


def test_tool_calls_with_raw_and_parsed_arguments():
    message = message_from_openai(
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{bad"}},
                {"id": "b", "type": "function", "function": {"name": "g", "arguments": {"x": 1}}},
                {"type": "function", "function": {"name": "h", "arguments": None}},
            ],
        }
    )
    a, b, c = message.tool_calls
    assert (a.id, a.function.name, a.function.arguments) == ("a", "f", "{bad")
    assert json.loads(b.function.arguments) == {"x": 1}
    assert c.id.startswith("call_") and c.function.arguments == ""
    assert message.content == ""


def test_missing_ids_are_unique():
    calls = [{"function": {"name": "f", "arguments": "{}"}}] * 3
    message = message_from_openai({"tool_calls": calls})
    assert len({c.id for c in message.tool_calls}) == 3


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_reasoning_fields(key):
    assert message_from_openai({"content": "x", key: "because"}).reasoning_content == "because"


def test_content_parts_are_joined():
    parts = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    assert message_from_openai({"content": parts}).content == "ab"


def test_openai_sdk_objects_are_accepted():
    from openai.types.chat import ChatCompletion

    completion = ChatCompletion.model_validate(
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "reasoning_content": "hmm",
                        "tool_calls": [
                            {
                                "id": "c",
                                "type": "function",
                                "function": {"name": "f", "arguments": "{}"},
                            }
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
    )
    message = message_from_openai(completion.choices[0].message)
    assert message.tool_calls[0].function.name == "f"
    assert message.reasoning_content == "hmm"
    usage = usage_from_openai(completion.usage, retries=1, latency_s=0.5)
    assert usage == Usage(
        requests=1, prompt_tokens=3, completion_tokens=2, retries=1, latency_s=0.5
    )


def test_round_trip_through_openai_dicts():
    original = message_from_openai(
        {"content": None, "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}]}
    )
    (sent,) = to_openai_messages([original])
    assert sent == {
        "role": "assistant",
        "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    }
    assert Message.model_validate(sent) == original


def test_usage_none_is_zero_and_sums():
    assert usage_from_openai(None) == Usage(requests=1)
    total = add_usage(
        Usage(requests=1, prompt_tokens=2, retries=1), Usage(requests=2, completion_tokens=5)
    )
    assert total == Usage(requests=3, prompt_tokens=2, completion_tokens=5, retries=1)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"choices": None},
        {"choices": []},
        {"choices": ["x"]},
        {"choices": [{"message": "x"}]},
    ],
)
def test_parse_completion_refuses_non_completions(body):
    with pytest.raises(LLMResponseError):
        parse_completion(body)


def test_parse_completion_returns_parts():
    message, finish, usage, model = parse_completion(
        {"model": "m", "choices": [{"message": {"content": "hi"}, "finish_reason": "length"}]}
    )
    assert (message.content, finish, usage, model) == ("hi", "length", None, "m")
