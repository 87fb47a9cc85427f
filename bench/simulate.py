"""Simulation throughput against the stub OpenAI-compatible server running in its own process.

    python bench/simulate.py [--verticals 6] [--backend direct] [--levels 1,64,256] [--big 512]

Builds a run folder from built-in catalog verticals (gold-chain tasks executed on the compiled
worlds), starts ``agentscaler stub serve --tasks DIR`` (the oracle agent and the scripted user
played by the server, zero latency) and runs the LLM code path of ``agentscaler simulate`` at
each concurrency. For each level it prints episodes/s, turns/s and the simulating process's CPU
per turn (process CPU time / agent+user turns; a turn is one LLM request, the world's tool calls
included), the share of episodes that reached their gold state and the errors (episodes ended by
infrastructure failures). Baselines measured in the same run: the CPU per request of the LLM
client alone (same backend, an echo server, replaying requests rebuilt from the run's episodes),
the CPU per turn of the offline simulation (no HTTP: policies and world only), and the CPU per
turn of the LLM code path with the stub's brain answering in-process (no HTTP, the brain's own CPU
taken out): what the orchestrator, the response normaliser, the world and the episode
bookkeeping cost; it is measured twice, with clean answers and with the answers a server without
parsers sends (reasoning in <think> tags, tool calls as Hermes text: the normaliser's worst case).
"ours" in the table is the CPU per turn minus the client's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "simulate"))


def start_stub(*args: str) -> tuple[subprocess.Popen, str]:
    """Start ``agentscaler stub serve --port 0 ARGS`` and return (process, base URL)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "agentscaler.cli.app", "stub", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "listening on" in line:
            return process, line.strip().split()[-1]
    process.kill()
    raise RuntimeError("the stub server did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def run_level(root: Path, config) -> dict:
    from agentscaler.simulate.build import open_simulation, run_simulation

    shutil.rmtree(root / "episodes", ignore_errors=True)
    shutil.rmtree(root / ".stages", ignore_errors=True)
    with open_simulation(root, config) as plan:
        cpu, wall = time.process_time(), time.perf_counter()
        stats = run_simulation(plan)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "episodes": stats.episodes,
        "turns": stats.turns,
        "wall_s": wall,
        "cpu_ms_per_turn": 1000 * cpu / max(stats.turns, 1),
        "episodes_per_s": stats.episodes / wall,
        "turns_per_s": stats.turns / wall,
        "gold": stats.gold_rate,
        "errors": stats.infrastructure,
    }


def recorded_requests(root: Path, limit: int = 400) -> list[tuple[list, list | None]]:
    """Requests of realistic size rebuilt from stored episodes: the agent's view before each
    agent message (with the world's tools) and the user's flipped view before each user message."""
    from agentscaler.jsonl import read_records
    from agentscaler.records import Episode
    from agentscaler.worlds.runtime.loader import load_world

    tools: dict[str, list] = {}
    requests: list[tuple[list, list | None]] = []
    flip = {"user": "assistant", "assistant": "user"}
    for path in sorted((root / "episodes").glob("*.jsonl")):
        for episode in read_records(path, Episode):
            if episode.domain_id not in tools:
                tools[episode.domain_id] = load_world(
                    root / "worlds" / episode.domain_id
                ).openai_tools
            wire = [m.openai() for m in episode.messages]
            view = [{"role": "system", "content": "You are a user. " * 60}]
            for i, message in enumerate(episode.messages):
                if message.role == "assistant":
                    requests.append((wire[:i], tools[episode.domain_id]))
                if message.role in flip and not message.tool_calls:
                    if message.role == "user" and i > 1:
                        requests.append((list(view), None))
                    view.append({"role": flip[message.role], "content": message.content or ""})
            if len(requests) >= limit:
                return requests[:limit]
    return requests


