"""``agentscaler stub serve`` as a separate process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from agentscaler.errors import LLMServerError
from agentscaler.llm import ChatClient

from .conftest import fast_config


def start(port: int, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "agentscaler.cli.app", "stub", "serve", "--port", str(port), *args]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"stub serve exited early: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("stub serve did not answer /health within 60 s")


def stop(proc: subprocess.Popen) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return out, err


def test_stub_serve_answers_and_reports(free_port):
    proc = start(free_port, "--brain", "echo", "--brain-option", "prefix=got: ", "--seed", "1")
    try:
        base_url = f"http://127.0.0.1:{free_port}/v1"
        with ChatClient(fast_config(base_url)) as client:
            result = client.chat_sync([{"role": "user", "content": "ping"}])
        with urllib.request.urlopen(base_url + "/models", timeout=10) as response:
            models = json.loads(response.read())
    finally:
        out, _ = stop(proc)
    assert result.message.content == "got: ping"
    assert models["object"] == "list"
    assert f"stub server listening on http://127.0.0.1:{free_port}/v1" in out
    assert "stub server" in out and "200: 1" in out  # the summary table


def test_stub_serve_injects_faults(free_port):
    proc = start(free_port, "--fail-rate", "1")
    try:
        cfg = fast_config(f"http://127.0.0.1:{free_port}/v1", max_retries=1)
        with ChatClient(cfg) as client, pytest.raises(LLMServerError):
            client.chat_sync([{"role": "user", "content": "x"}])
    finally:
        out, _ = stop(proc)
    assert "server_error: 2" in out


def test_stub_serve_plays_quirks_that_doctor_recognises(free_port, cli):
    proc = start(
        free_port, "--brain", "tool-echo", "--tool-call-format", "hermes", "--reasoning", "think",
        "--reuse-ids", "--truncate-at", "500", "--null-tool-calls-rate", "0",
    )  # fmt: skip
    try:
        result = cli("doctor", "--base-url", f"http://127.0.0.1:{free_port}/v1", "--model", "m")
    finally:
        out, _ = stop(proc)
    text = " ".join(result.output.split())
    assert result.exit_code == 0, text
    assert "tool calls arrive as hermes text" in text and "reasoning arrives inline" in text
    assert "'tool_call_format': 'hermes'" in out and "'reasoning': 'think'" in out


def test_stub_serve_rejects_bad_quirks():
    result = subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", "stub", "serve", "--tool-call-format", "xml"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, "bad usage"
    assert "--tool-call-format" in result.stderr and "hermes" in result.stderr


def test_stub_serve_rejects_bad_options():
    result = subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", "stub", "serve", "--fail-rate", "0.8",
         "--hang-rate", "0.5"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, "bad usage"
    assert "error:" in result.stderr and "add up to" in result.stderr


@pytest.mark.parametrize("backend", ["aiohttp", "direct"])
def test_stub_process_sustains_512_requests_in_flight(free_port, backend):
    """The simulation benchmark drives the stub at concurrency 256-512 on 2 cores."""
    proc = start(free_port, "--brain", "tool-echo", "--latency", "1500")
    try:
        base_url = f"http://127.0.0.1:{free_port}/v1"
        cfg = fast_config(base_url, concurrency=512, timeout_s=60, http_backend=backend)

        async def burst() -> list:
            async with ChatClient(cfg) as client:
                return await asyncio.gather(
                    *(client.chat([{"role": "user", "content": f"q{i}"}]) for i in range(512))
                )

        results = asyncio.run(burst())
        with urllib.request.urlopen(base_url.removesuffix("/v1") + "/stats", timeout=10) as r:
            stats = json.loads(r.read())
    finally:
        stop(proc)
    assert len(results) == 512 and all(
        r.message.content == f"done: q{i}" for i, r in enumerate(results)
    )
    assert sum(r.usage.retries for r in results) == 0
    assert stats["statuses"] == {"200": 512}
    assert stats["max_in_flight"] >= 500


def test_tasks_and_brain_are_exclusive(cli):
    from agentscaler.errors import ConfigError

    with pytest.raises(ConfigError, match="either --tasks or --brain"):
        cli("stub", "serve", "--tasks", "runs/demo", "--brain", "echo")
