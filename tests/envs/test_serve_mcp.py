"""The MCP server (official SDK): one isolated state per MCP session, over HTTP and stdio."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from agentscaler.serve.config import ServeConfig
from agentscaler.serve.mcp import SESSION_META_KEY
from agentscaler.serve.run import running

from .conftest import opening


def _json(result):
    return json.loads(result.content[0].text)


async def _gold_episode(client, task, meta=None):
    kwargs = {"meta": meta} if meta else {}
    for call in task.gold_calls:
        result = await client.call_tool(call.name, call.arguments, **kwargs)
        assert not result.is_error, result.content[0].text
    said = _json(await client.call_tool("send_message", {"text": "All done."}, **kwargs))
    return said, _json(await client.call_tool("reward", {}, **kwargs))


def test_each_mcp_session_has_its_own_state(source, scripted_task, tasks):
    write_task = scripted_task  # the gold calls then a last word complete it

    async def main(url):
        async with Client(url, mode="legacy") as a, Client(url, mode="legacy") as b:
            names = {t.name for t in (await a.list_tools()).tools}
            assert {"reset", "send_message", "reward", "list_tasks"} <= names
            opened = _json(await a.call_tool("reset", {"task_id": write_task.id}))
            await b.call_tool("reset", {"task_id": write_task.id})
            world = {t.name for t in (await a.list_tools()).tools}
            said, reward_a = await _gold_episode(a, write_task)
            reward_b = _json(await b.call_tool("reward", {}))
            unknown = await b.call_tool("launch_rocket", {})
            wrong_type = await b.call_tool(write_task.gold_calls[0].name, {"x": [1]})
            after_end = await a.call_tool("send_message", {"text": "hello?"})
            bad_reset = await a.call_tool("reset", {"task_id": "t-nope"})
        return opened, world, said, reward_a, reward_b, unknown, wrong_type, after_end, bad_reset

    with running(source, "mcp", ServeConfig(port=0)) as url:
        opened, world, said, ra, rb, unknown, wrong, after_end, bad_reset = asyncio.run(main(url))
    assert opened["user"] == opening(write_task)
    assert world == set(opened["tools"]) | {"reset", "send_message", "reward", "list_tasks"}
    assert said["done"] and said["reward"] == 1.0 and said["termination"] == "user_stop"
    assert ra["reward"] == 1.0 and ra["state_diff_share"] == 1.0
    assert rb["state_diff_share"] < 1.0 and rb["reward"] == 0.0  # B's state was never touched
    assert unknown.is_error and "unknown_tool" in unknown.content[0].text
    assert wrong.is_error and "invalid_argument" in wrong.content[0].text
    assert after_end.is_error and "already ended" in after_end.content[0].text
    assert bad_reset.is_error and "no task" in bad_reset.content[0].text


def test_stateless_clients_name_their_session_in_meta_and_64_run_at_once(source, tasks):
    chosen = (tasks * 3)[:64]

    async def one(client, task):
        token = _json(await client.call_tool("reset", {"task_id": task.id}))["session"]
        meta = {SESSION_META_KEY: token}
        call = task.gold_calls[0]
        result = await client.call_tool(call.name, call.arguments, meta=meta)
        reward = _json(await client.call_tool("reward", {}, meta=meta))
        return result.is_error, reward["tool_calls"], reward["done"]

    async def main(url):
        async with Client(url) as client:  # the 2026 protocol: no MCP session
            anonymous = await client.call_tool(tasks[0].gold_calls[0].name, {})
            results = await asyncio.wait_for(
                asyncio.gather(*[one(client, t) for t in chosen]), timeout=180
            )
        return anonymous, results

    with running(source, "mcp", ServeConfig(port=0)) as url:
        anonymous, results = asyncio.run(main(url))
    assert anonymous.is_error and SESSION_META_KEY in anonymous.content[0].text
    assert results == [(False, 1, False)] * 64  # one call each, in its own session


def test_stdio_server_from_the_cli(env_run, scripted_task):
    write_task = scripted_task
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "agentscaler.cli.app", "serve", str(env_run), "--mcp", "--stdio"],
        env=dict(os.environ),
    )

    async def main():
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await session.call_tool("reset", {"task_id": write_task.id})
            return await _gold_episode(session, write_task)

    said, reward = asyncio.run(asyncio.wait_for(main(), timeout=120))
    assert said["done"] and reward["reward"] == 1.0