def client_baseline(
    base_url: str, backend: str, requests: list, count: int, concurrency: int, event_loop: str
):
    """CPU ms per request of ChatClient alone, replaying ``requests`` (an echo server answers)."""
    from agentscaler.llm import ChatClient, LLMConfig

    async def main() -> float:
        client = ChatClient(
            LLMConfig(
                base_url=base_url, model="echo", http_backend=backend, concurrency=concurrency
            )
        )
        queue = iter(range(count))

        async def worker() -> None:
            for i in queue:
                messages, tools = requests[i % len(requests)]
                await client.chat(messages, tools)

        await client.chat(*requests[0])  # warm the pool
        cpu = time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        cpu = time.process_time() - cpu
        await client.aclose()
        return 1000 * cpu / count

    from agentscaler.simulate.executors import run_loop

    return run_loop(main(), event_loop)


class BrainClient:
    """A ChatClient stand-in answering from the stub brain in-process (no HTTP) and normalising
    the answer as ChatClient does; it counts the brain's CPU (and the quirks', when given) so it
    can be taken out of the orchestrator's."""

    brain_cpu = 0.0

    def __init__(self, brain, model: str, quirks=None) -> None:
        from agentscaler.llm import LLMConfig

        self.brain = brain
        self.config = LLMConfig(model=model)
        self.quirks = quirks
        self.requests = 0

    async def chat(self, messages, tools=None, **params):
        from agentscaler.llm import ChatResult
        from agentscaler.llm.messages import message_from_openai
        from agentscaler.llm.stub.brains import normalize_reply
        from agentscaler.records import Usage

        await asyncio.sleep(0)  # let other episodes run, as a request would
        body = {"model": self.config.model, "messages": messages, **params}
        if tools:
            body["tools"] = tools
        started = time.thread_time()
        reply = normalize_reply(self.brain.respond(body))
        if self.quirks is not None:
            self.requests += 1
            reply = self.quirks.apply(body, reply, self.requests)[0]
        BrainClient.brain_cpu += time.thread_time() - started
        usage = Usage(requests=1, prompt_tokens=100, completion_tokens=10)
        message = message_from_openai(reply, tools=tools, parser=self.config.tool_call_parser)
        return ChatResult(message=message, usage=usage, model="stub")

    async def aclose(self) -> None:
        pass


