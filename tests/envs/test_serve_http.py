"""The JSON session API: 64 concurrent sessions, isolation, errors, expiry, backpressure."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from agentscaler.envs import EnvConfig
from agentscaler.llm.stub import FaultPlan, StubServer
from agentscaler.serve.config import ServeConfig
from agentscaler.serve.run import running
from agentscaler.simulate.policies.oracle_agent import oracle_reply
from agentscaler.simulate.stub_brain import SimulationBrain

from .conftest import opening


async def _episode(http, url, task) -> float:
    async with http.post(f"{url}/sessions", json={"task_id": task.id}) as response:
        assert response.status == 201, await response.text()
        body = await response.json()
    session = body["session_id"]
    messages = body["observation"]["messages"]
    while True:
        action = oracle_reply(task, messages)
        async with http.post(f"{url}/sessions/{session}/step", json={"action": action}) as r:
            assert r.status == 200, await r.text()
            body = await r.json()
        messages = body["observation"]["messages"]
        if body["terminated"] or body["truncated"]:
            break
    async with http.delete(f"{url}/sessions/{session}") as response:
        assert response.status == 200
    return body["reward"]


def test_64_concurrent_sessions_complete_with_the_reward(source, tasks):
    chosen = (tasks * 3)[:64]

    async def main(url):
        async with aiohttp.ClientSession() as http:
            rewards = await asyncio.wait_for(
                asyncio.gather(*[_episode(http, url, t) for t in chosen]), timeout=120
            )
            async with http.get(f"{url}/stats") as response:
                stats = await response.json()
        return rewards, stats

    with running(source, "http", ServeConfig(port=0, max_sessions=32, acquire_timeout_s=60)) as url:
        rewards, stats = asyncio.run(main(url))
    assert rewards == [1.0] * 64  # more sessions than slots: they waited, none failed
    assert stats["created"] == 64 and stats["sessions"] == 0 and stats["refused"] == 0
    assert stats["peak_rss_bytes"] > 0


def test_sessions_are_isolated_and_errors_are_clear(source, write_task):
    write = next(c for c in write_task.gold_calls if c.kind == "write")
    call = {"name": write.name, "arguments": write.arguments}

    async def main(url):
        out = {}
        async with aiohttp.ClientSession() as http:
            ids = []
            for _ in range(2):
                async with http.post(f"{url}/sessions", json={"task_id": write_task.id}) as r:
                    ids.append((await r.json())["session_id"])
            for c in write_task.gold_calls:  # only session A acts
                step = {"action": {"name": c.name, "arguments": c.arguments}}
                async with http.post(f"{url}/sessions/{ids[0]}/step", json=step) as r:
                    assert r.status == 200
            for key, sid in zip("ab", ids, strict=True):
                async with http.get(f"{url}/sessions/{sid}/state") as r:
                    out[key] = await r.json()
                async with http.get(f"{url}/sessions/{sid}/reward") as r:
                    out[key + "_reward"] = await r.json()
            checks = [
                ("post", "/sessions/nope/step", {"action": "hi"}),
                ("post", "/sessions", "{not json"),
                ("post", "/sessions", {"task_id": "t-nope"}),
                ("post", "/sessions", {}),
                ("post", f"/sessions/{ids[1]}/step", {}),
                ("post", f"/sessions/{ids[1]}/step", {"action": 42}),
                ("post", f"/sessions/{ids[1]}/reset", {"seed": "x"}),
            ]
            for method, path, body in checks:
                kwargs = {"data": body} if isinstance(body, str) else {"json": body}
                async with http.request(method, url + path, **kwargs) as r:
                    out[path + json.dumps(body)] = (r.status, (await r.json())["error"])
            async with http.post(f"{url}/sessions/{ids[1]}/step", json={"action": call}) as r:
                out["b_step"] = await r.json()
        return out

    with running(source, "http", ServeConfig(port=0)) as url:
        out = asyncio.run(main(url))
    assert out["a"]["state_hash"] == write_task.gold_final_state and out["a"]["diff"]
    assert out["b"]["state_hash"] == write_task.initial_state and out["b"]["diff"] == []
    assert out["a_reward"]["state_diff_share"] == 1.0 and out["b_reward"]["state_diff_share"] < 1
    statuses = sorted((v[0], v[1]["type"]) for v in out.values() if isinstance(v, tuple))
    assert statuses == [
        (400, "bad_request"),
        (400, "bad_request"),
        (400, "bad_request"),
        (400, "bad_request"),
        (400, "bad_request"),
        (404, "unknown_session"),
        (404, "unknown_task"),
    ]
    assert out["b_step"]["observation"]["messages"][-1]["role"] == "tool"


def test_full_server_refuses_after_waiting_and_idle_sessions_expire(source, tasks):
    config = ServeConfig(port=0, max_sessions=2, acquire_timeout_s=0.2, idle_timeout_s=0.3,
                         sweep_interval_s=0.1)  # fmt: skip

    async def main(url):
        async with aiohttp.ClientSession() as http:
            ids = []
            for _ in range(2):
                async with http.post(f"{url}/sessions", json={"task_id": tasks[0].id}) as r:
                    ids.append((await r.json())["session_id"])
            async with http.post(f"{url}/sessions", json={"task_id": tasks[0].id}) as r:
                busy = (r.status, (await r.json())["error"]["type"])
            await asyncio.sleep(0.8)  # both idle sessions expire, their slots come back
            async with http.post(f"{url}/sessions/{ids[0]}/step", json={"action": "hi"}) as r:
                gone = (r.status, (await r.json())["error"]["type"])
            async with http.post(f"{url}/sessions", json={"task_id": tasks[0].id}) as r:
                again = r.status
        return busy, gone, again

    with running(source, "http", config) as url:
        busy, gone, again = asyncio.run(main(url))
    assert busy == (503, "server_busy")
    assert gone == (410, "session_expired")
    assert again == 201


@pytest.fixture(scope="module")
def slow_user(env_run):
    with StubServer(SimulationBrain(env_run), FaultPlan(latency_ms=400)) as server:
        yield EnvConfig(user={"base_url": server.base_url, "model": "user", "max_retries": 0,
                              "http_backend": "direct"})  # fmt: skip


def test_a_client_that_disconnects_mid_step_leaves_a_whole_step(source, write_task, slow_user):
    async def main(url):
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/sessions", json={"task_id": write_task.id}) as r:
                body = await r.json()
            sid = body["session_id"]
            assert body["observation"]["messages"][-1]["content"] == opening(write_task)
            with pytest.raises(asyncio.TimeoutError):
                await http.post(
                    f"{url}/sessions/{sid}/step",
                    json={"action": "Could you give me your details?"},
                    timeout=aiohttp.ClientTimeout(total=0.1),
                )
            await asyncio.sleep(0.8)
            async with http.get(f"{url}/sessions/{sid}/state") as r:
                state = await r.json()
            async with http.post(f"{url}/sessions/{sid}/step", json={"action": "Thanks."}) as r:
                after = await r.json()
        return state, after

    with running(source, "http", ServeConfig(port=0), slow_user) as url:
        state, after = asyncio.run(main(url))
    assert state["messages"] == 4  # system, user, the agent's question, the user's answer
    roles = [m["role"] for m in after["observation"]["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]


def test_the_sync_env_with_an_llm_user(source, write_task, slow_user):
    from agentscaler.envs import make

    from .conftest import play_oracle

    env = make(source, write_task.id, slow_user.model_copy(update={"user": slow_user.user}))
    observation, _ = env.reset()
    assert observation["messages"][-1]["content"] == opening(write_task)
    assert play_oracle(env, observation).reward == 1.0
    assert env.episode().user.kind == "llm"
    env.close()


def test_serve_cli_says_what_to_serve(cli, env_run):
    from agentscaler.errors import UsageError

    with pytest.raises(UsageError, match="--mcp or --http"):
        cli("serve", env_run)
    with pytest.raises(UsageError, match="--stdio serves MCP"):
        cli("serve", env_run, "--http", "--stdio")
    with pytest.raises(UsageError, match=r"--max-sessions: .*\(got 0\)"):
        cli("serve", env_run, "--http", "--max-sessions", "0")
    with pytest.raises(UsageError, match=r"--idle-timeout: .*\(got -1\.0\)"):
        cli("serve", env_run, "--http", "--idle-timeout", "-1")
