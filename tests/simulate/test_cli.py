"""``agentscaler simulate`` and ``agentscaler stub serve --tasks`` from the command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from agentscaler.jsonl import read_records
from agentscaler.records import Episode

ENV = {**os.environ, "COLUMNS": "200"}


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agentscaler.cli.app", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_offline_run_prints_a_summary(cli, run_dir):
    result = cli("simulate", run_dir, "--offline", "--trials", "2")
    assert result.exit_code == 0, result.output
    assert "reached gold state" in result.output and "(100.0%)" in result.output
    assert "ended by user_stop" in result.output
    again = cli("simulate", run_dir, "--offline", "--trials", "2")
    assert "0 episodes to run" in again.output and "already on disk" in again.output


def test_without_a_policy_the_error_says_what_to_pass(run_dir):
    result = run_cli("simulate", run_dir)
    assert result.returncode == 2, "bad usage"
    assert "--offline" in result.stderr and "--agent-model" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run_cli("simulate", run_dir / "nowhere", "--offline")
    assert missing.returncode == 1 and "tasks" in missing.stderr


def test_help_lists_the_options(cli):
    result = cli("simulate", "--help")
    for option in ("--offline", "--agent-model", "--user-base-url", "--trials", "--executor"):
        assert option in result.output


def test_llm_path_end_to_end_against_the_stub_process(run_dir):
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentscaler.cli.app",
            "stub",
            "serve",
            "--port",
            str(port),
            "--tasks",
            str(run_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the stub server did not start"
                time.sleep(0.1)
        result = run_cli(
            "simulate",
            run_dir,
            "--base-url",
            f"http://127.0.0.1:{port}/v1",
            "--agent-model",
            "oracle",
            "--user-model",
            "user",
            "--http-backend",
            "direct",
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    assert result.returncode == 0, result.stderr
    assert "(100.0%)" in result.stdout
    episodes = [e for p in (run_dir / "episodes").glob("*.jsonl") for e in read_records(p, Episode)]
    assert episodes and all(e.agent.model == "oracle" and e.user.model == "user" for e in episodes)
    assert all(e.usage.requests == e.turns for e in episodes)


def test_stub_serve_takes_tasks_or_a_brain_not_both(run_dir):
    result = run_cli("stub", "serve", "--port", "0", "--tasks", run_dir, "--brain", "echo")
    assert result.returncode == 2, "bad usage"
    assert "--tasks or --brain" in result.stderr