def orchestrator_alone(root: Path, tasks: int, event_loop: str, quirks=None) -> float:
    """CPU ms per turn of the LLM code path with the brain answering in-process, brain excluded."""
    from agentscaler.llm import LLMConfig
    from agentscaler.simulate import SimulateConfig, orchestrator
    from agentscaler.simulate.policies import LLMAgent, LLMUser
    from agentscaler.simulate.stub_brain import SimulationBrain

    brain = SimulationBrain(root)

    def policies(config):
        user = LLMUser(BrainClient(brain, "user", quirks), stop_token=config.stop_token)
        return LLMAgent(BrainClient(brain, "oracle", quirks)), user, []

    original = orchestrator.build_policies
    orchestrator.build_policies = policies
    try:
        config = SimulateConfig(
            agent=LLMConfig(model="oracle"),
            user=LLMConfig(model="user"),
            concurrency=64,
            trials=2,
            event_loop=event_loop,
        )
        BrainClient.brain_cpu = 0.0
        shutil.rmtree(root / "episodes", ignore_errors=True)
        from agentscaler.simulate.build import open_simulation, run_simulation

        with open_simulation(root, config) as plan:
            cpu = time.process_time()
            stats = run_simulation(plan)
            cpu = time.process_time() - cpu
        assert stats.gold_rate == 1.0, stats.as_dict()
        return 1000 * (cpu - BrainClient.brain_cpu) / stats.turns
    finally:
        orchestrator.build_policies = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verticals", type=int, default=6, help="catalog verticals to compile")
    parser.add_argument(
        "--backend", default="direct", help="LLM HTTP backend: direct|aiohttp|httpx"
    )
    parser.add_argument("--levels", default="1,64,256", help="concurrency levels")
    parser.add_argument("--big", type=int, default=512, help="the one-pass stress level (0: skip)")
    parser.add_argument("--episodes", type=int, default=1024, help="episodes per level (>= level)")
    parser.add_argument(
        "--event-loop", default="auto", help="orchestrator event loop: auto|asyncio|uvloop"
    )
    args = parser.parse_args()

    from gold_chains import build_run

    from agentscaler.catalog import verticals
    from agentscaler.llm import LLMConfig
    from agentscaler.simulate import SimulateConfig

    root = Path(tempfile.mkdtemp(prefix="bench-simulate-"))
    try:
        tasks = build_run(root, verticals()[: args.verticals], seeds=(1, 2, 3))
        print(f"run folder: {len(tasks)} tasks from {args.verticals} verticals")
        offline = run_level(root, SimulateConfig(limit=len(tasks)))
        print(
            f"offline baseline (policies + world, no HTTP): "
            f"{offline['cpu_ms_per_turn']:.3f} ms CPU/turn, {offline['episodes_per_s']:.0f} episodes/s"
        )
        from agentscaler.llm.stub import QuirkPlan

        alone = orchestrator_alone(root, len(tasks), args.event_loop)
        print(
            f"orchestrator alone (LLM code path with the normaliser, answers in-process, no "
            f"HTTP): {alone:.3f} ms CPU/turn"
        )
        quirky = QuirkPlan(reasoning="think", tool_call_format="hermes")
        alone_quirks = orchestrator_alone(root, len(tasks), args.event_loop, quirky)
        print(
            f"orchestrator alone, answers with <think> reasoning and Hermes text tool calls: "
            f"{alone_quirks:.3f} ms CPU/turn ({alone_quirks / alone:.2f}x the clean answers)"
        )
        requests = recorded_requests(root)
        stub, base_url = start_stub("--tasks", str(root))
        echo, echo_url = start_stub("--brain", "echo")
        try:
            for backend in dict.fromkeys([args.backend, "aiohttp"]):
                cost = client_baseline(echo_url, backend, requests, 2000, 64, args.event_loop)
                if backend == args.backend:
                    sdk = cost
                print(
                    f"LLM client alone ({backend} backend, {args.event_loop} loop, the run's "
                    f"request sizes): {cost:.3f} ms CPU/request at concurrency 64"
                )
            print()
            header = (
                f"{'concurrency':>11} {'episodes':>8} {'turns':>7} {'wall s':>7} {'ep/s':>7} "
                f"{'turns/s':>8} {'CPU ms/turn':>11} {'ours ms/turn':>12} {'gold':>6} {'errors':>6}"
            )
            print(header)
            levels = [int(x) for x in args.levels.split(",") if x]
            if args.big:
                levels.append(args.big)
            for level in levels:
                episodes = max(args.episodes if level > 1 else 128, 2 * level)
                trials = -(-episodes // len(tasks))
                llm = {"base_url": base_url, "http_backend": args.backend, "max_retries": 0}
                config = SimulateConfig(
                    agent=LLMConfig(model="oracle", **llm),
                    user=LLMConfig(model="user", **llm),
                    concurrency=level,
                    trials=trials,
                    event_loop=args.event_loop,
                )
                r = run_level(root, config)
                ours = r["cpu_ms_per_turn"] - sdk
                print(
                    f"{level:>11} {r['episodes']:>8} {r['turns']:>7} {r['wall_s']:>7.2f} "
                    f"{r['episodes_per_s']:>7.1f} {r['turns_per_s']:>8.0f} "
                    f"{r['cpu_ms_per_turn']:>11.3f} {ours:>12.3f} {100 * r['gold']:>5.1f}% "
                    f"{r['errors']:>6}"
                )
        finally:
            stop(stub)
            stop(echo)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
