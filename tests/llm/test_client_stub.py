"""ChatClient against the stub server over real sockets, for every HTTP backend."""

from __future__ import annotations

import asyncio
import json

import pytest

from agentscaler.errors import (
    LLMConnectionError,
    LLMRateLimited,
    LLMRequestRejected,
    LLMResponseError,
    LLMServerError,
    LLMTimeout,
)
from agentscaler.llm import ChatClient, ChatResult
from agentscaler.llm import client as client_module
from agentscaler.llm.stub import EchoBrain, Fault, FaultPlan, ScriptedBrain, tool_call

from .conftest import BACKENDS, fast_config

USER = [{"role": "user", "content": "one two three"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_order",
            "description": "Look up an order.",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}},
        },
    }
]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


def test_plain_reply_and_usage(stub_server, backend):
    server = stub_server(ScriptedBrain(["hello big world"]))
    with ChatClient(fast_config(server.base_url, http_backend=backend)) as client:
        result = client.chat_sync(USER)
    assert isinstance(result, ChatResult)
    assert result.message.role == "assistant"
    assert result.message.content == "hello big world"
    assert result.message.tool_calls is None
    assert result.finish_reason == "stop"
    assert result.model == "agent"
    # the stub estimates tokens as whitespace-separated words
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (3, 3)
    assert result.usage.requests == 1 and result.usage.retries == 0
    assert result.usage.latency_s > 0


def test_request_carries_config_and_params(stub_server, backend):
    brain = ScriptedBrain(["ok"])
    server = stub_server(brain)
    cfg = fast_config(
        server.base_url,
        http_backend=backend,
        temperature=0.3,
        max_tokens=7,
        extra_body={"top_k": 5},
    )
    with ChatClient(cfg) as client:
        client.chat_sync(USER, TOOLS, tool_choice="auto", seed=11, extra_body={"min_p": 0.1})
    sent = brain.requests[0]
    assert sent["model"] == "agent"
    assert sent["messages"] == USER
    assert sent["tools"] == TOOLS
    assert sent["temperature"] == 0.3 and sent["max_tokens"] == 7
    assert sent["tool_choice"] == "auto" and sent["seed"] == 11
    assert sent["top_k"] == 5 and sent["min_p"] == 0.1
    assert "stream" not in sent


def test_parallel_tool_calls_keep_ids_names_and_raw_arguments(stub_server, backend):
    calls = [
        tool_call("get_order", {"order_id": "o-1"}, id="call_a"),
        tool_call("get_order", {"order_id": "o-2"}, id="call_b"),
    ]
    server = stub_server(ScriptedBrain([{"content": None, "tool_calls": calls}]))
    with ChatClient(fast_config(server.base_url, http_backend=backend)) as client:
        result = client.chat_sync(USER, TOOLS)
    assert result.finish_reason == "tool_calls"
    got = result.message.tool_calls
    assert [c.id for c in got] == ["call_a", "call_b"]
    assert [c.function.name for c in got] == ["get_order", "get_order"]
    assert [json.loads(c.function.arguments) for c in got] == [
        {"order_id": "o-1"},
        {"order_id": "o-2"},
    ]


def test_malformed_tool_call_json_is_kept_raw(stub_server, backend):
    broken = '{"order_id": "o-1", '
    server = stub_server(ScriptedBrain([{"tool_calls": [tool_call("get_order", broken)]}]))
    with ChatClient(fast_config(server.base_url, http_backend=backend)) as client:
        result = client.chat_sync(USER, TOOLS)
    assert result.message.tool_calls[0].function.arguments == broken


