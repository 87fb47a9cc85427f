"""Client throughput of the embeddings-server backend against the stub server.

    python bench/embed_server.py [--texts 30000] [--concurrency 8] [--batch 64]

The stub server runs in its own process (``agentscaler stub serve --embeddings random``: seeded
noise vectors, so the server costs next to nothing and the client is what is measured). Two
clients embed the same distinct texts, in alternation, twice each:

* ``agentscaler``: :class:`~agentscaler.graph.embedding_server.ServerEmbedder` (batching, bounded
  concurrency, retries, base64 decoding, row checks, normalisation);
* ``raw aiohttp`` (the baseline): the same requests with the same concurrency on one aiohttp
  session, each answer read as bytes and not even parsed.

Prints texts per second of each and their ratio.
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

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "agentscaler.cli.app", "stub", "serve", "--port", str(port)]
    command += ["--embeddings", "random", "--embedding-dim", "384"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the stub server did not start")


def texts(count: int) -> list[str]:
    words = "order flight hotel refund customer city date amount status ticket room seat".split()
    return [
        f"tool {i}: {words[i % 12]} {words[(i // 12) % 12]} of the {words[(i // 144) % 12]}; "
        f"{words[(i * 7) % 12]} id (string): the {words[(i * 5) % 12]} number {i}"
        for i in range(count)
    ]


def ours(base_url: str, items: list[str], concurrency: int, batch: int) -> float:
    from agentscaler.graph import GraphConfig
    from agentscaler.graph.embedding_server import ServerEmbedder

    config = GraphConfig(
        embed_base_url=base_url,
        embed_model="stub",
        embed_concurrency=concurrency,
        batch_size=batch,
    )
    embedder = ServerEmbedder.from_config(config)
    started = time.perf_counter()
    vectors = embedder.embed(items)
    elapsed = time.perf_counter() - started
    assert vectors.shape == (len(items), 384)
    return elapsed


async def _raw(base_url: str, items: list[str], concurrency: int, batch: int) -> None:
    import aiohttp

    semaphore = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency),
        headers={"Content-Type": "application/json"},
    ) as session:

        async def one(chunk: list[str]) -> None:
            body = {"model": "stub", "input": chunk, "encoding_format": "base64"}
            async with (
                semaphore,
                session.post(base_url + "/embeddings", data=json.dumps(body).encode()) as response,
            ):
                await response.read()

        await asyncio.gather(*(one(items[i : i + batch]) for i in range(0, len(items), batch)))


def raw(base_url: str, items: list[str], concurrency: int, batch: int) -> float:
    started = time.perf_counter()
    asyncio.run(_raw(base_url, items, concurrency, batch))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=30_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    port = free_port()
    proc = start_server(port)
    base_url = f"http://127.0.0.1:{port}/v1"
    items = texts(args.texts)
    results: dict[str, list[float]] = {"agentscaler": [], "raw aiohttp": []}
    try:
        for _ in range(2):
            results["raw aiohttp"].append(raw(base_url, items, args.concurrency, args.batch))
            results["agentscaler"].append(ours(base_url, items, args.concurrency, args.batch))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(
        f"{args.texts:,} texts, {args.batch} per request, {args.concurrency} requests in flight, "
        "stub server in its own process (random vectors, 384 dimensions)"
    )
    print()
    print("| client | texts/s (best of 2) | seconds |")
    print("|---|---:|---:|")
    for name, times in results.items():
        best = min(times)
        print(f"| {name} | {args.texts / best:,.0f} | {best:.2f} |")
    ratio = min(results["agentscaler"]) / min(results["raw aiohttp"])
    print(f"\nagentscaler's client takes {ratio:.2f}x the time of bare requests")


if __name__ == "__main__":
    main()
