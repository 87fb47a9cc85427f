"""The stub server itself: endpoints, brains, fault plans."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from agentscaler.errors import ConfigError, LLMConnectionError
from agentscaler.llm import ChatClient
from agentscaler.llm.stub import (
    BrainError,
    EchoBrain,
    Fault,
    FaultPlan,
    FunctionBrain,
    RoutingBrain,
    ScriptedBrain,
    StubServer,
    ToolEchoBrain,
    load_brain,
    serve,
    tool_call,
)

from .conftest import fast_config


def post(base_url: str, body, *, raw: bytes | None = None) -> tuple[int, dict]:
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(
        base_url + "/chat/completions", data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_serve_context_manager_yields_a_working_base_url():
    with serve(EchoBrain(prefix="> ")) as base_url:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        status, body = post(
            base_url, {"model": "m", "messages": [{"role": "user", "content": "yo"}]}
        )
    assert status == 200
    assert body["object"] == "chat.completion" and body["model"] == "m"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "> yo"}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    with pytest.raises(urllib.error.URLError):  # stopped: nothing listens any more
        post(base_url, {"model": "m", "messages": []})


def test_models_health_and_stats(stub_server):
    server = stub_server(RoutingBrain({"user": EchoBrain(), "agent": ToolEchoBrain()}))
    models = get(server.base_url + "/models")
    assert [m["id"] for m in models["data"]] == ["agent", "user"]
    root = server.base_url.removesuffix("/v1")
    assert urllib.request.urlopen(root + "/health", timeout=10).read() == b"ok"
    post(server.base_url, {"model": "user", "messages": [{"role": "user", "content": "a"}]})
    post(server.base_url, {"model": "nobody", "messages": []})
    stats = get(root + "/stats")
    assert stats["requests"] == 2 and stats["statuses"] == {"200": 1, "400": 1}


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (json.dumps({"model": "m"}).encode(), "'messages' list"),
        (json.dumps({"model": "m", "messages": [], "stream": True}).encode(), "does not stream"),
    ],
)
def test_bad_requests_get_400_with_a_reason(stub_server, raw, fragment):
    server = stub_server()
    status, body = post(server.base_url, None, raw=raw)
    assert status == 400 and fragment in body["error"]["message"]


def test_routing_brain_plays_two_models_on_one_server(stub_server):
    agent = ScriptedBrain([{"tool_calls": [tool_call("get_order", {"order_id": "o1"})]}, "done"])
    user = ScriptedBrain(["I need order o1", "###STOP###"])
    server = stub_server(RoutingBrain({"agent": agent, "user": user}))
    with (
        ChatClient(fast_config(server.base_url, model="agent")) as agent_client,
        ChatClient(fast_config(server.base_url, model="user")) as user_client,
    ):
        first = user_client.chat_sync([{"role": "user", "content": "start"}])
        call = agent_client.chat_sync([{"role": "user", "content": first.message.content}])
        final = agent_client.chat_sync([{"role": "user", "content": "ok"}])
        stop = user_client.chat_sync([{"role": "user", "content": final.message.content}])
    assert first.message.content == "I need order o1"
    assert call.message.tool_calls[0].function.name == "get_order"
    assert final.message.content == "done" and stop.message.content == "###STOP###"
    assert [r["model"] for r in agent.requests] == ["agent", "agent"]


def test_scripted_brain_per_model_queues_and_exhaustion():
    brain = ScriptedBrain({"a": ["a1"], "b": ["b1", "b2"]})
    assert brain.respond({"model": "b"}) == "b1"
    assert brain.respond({"model": "a"}) == "a1"
    assert brain.remaining("b") == 1 and brain.remaining("a") == 0
    with pytest.raises(BrainError, match="ran out of replies for model 'a'"):
        brain.respond({"model": "a"})
    with pytest.raises(BrainError, match="no replies for model 'c'"):
        brain.respond({"model": "c"})
    repeating = ScriptedBrain(["x"], repeat_last=True)
    assert [repeating.respond({}) for _ in range(3)] == ["x", "x", "x"]


def test_scripted_broken_then_good_code_answer(stub_server):
    """The world compiler's LLM pass: a broken proposal first, a good one second."""
    broken = "def cancel_order(db, order_id):\n    return db.delete(\n"
    good = "def cancel_order(db, order_id):\n    return db.delete('orders', order_id)\n"
    server = stub_server(ScriptedBrain([f"```python\n{broken}```", f"```python\n{good}```"]))
    with ChatClient(fast_config(server.base_url)) as client:
        answers = [
            client.chat_sync([{"role": "user", "content": "write"}]).message.content for _ in "12"
        ]
    assert broken in answers[0] and good in answers[1]


def test_async_and_function_brains(stub_server):
    async def slow_upper(request):
        await asyncio.sleep(0.01)
        return request["messages"][-1]["content"].upper()

    server = stub_server(FunctionBrain(slow_upper))
    with ChatClient(fast_config(server.base_url)) as client:
        assert client.chat_sync([{"role": "user", "content": "abc"}]).message.content == "ABC"