def test_injected_malformed_arguments_fault_breaks_json_but_not_the_client(stub_server):
    reply = {"tool_calls": [tool_call("get_order", {"order_id": "o-1"})]}
    server = stub_server(ScriptedBrain([reply]), FaultPlan.scripted(Fault.MALFORMED_ARGS))
    with ChatClient(fast_config(server.base_url)) as client:
        result = client.chat_sync(USER, TOOLS)
    arguments = result.message.tool_calls[0].function.arguments
    assert arguments.startswith('{"order_id": "o-1"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(arguments)


def test_500_then_success_counts_the_retry(stub_server, backend):
    brain = ScriptedBrain(["recovered"])
    server = stub_server(brain, FaultPlan.scripted(Fault.SERVER_ERROR))
    with ChatClient(fast_config(server.base_url, http_backend=backend)) as client:
        result = client.chat_sync(USER)
        assert client.usage.retries == 1 and client.usage.requests == 1
    assert result.message.content == "recovered"
    assert result.usage.retries == 1
    assert server.stats.statuses == {500: 1, 200: 1}
    assert len(brain.requests) == 1  # the failed attempt did not consume a scripted reply


def test_429_honours_retry_after_then_succeeds(stub_server, backend, monkeypatch):
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float) -> None:
        delays.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(client_module, "_backoff_sleep", recording_sleep)
    plan = FaultPlan.scripted(Fault.RATE_LIMIT, Fault.RATE_LIMIT, retry_after_s=0.25)
    server = stub_server(EchoBrain(), plan)
    with ChatClient(fast_config(server.base_url, http_backend=backend)) as client:
        result = client.chat_sync(USER)
    assert result.message.content == "one two three"
    assert result.usage.retries == 2
    # the backoff alone would be ~0.001 s: the server's 250 ms win
    assert delays == [pytest.approx(0.25), pytest.approx(0.25)]


def test_persistent_500_raises_server_error_after_max_retries(stub_server, backend):
    server = stub_server(EchoBrain(), FaultPlan(fail_rate=1.0))
    cfg = fast_config(server.base_url, http_backend=backend, max_retries=2)
    with ChatClient(cfg) as client, pytest.raises(LLMServerError) as info:
        client.chat_sync(USER)
    assert client.failures == 1
    err = info.value
    assert err.status == 500 and err.attempts == 3
    assert server.stats.requests == 3
    message = str(err)
    assert server.base_url in message and "agent" in message and "HTTP 500" in message


def test_persistent_429_raises_rate_limited(stub_server):
    server = stub_server(EchoBrain(), FaultPlan(rate_limit_rate=1.0, retry_after_s=0.0))
    client = ChatClient(fast_config(server.base_url, max_retries=1))
    with client, pytest.raises(LLMRateLimited) as info:
        client.chat_sync(USER)
    assert info.value.status == 429 and info.value.attempts == 2


def test_hang_longer_than_timeout_raises_llm_timeout(stub_server, backend):
    server = stub_server(EchoBrain(), FaultPlan(hang_rate=1.0, hang_s=60))
    cfg = fast_config(server.base_url, http_backend=backend, timeout_s=0.3, max_retries=1)
    with ChatClient(cfg) as client, pytest.raises(LLMTimeout) as info:
        client.chat_sync(USER)
    assert info.value.attempts == 2 and info.value.status is None
    assert "timed out" in str(info.value)


def test_timeout_then_success(stub_server):
    server = stub_server(EchoBrain(), FaultPlan.scripted(Fault.HANG, hang_s=60))
    with ChatClient(fast_config(server.base_url, timeout_s=2.0)) as client:
        result = client.chat_sync(USER)
    assert result.message.content == "one two three" and result.usage.retries == 1


def test_connection_refused_raises_connection_error(free_port, backend):
    cfg = fast_config(f"http://127.0.0.1:{free_port}/v1", http_backend=backend, max_retries=1)
    with ChatClient(cfg) as client, pytest.raises(LLMConnectionError) as info:
        client.chat_sync(USER)
    assert info.value.attempts == 2
    assert f"127.0.0.1:{free_port}" in str(info.value)


def test_invalid_body_is_retried_then_reported(stub_server, backend):
    server = stub_server(EchoBrain(), FaultPlan.scripted(Fault.INVALID_BODY))
    with ChatClient(fast_config(server.base_url, http_backend=backend)) as client:
        assert client.chat_sync(USER).usage.retries == 1
    always = stub_server(EchoBrain(), FaultPlan(invalid_body_rate=1.0))
    client = ChatClient(fast_config(always.base_url, http_backend=backend, max_retries=1))
    with client, pytest.raises(LLMResponseError, match="unusable response"):
        client.chat_sync(USER)


