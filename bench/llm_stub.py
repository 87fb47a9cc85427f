"""Throughput of ChatClient against the stub server (run in its own process).

    python bench/llm_stub.py [--requests 2000] [--latency-ms 0] [--backend aiohttp|httpx|direct|all]

For concurrency 1, 64 and 256 it prints requests/s and the client's CPU time per request, for
ChatClient and for a baseline measured in the same run: bare aiohttp POSTs of the same body
(encoded once; no SDK, no retries, no parsing into records). The ratio column is ChatClient /
baseline req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

MESSAGES = [
    {"role": "system", "content": "You are a helpful agent for an online shop."},
    {
        "role": "user",
        "content": "Please check the status of order o-1234 and tell me when it ships.",
    },
]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_order",
            "description": "Look up an order by id.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_stub(port: int, latency_ms: float) -> subprocess.Popen:
    cmd = [
        sys.executable, "-m", "agentscaler.cli.app", "stub", "serve",
        "--port", str(port), "--brain", "tool-echo", "--latency", str(latency_ms),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the stub server did not start")


async def run_chat_client(
    base_url: str, concurrency: int, n: int, backend: str
) -> tuple[float, float]:
    from agentscaler.llm import ChatClient, LLMConfig

    client = ChatClient(
        LLMConfig(base_url=base_url, model="agent", concurrency=concurrency, http_backend=backend)
    )
    await client.chat(MESSAGES, TOOLS)  # warm up the pool
    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client.chat(MESSAGES, TOOLS) for _ in range(n)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    await client.aclose()
    return n / wall, cpu / n * 1000


async def run_baseline(base_url: str, concurrency: int, n: int) -> tuple[float, float]:
    import aiohttp

    body = json.dumps({"model": "agent", "messages": MESSAGES, "tools": TOOLS}).encode()
    url = base_url + "/chat/completions"
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def one() -> None:
            async with (
                sem,
                session.post(url, data=body, headers={"content-type": "application/json"}) as r,
            ):
                json.loads(await r.read())

        await one()
        t0, c0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one() for _ in range(n)))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return n / wall, cpu / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="stub latency per answer")
    parser.add_argument(
        "--backend", choices=["aiohttp", "httpx", "direct", "all"], default="all",
        help="ChatClient http_backend to measure",
    )  # fmt: skip
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64, 256])
    args = parser.parse_args()
    backends = ["aiohttp", "httpx", "direct"] if args.backend == "all" else [args.backend]
    port = free_port()
    proc = start_stub(port, args.latency_ms)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        print(
            f"stub: tool-echo brain, latency {args.latency_ms:g} ms, {args.requests} requests each"
        )
        print(f"{'client':<22}{'conc':>6}{'req/s':>10}{'cpu ms/req':>12}{'vs baseline':>13}")
        for conc in args.concurrency:
            n = args.requests if conc > 1 else max(200, args.requests // 5)
            base_rps, base_cpu = asyncio.run(run_baseline(base_url, conc, n))
            print(
                f"{'baseline (aiohttp)':<22}{conc:>6}{base_rps:>10.0f}{base_cpu:>12.3f}{'1.00':>13}"
            )
            for backend in backends:
                rps, cpu = asyncio.run(run_chat_client(base_url, conc, n, backend))
                label = f"ChatClient ({backend})"
                print(f"{label:<22}{conc:>6}{rps:>10.0f}{cpu:>12.3f}{rps / base_rps:>13.2f}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
