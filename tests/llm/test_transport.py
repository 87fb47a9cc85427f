"""The mock transport: ChatClient tests without sockets, and the exact error classification."""

from __future__ import annotations

import asyncio
import json

import pytest

from agentscaler.errors import (
    LLMConnectionError,
    LLMError,
    LLMRateLimited,
    LLMRequestRejected,
    LLMResponseError,
    LLMServerError,
    LLMTimeout,
)
from agentscaler.llm import ChatClient
from agentscaler.llm import client as client_module
from agentscaler.llm.transport import (
    MockLLM,
    MockReply,
    completion_body,
    mock_config,
    reply_status,
    tool_call,
)
from agentscaler.records import Message

USER = [{"role": "user", "content": "hi"}]


def test_script_answers_in_order_and_records_requests():
    llm = MockLLM(["first", {"tool_calls": [tool_call("lookup", {"q": "x"}, id="c1")]}])
    with llm.client() as client:
        a = client.chat_sync(USER)
        b = client.chat_sync([*USER, a.message, {"role": "user", "content": "more"}])
    assert a.message.content == "first"
    assert b.message.tool_calls[0].function.arguments == '{"q": "x"}'
    assert b.finish_reason == "tool_calls"
    assert len(llm.requests) == 2 and llm.remaining == 0
    # a Message record in the conversation is sent in OpenAI form
    assert llm.requests[1]["messages"][1] == {"role": "assistant", "content": "first"}


def test_handler_function_sees_the_body():
    seen = []

    async def handler(body):
        seen.append(body["model"])
        return f"{len(body['messages'])} messages"

    with MockLLM(handler).client(model="m1") as client:
        assert client.chat_sync(USER).message.content == "1 messages"
        assert client.chat_sync(USER, model="m2").model == "m2"
    assert seen == ["m1", "m2"]


def test_usage_from_body_and_zero_when_absent():
    body = completion_body("x", usage={"prompt_tokens": 11, "completion_tokens": 7})
    llm = MockLLM([body, body, "no usage"])
    with llm.client() as client:
        client.chat_sync(USER)
        client.chat_sync(USER)
        last = client.chat_sync(USER)
        assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (0, 0)
        totals = client.usage
    assert (totals.requests, totals.prompt_tokens, totals.completion_tokens) == (3, 22, 14)


def test_reasoning_content_is_kept():
    body = completion_body({"content": "42", "reasoning_content": "think step by step"})
    with MockLLM([body]).client() as client:
        message = client.chat_sync(USER).message
    assert message.reasoning_content == "think step by step" and message.content == "42"


@pytest.mark.parametrize(
    ("script", "error", "status", "attempts"),
    [
        ([reply_status(500)] * 4, LLMServerError, 500, 4),
        ([reply_status(503)] * 4, LLMServerError, 503, 4),
        ([reply_status(429)] * 4, LLMRateLimited, 429, 4),
        ([reply_status(408)] * 4, LLMTimeout, 408, 4),
        ([MockReply(error="timeout")] * 4, LLMTimeout, None, 4),
        ([MockReply(error="connect")] * 4, LLMConnectionError, None, 4),
        ([MockReply(error="read")] * 4, LLMConnectionError, None, 4),
        ([reply_status(400)], LLMRequestRejected, 400, 1),
        ([reply_status(401)], LLMRequestRejected, 401, 1),
        ([reply_status(404)], LLMRequestRejected, 404, 1),
        ([reply_status(422)], LLMRequestRejected, 422, 1),
    ],
)
def test_classification_after_retries(script, error, status, attempts):
    llm = MockLLM(script)
    with llm.client(max_retries=3) as client, pytest.raises(error) as info:
        client.chat_sync(USER)
    assert type(info.value) is error
    assert info.value.status == status and info.value.attempts == attempts
    assert len(llm.requests) == attempts
    expected = f"last answer HTTP {status}" if status else "(last error: "
    assert expected in str(info.value)
    assert "mock@http://mock-llm.invalid/v1" in str(info.value)


def test_error_classes_are_disjoint():
    """The simulation maps LLMTimeout and LLMRateLimited to their own terminations and every
    other LLMError to llm_error: no class may be caught as another."""
    classes = [
        LLMTimeout,
        LLMRateLimited,
        LLMServerError,
        LLMConnectionError,
        LLMRequestRejected,
        LLMResponseError,
    ]
    for cls in classes:
        assert issubclass(cls, LLMError)
        assert [other for other in classes if issubclass(cls, other)] == [cls]


def test_delay_longer_than_timeout_is_a_timeout_then_success():
    llm = MockLLM([MockReply(body=completion_body("late"), delay_s=5.0), "on time"])
    with llm.client(timeout_s=1.0) as client:
        result = client.chat_sync(USER)
    assert result.message.content == "on time" and result.usage.retries == 1