def test_unknown_model_is_rejected_without_retry(stub_server, backend):
    from agentscaler.llm.stub import RoutingBrain

    server = stub_server(RoutingBrain({"user": EchoBrain()}))
    client = ChatClient(fast_config(server.base_url, http_backend=backend))
    with client, pytest.raises(LLMRequestRejected, match="no model 'agent'") as info:
        client.chat_sync(USER)
    assert info.value.status == 400 and info.value.attempts == 1
    assert server.stats.requests == 1


def test_concurrency_bound_is_respected_at_the_server(stub_server, backend):
    server = stub_server(EchoBrain(), FaultPlan(latency_ms=50))
    cfg = fast_config(server.base_url, http_backend=backend, concurrency=4)

    async def run() -> None:
        async with ChatClient(cfg) as client:
            await asyncio.gather(*(client.chat(USER) for _ in range(24)))
            assert client.usage.requests == 24

    asyncio.run(run())
    assert 2 <= server.stats.max_in_flight <= 4


def test_wider_bound_lets_more_requests_in_flight(stub_server):
    server = stub_server(EchoBrain(), FaultPlan(latency_ms=200))
    cfg = fast_config(server.base_url, concurrency=32)

    async def run() -> None:
        async with ChatClient(cfg) as client:
            await asyncio.gather(*(client.chat(USER) for _ in range(32)))

    asyncio.run(run())
    assert 4 < server.stats.max_in_flight <= 32


def test_usage_totals_over_calls_and_failures(stub_server):
    server = stub_server(
        ScriptedBrain(["a b", "c d e"]), FaultPlan.scripted(Fault.NONE, Fault.SERVER_ERROR)
    )
    with ChatClient(fast_config(server.base_url)) as client:
        first = client.chat_sync(USER)
        second = client.chat_sync([{"role": "user", "content": "four five six seven"}])
        totals = client.usage
    assert totals.requests == 2
    assert totals.retries == 1
    assert totals.prompt_tokens == 3 + 4
    assert totals.completion_tokens == 2 + 3
    assert totals.latency_s == pytest.approx(first.usage.latency_s + second.usage.latency_s)


def test_sync_client_reused_across_threads(stub_server):
    from concurrent.futures import ThreadPoolExecutor

    server = stub_server(EchoBrain())
    with ChatClient(fast_config(server.base_url)) as client:
        with ThreadPoolExecutor(4) as pool:
            contents = list(
                pool.map(
                    lambda i: (
                        client.chat_sync([{"role": "user", "content": f"n{i}"}]).message.content
                    ),
                    range(12),
                )
            )
        assert client.usage.requests == 12
    assert contents == [f"n{i}" for i in range(12)]


def test_chat_sync_inside_a_running_loop_is_refused(stub_server):
    from agentscaler.errors import ConfigError

    server = stub_server(EchoBrain())

    async def run() -> None:
        client = ChatClient(fast_config(server.base_url))
        with pytest.raises(ConfigError, match=r"await client\.chat"):
            client.chat_sync(USER)

    asyncio.run(run())


def test_one_client_serves_several_event_loops(stub_server):
    server = stub_server(EchoBrain())
    client = ChatClient(fast_config(server.base_url))

    async def once(text: str) -> str:
        result = await client.chat([{"role": "user", "content": text}])
        await client.aclose()
        return result.message.content

    assert asyncio.run(once("first")) == "first"
    assert asyncio.run(once("second")) == "second"
    assert client.usage.requests == 2


def test_dropping_a_sync_client_closes_its_connections(stub_server, backend, caplog):
    import gc
    import warnings

    server = stub_server(EchoBrain())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for text in ("a", "b"):
            reply = ChatClient(fast_config(server.base_url, http_backend=backend)).chat_sync(
                [{"role": "user", "content": text}]
            )
            assert reply.message.content == text
        gc.collect()
    unclosed = [r.getMessage() for r in caplog.records if "nclosed" in r.getMessage()]
    assert unclosed == []
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
