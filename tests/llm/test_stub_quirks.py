"""The quirk server: each quirk shows in the raw answer, and the client's normaliser undoes it."""

from __future__ import annotations

import asyncio
import json

import pytest

from agentscaler.errors import LLMRequestRejected
from agentscaler.llm import ChatClient
from agentscaler.llm.stub import QuirkPlan, ScriptedBrain, StubServer, tool_call
from agentscaler.llm.stub.quirks import THINKING

from .conftest import fast_config

TOOLS = [
    {"type": "function", "function": {"name": "get_order", "parameters": {"type": "object"}}},
    {"type": "function", "function": {"name": "cancel_order", "parameters": {"type": "object"}}},
]
CALLS = {
    "content": None,
    "tool_calls": [
        tool_call("get_order", {"order_id": "O-1"}),
        tool_call("cancel_order", {"order_id": "O-1", "reason": "no longer needed"}),
    ],
}
TEXT = "Your order O-1 is cancelled and the refund is on its way."
ASK = [{"role": "user", "content": "cancel O-1"}]


def _both(quirks: QuirkPlan, answer, *, config=None, **params):
    """(raw JSON body, normalised ChatResult) of the same scripted answer under ``quirks``."""
    with StubServer(ScriptedBrain([answer], repeat_last=True), quirks=quirks) as server:
        cfg = config or fast_config(server.base_url)

        async def run():
            async with ChatClient(cfg) as client:
                raw = await client.complete_raw(ASK, TOOLS, **params)
                result = await client.chat(ASK, TOOLS, **params)
            return raw, result

        raw, result = asyncio.run(run())
        return raw, result, server.stats


@pytest.mark.parametrize(
    ("mode", "raw_check"),
    [
        ("think", lambda m: m["content"].startswith("<think>")),
        ("open_think", lambda m: "</think>" in m["content"] and "<think>" not in m["content"]),
        ("reasoning_content", lambda m: m["reasoning_content"] == THINKING),
        ("reasoning", lambda m: m["reasoning"] == THINKING),
    ],
)
def test_reasoning_never_reaches_content(mode, raw_check):
    raw, result, _ = _both(QuirkPlan(reasoning=mode), TEXT)
    assert raw_check(raw["choices"][0]["message"])
    assert result.message.content == TEXT
    assert result.message.reasoning_content == THINKING
    assert "###STOP###" in result.message.reasoning_content  # the trap the user's check avoids


@pytest.mark.parametrize("fmt", ["hermes", "llama3", "mistral", "json"])
@pytest.mark.parametrize("reasoning", ["none", "think"])
def test_text_tool_calls_become_structured_calls(fmt, reasoning):
    raw, result, _ = _both(QuirkPlan(tool_call_format=fmt, reasoning=reasoning), CALLS)
    message = raw["choices"][0]["message"]
    assert "tool_calls" not in message and message["content"]
    assert raw["choices"][0]["finish_reason"] == "stop"
    calls = result.message.tool_calls
    assert [c.function.name for c in calls] == ["get_order", "cancel_order"]
    assert json.loads(calls[1].function.arguments) == {
        "order_id": "O-1",
        "reason": "no longer needed",
    }
    assert result.message.content is None


def test_reused_ids_are_what_the_server_sends():
    raw, _, _ = _both(QuirkPlan(reuse_ids=True), CALLS)
    assert [c["id"] for c in raw["choices"][0]["message"]["tool_calls"]] == ["call_0", "call_1"]


def test_null_entries_are_retried_until_a_clean_answer():
    plan = QuirkPlan(null_tool_calls_rate=0.3, seed=4)
    server = StubServer(ScriptedBrain([CALLS], repeat_last=True), quirks=plan)
    with server, ChatClient(fast_config(server.base_url, max_retries=8)) as client:
        results = [client.chat_sync(ASK, TOOLS) for _ in range(20)]
    assert all(len(r.message.tool_calls) == 2 for r in results)
    nulls = server.stats.quirks["null_entry"]
    assert nulls >= 2 and sum(r.usage.retries for r in results) == nulls


def test_truncated_answers_are_asked_again_with_a_larger_budget():
    raw, result, stats = _both(QuirkPlan(truncate_at=4), TEXT)
    assert raw["choices"][0]["finish_reason"] == "length"
    assert raw["choices"][0]["message"]["content"] == "Your order O-1 is"
    assert result.finish_reason == "stop" and result.message.content == TEXT
    assert result.usage.requests == 2
    assert "Your order O-1 is" in stats.cut_texts


def test_a_cut_tool_call_has_broken_arguments_and_length():
    raw, result, _ = _both(QuirkPlan(truncate_at=3), CALLS, max_tokens=3)
    choice = raw["choices"][0]
    assert choice["finish_reason"] == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice["message"]["tool_calls"][-1]["function"]["arguments"])
    # the request's own max_tokens (3) was doubled to the floor of 1024: the answer is whole
    assert result.finish_reason == "tool_calls" and len(result.message.tool_calls) == 2


def test_empty_answers_come_at_the_configured_rate():
    s = StubServer(ScriptedBrain([TEXT], repeat_last=True), quirks=QuirkPlan(empty_rate=0.5))
    with s, ChatClient(fast_config(s.base_url)) as client:
        texts = [client.chat_sync(ASK).message.content for _ in range(40)]
    empty = sum(not t for t in texts)
    assert 8 <= empty <= 32 and s.stats.quirks["empty"] == empty


def test_bad_history_is_refused_like_vllm():
    broken = {
        "role": "assistant",
        "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x": '}}
        ],
    }
    history = [*ASK, broken, {"role": "tool", "tool_call_id": "a", "content": "{}"}]
    s = StubServer(ScriptedBrain([TEXT]), quirks=QuirkPlan(reject_bad_history=True))
    with (
        s,
        ChatClient(fast_config(s.base_url)) as client,
        pytest.raises(LLMRequestRejected, match=r"HTTP 400.*not valid JSON"),
    ):
        client.chat_sync(history)
    assert s.stats.quirks["bad_history"] == 1
