"""RL environments: in-process step overhead, served round trips, reward agreement.

    python bench/envs.py [--run runs/demo] [--levels 1,64,512] [--steps 4]

Without ``--run`` the demo run is built in a temporary folder (``agentscaler run`` defaults).

1. In-process: tool steps/s (each step one assistant message with one gold tool call) and
   conversation turns/s (each step a question to the offline scripted user, who answers), with the
   world's own step and the scripted user's reply function as baselines measured in the same run;
   episodes/s of reset + reward.
2. Served: ``agentscaler serve RUN --http`` and ``--mcp`` in their own process; at each level,
   that many sessions at once each create a session, make ``--steps`` tool-call steps and say one
   line to the user, then close. p50/p99 of each request's round trip, errors, the wall time (no
   level may hang: each has a deadline) and the server's peak RSS; baseline: the bare round trip
   of ``GET /health`` (HTTP) or of a tool call the server answers at once (``reward`` naming no
   session, MCP) at the same concurrency. MCP clients speak the
   stateless 2026 protocol through one SDK client (which lists the tools once first), naming
   their session in ``_meta``.
3. Reward agreement: every episode of the run replayed through the environment (its agent
   messages as actions, the scripted user live); the environment's reward against the filter's
   verdict in ``filtered/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def build_demo(root: Path) -> Path:
    from agentscaler.pipeline.run import run_pipeline

    run_pipeline(root, {})
    return root


# --- 1. in-process ---------------------------------------------------------------------------------


def in_process(source, tasks, seconds: float = 3.0) -> dict:
    from agentscaler.envs import make
    from agentscaler.simulate.policies.scripted_user import scripted_user_reply

    writes = [t for t in tasks if t.gold_calls][:50]
    envs = [make(source, t.id, max_turns=10_000, max_tool_calls=10_000) for t in writes]

    # tool steps: the first gold call of each task, again and again (reads and writes)
    steps = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for env in envs:
            env.reset()
            call = env.task.gold_calls[0]
            for i in range(20):
                env.step(
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": f"c{i}",
                                "type": "function",
                                "function": {
                                    "name": call.name,
                                    "arguments": json.dumps(call.arguments),
                                },
                            }
                        ],
                    }
                )
        steps += 20 * len(envs)
    tool_rate = steps / (time.perf_counter() - started)

    world_steps = 0
    started = time.perf_counter()
    pool = source.pool
    while time.perf_counter() - started < seconds:
        for task in (e.task for e in envs):
            _, world_env = pool.make_env(task)
            call = task.gold_calls[0]
            for _ in range(20):
                world_env.step({"name": call.name, "arguments": json.dumps(call.arguments)})
            world_env.close()
        world_steps += 20 * len(envs)
    world_rate = world_steps / (time.perf_counter() - started)

    # conversation turns: the agent asks for one of the user's facts, the scripted user answers
    # (a step is the agent's turn and the user's; 20 per episode, the reward is not computed)
    from agentscaler.simulate.policies.oracle_agent import question

    talkers = [e for e in envs if e.task.user_facts]
    turns = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for env in talkers:
            env.reset()
            ask = question(env.task, env.task.user_facts[:1])
            for _ in range(20):
                env.step(ask)
            turns += 20
    turn_rate = turns / (time.perf_counter() - started)

    view = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Could you tell me the reference number?"},
    ]
    replies = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for env in envs:
            for _ in range(10):
                scripted_user_reply(env.task, view)
        replies += 10 * len(envs)
    reply_rate = replies / (time.perf_counter() - started)

    from agentscaler.simulate.policies.oracle_agent import oracle_reply

    episodes = 0
    started = time.perf_counter()
    for env in envs:
        observation, _ = env.reset()
        while True:
            result = env.step(oracle_reply(env.task, observation["messages"]))
            observation = result.observation
            if result.terminated or result.truncated:
                break
        episodes += 1
    episode_rate = episodes / (time.perf_counter() - started)
    for env in envs:
        env.close()
    return {
        "tool_steps_per_s": tool_rate,
        "world_steps_per_s": world_rate,
        "turns_per_s": turn_rate,
        "user_replies_per_s": reply_rate,
        "oracle_episodes_per_s": episode_rate,
    }


# --- 2. served -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(run: Path, kind: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "agentscaler.cli.app", "serve", str(run), f"--{kind}",
         "--port", str(port), "--max-sessions", "1024"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the {kind} server did not start")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def _calls(task, steps: int) -> list[dict]:
    calls = [c for c in task.gold_calls]
    return [{"name": calls[i % len(calls)].name, "arguments": calls[i % len(calls)].arguments}
            for i in range(steps)]  # fmt: skip


async def http_level(port: int, tasks, n: int, steps: int, deadline: float) -> dict:
    import aiohttp

    url = f"http://127.0.0.1:{port}"
    times: list[float] = []
    base: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=n)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def timed(method, path, **kwargs):
            nonlocal errors
            t = time.perf_counter()
            async with http.request(method, url + path, **kwargs) as response:
                body = await response.json()
                ok = response.status < 400
            times.append(time.perf_counter() - t)
            if not ok:
                errors += 1
            return body

        async def session(task):
            created = await timed("POST", "/sessions", json={"task_id": task.id})
            sid = created["session_id"]
            for call in _calls(task, steps):
                await timed("POST", f"/sessions/{sid}/step", json={"action": call})
            await timed("POST", f"/sessions/{sid}/step", json={"action": "Is that all?"})
            await timed("DELETE", f"/sessions/{sid}")

        async def health():
            t = time.perf_counter()
            async with http.get(url + "/health") as response:
                await response.read()
            base.append(time.perf_counter() - t)

        chosen = [tasks[i % len(tasks)] for i in range(n)]
        for _ in range(steps + 3):
            await asyncio.wait_for(asyncio.gather(*[health() for _ in range(n)]), deadline)
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*[session(t) for t in chosen]), deadline)
        wall = time.perf_counter() - started
    return _summary(times, base, errors, wall)


async def mcp_level(port: int, tasks, n: int, steps: int, deadline: float) -> dict:
    from mcp import Client

    from agentscaler.filter.calls import is_error_observation
    from agentscaler.serve.mcp import SESSION_META_KEY

    url = f"http://127.0.0.1:{port}/mcp"
    times: list[float] = []
    base: list[float] = []
    errors = 0
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    # the SDK's default HTTP client pools 100 connections with a 30 s pool timeout: size it for n
    http = httpx2.AsyncClient(
        limits=httpx2.Limits(
            max_connections=n + 8, max_keepalive_connections=n + 8, keepalive_expiry=30.0
        ),
        timeout=httpx2.Timeout(30.0, read=deadline, pool=deadline),
    )
    async with http, Client(streamable_http_client(url, http_client=http)) as client:

        async def timed(name, arguments, meta=None):
            nonlocal errors
            t = time.perf_counter()
            result = await client.call_tool(name, arguments, meta=meta)
            times.append(time.perf_counter() - t)
            text = result.content[0].text if result.content else ""
            if result.is_error and not is_error_observation(text):  # a world's error is an answer
                errors += 1
            return text

        async def session(task):
            opened = json.loads(await timed("reset", {"task_id": task.id}))
            meta = {SESSION_META_KEY: opened["session"]}
            for call in _calls(task, steps):
                await timed(call["name"], call["arguments"], meta)
            await timed("send_message", {"text": "Is that all?"}, meta)

        async def listing():
            t = time.perf_counter()
            await client.call_tool("reward", {})  # no session named: answered at once
            base.append(time.perf_counter() - t)

        # a client learns the tools once (the SDK lists them again for every call naming a tool
        # it has not seen: n cold calls at once would list every tool n times)
        await client.list_tools()
        chosen = [tasks[i % len(tasks)] for i in range(n)]
        for _ in range(steps + 2):
            await asyncio.wait_for(asyncio.gather(*[listing() for _ in range(n)]), deadline)
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*[session(t) for t in chosen]), deadline)
        wall = time.perf_counter() - started
    return _summary(times, base, errors, wall)


def _summary(times: list[float], base: list[float], errors: int, wall: float) -> dict:
    def pct(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))] * 1000

    return {
        "requests": len(times),
        "p50_ms": pct(times, 0.5),
        "p99_ms": pct(times, 0.99),
        "base_p50_ms": pct(base, 0.5),
        "base_p99_ms": pct(base, 0.99),
        "errors": errors,
        "wall_s": wall,
        "mean_ms": statistics.mean(times) * 1000,
    }


def served(run: Path, tasks, levels: list[int], steps: int, deadline: float) -> list[dict]:
    rows = []
    for kind, level_fn in (("http", http_level), ("mcp", mcp_level)):
        process, port = start_server(run, kind)
        try:
            for n in levels:
                try:
                    row = asyncio.run(level_fn(port, tasks, n, steps, deadline))
                except TimeoutError:
                    row = {"hang": True}
                row.update(kind=kind, sessions=n, peak_rss_mb=peak_rss_mb(process.pid))
                rows.append(row)
                print(_row(row), flush=True)
        finally:
            stop(process)
    return rows


def _row(row: dict) -> str:
    if row.get("hang"):
        return f"{row['kind']:>4} {row['sessions']:>4} sessions: HUNG past the deadline"
    return (
        f"{row['kind']:>4} {row['sessions']:>4} sessions: {row['requests']:>5} requests, "
        f"p50 {row['p50_ms']:7.1f} ms, p99 {row['p99_ms']:7.1f} ms (bare: p50 "
        f"{row['base_p50_ms']:6.1f}, p99 {row['base_p99_ms']:6.1f}), errors {row['errors']}, "
        f"wall {row['wall_s']:5.1f} s, server peak RSS {row['peak_rss_mb']:.0f} MB"
    )


# --- 3. agreement ----------------------------------------------------------------------------------


def agreement(run: Path, source) -> tuple[int, int, dict]:
    from agentscaler.envs import make
    from agentscaler.jsonl import iter_records
    from agentscaler.records import Episode, Verdict

    verdicts = {}
    for name in ("kept.jsonl", "rejected.jsonl"):
        for verdict in iter_records(run / "filtered" / name, Verdict):
            verdicts[verdict.episode_id] = verdict
    agreed = total = 0
    outcomes: dict[str, int] = {}
    envs: dict[str, object] = {}
    for path in sorted((run / "episodes").glob("*.jsonl")):
        for episode in iter_records(path, Episode):
            env = envs.get(episode.task_id) or envs.setdefault(
                episode.task_id, make(source, episode.task_id)
            )
            env.reset()
            result = None
            for message in episode.messages:
                if message.role == "assistant":
                    result = env.step(message)
                    if result.terminated or result.truncated:
                        break
            verdict = verdicts[episode.id]
            reward = result.reward if result is not None else 0.0
            same = reward == (1.0 if verdict.kept else 0.0)
            agreed += same
            total += 1
            key = "kept" if verdict.kept else f"rejected:{verdict.reason}"
            outcomes[key] = outcomes.get(key, 0) + 1
    return agreed, total, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=None)
    parser.add_argument("--levels", default="1,64,512")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--deadline", type=float, default=600.0)
    args = parser.parse_args()

    from agentscaler.envs import TaskSource

    with tempfile.TemporaryDirectory() as tmp:
        run = args.run or build_demo(Path(tmp) / "demo")
        source = TaskSource(run)
        tasks = list(source.tasks.values())
        print(f"run {run}: {len(tasks)} tasks")

        figures = in_process(source, tasks)
        print(
            f"in-process: {figures['tool_steps_per_s']:,.0f} tool steps/s (the world's own step: "
            f"{figures['world_steps_per_s']:,.0f}/s, env overhead x"
            f"{figures['world_steps_per_s'] / figures['tool_steps_per_s']:.2f}); "
            f"{figures['turns_per_s']:,.0f} conversation turns/s with the scripted user (its "
            f"reply alone: {figures['user_replies_per_s']:,.0f}/s); oracle episodes with reward: "
            f"{figures['oracle_episodes_per_s']:,.0f}/s"
        )
        agreed, total, outcomes = agreement(Path(run), source)
        print(f"reward agreement with the filter: {agreed}/{total} episodes ({outcomes})")
        levels = [int(x) for x in args.levels.split(",")]
        served(Path(run), tasks, levels, args.steps, args.deadline)


if __name__ == "__main__":
    main()