@pytest.mark.parametrize(
    "body",
    ["{not json", b"\xff\xfe", {"choices": []}, {"object": "error"}, {"choices": [{"index": 0}]}],
)
def test_unusable_bodies_raise_response_error(body):
    llm = MockLLM([MockReply(body=body)] * 2)
    with llm.client(max_retries=1) as client, pytest.raises(LLMResponseError, match="unusable"):
        client.chat_sync(USER)
    assert len(llm.requests) == 2


def test_retry_after_seconds_header_is_honoured(monkeypatch):
    delays = []

    async def record(delay):
        delays.append(delay)

    monkeypatch.setattr(client_module, "_backoff_sleep", record)
    rate_limited = MockReply(
        status=429, body={"error": {"message": "slow down"}}, headers={"Retry-After": "3"}
    )
    llm = MockLLM([rate_limited, "ok"])
    with llm.client(retry_after_max_s=10.0) as client:
        assert client.chat_sync(USER).message.content == "ok"
    assert delays == [3.0]


def test_retry_after_is_capped(monkeypatch):
    delays = []

    async def record(delay):
        delays.append(delay)

    monkeypatch.setattr(client_module, "_backoff_sleep", record)
    llm = MockLLM([reply_status(429, retry_after_s=3600), "ok"])
    with llm.client(retry_after_max_s=2.0) as client:
        client.chat_sync(USER)
    assert delays == [2.0]


def test_error_detail_from_the_body_is_in_the_message():
    llm = MockLLM([reply_status(400, "maximum context length is 8192 tokens")])
    with llm.client() as client, pytest.raises(LLMRequestRejected, match="8192 tokens"):
        client.chat_sync(USER)


def test_stream_is_refused_before_sending():
    from agentscaler.errors import ConfigError

    llm = MockLLM(["x"])
    with llm.client() as client, pytest.raises(ConfigError, match="stream"):
        client.chat_sync(USER, stream=True)
    assert llm.requests == []


def test_script_running_out_is_a_clear_rejection():
    llm = MockLLM(["only one"])
    with llm.client() as client:
        client.chat_sync(USER)
        with pytest.raises(LLMRequestRejected, match="ran out after 1 requests"):
            client.chat_sync(USER)


def test_concurrency_bound_with_mock():
    async def slow(body):
        await asyncio.sleep(0.02)
        return "ok"

    llm = MockLLM(slow)

    async def run():
        async with llm.client(concurrency=3) as client:
            results = await asyncio.gather(*(client.chat(USER) for _ in range(15)))
        return results

    results = asyncio.run(run())
    assert len(results) == 15
    assert llm.max_in_flight == 3


def test_message_records_are_accepted_as_input():
    llm = MockLLM(["ok"])
    history = [Message(role="system", content="be brief"), Message(role="user", content="hi")]
    with llm.client() as client:
        client.chat_sync(history)
    assert llm.requests[0]["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
    ]


def test_bugs_in_handlers_are_not_swallowed_as_llm_errors():
    def broken(body):
        raise KeyError("bug")

    with MockLLM(broken).client() as client, pytest.raises(KeyError):
        client.chat_sync(USER)


def test_errors_survive_pickling():
    import pickle

    err = pickle.loads(pickle.dumps(LLMServerError("boom", status=502, attempts=4)))
    assert (type(err), str(err), err.status, err.attempts) == (LLMServerError, "boom", 502, 4)


def test_a_legacy_httpx_client_with_mock_transport_works_too():
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["messages"][0]["content"] == "busy?":
            return httpx.Response(503, json={"error": {"message": "busy"}})
        return httpx.Response(200, json=completion_body("legacy ok"))

    http_client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = ChatClient(mock_config(max_retries=1), http_client=http_client, owns_http_client=True)
    with client:
        assert client.chat_sync(USER).message.content == "legacy ok"
        with pytest.raises(LLMServerError, match="busy"):
            client.chat_sync([{"role": "user", "content": "busy?"}])


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (401, "$OPENAI_API_KEY"),
        (403, "$OPENAI_API_KEY"),
        (404, "ends with /v1"),
        (400, "model name"),
    ],
)
def test_rejections_say_how_to_fix_them(status, hint):
    client = MockLLM([reply_status(status)]).client()
    with client, pytest.raises(LLMRequestRejected) as info:
        client.chat_sync(USER)
    assert hint in str(info.value)


def test_base_url_must_be_http():
    from pydantic import ValidationError

    from agentscaler.llm import LLMConfig

    with pytest.raises(ValidationError, match="must start with http"):
        LLMConfig(base_url="localhost:8000/v1")
    assert LLMConfig(base_url="http://h:1/v1/").base_url == "http://h:1/v1"