def test_brain_exceptions_become_500_and_are_retried(stub_server):
    calls = []

    def flaky(request):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("brain bug")
        return "fine"

    server = stub_server(FunctionBrain(flaky))
    with ChatClient(fast_config(server.base_url)) as client:
        assert client.chat_sync([{"role": "user", "content": "x"}]).message.content == "fine"
    assert server.stats.statuses == {500: 1, 200: 1}


def test_tool_echo_brain_calls_then_answers():
    brain = ToolEchoBrain()
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    first = brain.respond({"messages": [{"role": "user", "content": "q"}], "tools": tools})
    assert first["tool_calls"][0]["function"]["name"] == "lookup"
    second = brain.respond(
        {"messages": [{"role": "tool", "content": "r", "tool_call_id": "c"}], "tools": tools}
    )
    assert second["content"] == "done: r"


def test_fault_plan_is_deterministic_and_matches_rates():
    plan = FaultPlan(fail_rate=0.2, rate_limit_rate=0.1, hang_rate=0.05, seed=3)
    faults = [plan.fault_for(n) for n in range(1, 4001)]
    assert faults == [
        FaultPlan(fail_rate=0.2, rate_limit_rate=0.1, hang_rate=0.05, seed=3).fault_for(n)
        for n in range(1, 4001)
    ]
    assert faults != [plan.model_copy(update={"seed": 4}).fault_for(n) for n in range(1, 4001)]
    share = {f: faults.count(f) / len(faults) for f in Fault}
    assert share[Fault.SERVER_ERROR] == pytest.approx(0.2, abs=0.03)
    assert share[Fault.RATE_LIMIT] == pytest.approx(0.1, abs=0.03)
    assert share[Fault.HANG] == pytest.approx(0.05, abs=0.02)
    assert share[Fault.INVALID_BODY] == 0 and share[Fault.NONE] == pytest.approx(0.65, abs=0.04)


def test_fault_script_overrides_rates():
    plan = FaultPlan(fail_rate=1.0, script={2: Fault.NONE, 3: Fault.HANG})
    assert [plan.fault_for(n) for n in (1, 2, 3, 4)] == [
        Fault.SERVER_ERROR,
        Fault.NONE,
        Fault.HANG,
        Fault.SERVER_ERROR,
    ]
    assert FaultPlan.scripted("rate_limit").fault_for(1) is Fault.RATE_LIMIT


def test_fault_rates_must_sum_to_at_most_one():
    with pytest.raises(ValueError, match="add up to"):
        FaultPlan(fail_rate=0.7, rate_limit_rate=0.4)


def test_latency_jitter_stays_in_range():
    plan = FaultPlan(latency_ms=10, latency_jitter_ms=5, seed=1)
    delays = [plan.delay_for(n) for n in range(1, 200)]
    assert all(0.010 <= d <= 0.015 for d in delays) and len(set(delays)) > 100


def test_rate_limit_answers_carry_retry_after(stub_server):
    server = stub_server(faults=FaultPlan(rate_limit_rate=1.0, retry_after_s=1.5))
    request = urllib.request.Request(
        server.base_url + "/chat/completions",
        data=json.dumps({"model": "m", "messages": []}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 429
    assert info.value.headers["Retry-After"] == "2"
    assert info.value.headers["retry-after-ms"] == "1500"


def test_stop_cancels_hanging_requests():
    server = StubServer(faults=FaultPlan(hang_rate=1.0, hang_s=600))
    server.start()
    cfg = fast_config(server.base_url, timeout_s=30, max_retries=0)

    async def hang_then_stop():
        async with ChatClient(cfg) as client:
            task = asyncio.ensure_future(client.chat([{"role": "user", "content": "x"}]))
            while server.stats.in_flight == 0:
                await asyncio.sleep(0.01)
            await asyncio.get_running_loop().run_in_executor(None, server.stop)
            with pytest.raises(LLMConnectionError):  # dropped, not left hanging
                await task

    asyncio.run(hang_then_stop())


def test_port_in_use_is_a_clear_error(stub_server):
    busy = stub_server()
    with pytest.raises(ConfigError, match="cannot listen"):
        StubServer(port=busy.port).start()


def test_load_brain_specs(tmp_path):
    assert isinstance(load_brain("echo"), EchoBrain)
    assert load_brain("echo", {"prefix": "! "}).prefix == "! "
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"agent": ["hi"]}))
    assert load_brain(f"script:{script}").respond({"model": "agent"}) == "hi"
    assert isinstance(load_brain("agentscaler.llm.stub.brains:ToolEchoBrain"), ToolEchoBrain)
    with pytest.raises(ConfigError, match="unknown brain"):
        load_brain("nonsense")
    with pytest.raises(ConfigError, match="cannot load brain"):
        load_brain("agentscaler.nowhere:Brain")
    with pytest.raises(ConfigError, match="cannot read the brain script"):
        load_brain(f"script:{tmp_path / 'missing.json'}")
    with pytest.raises(ConfigError, match=r"does not accept options \['colour'\]"):
        load_brain("echo", {"colour": "red"})
    with pytest.raises(ConfigError, match="has no respond"):
        load_brain("agentscaler.llm.stub.faults:FaultPlan")
