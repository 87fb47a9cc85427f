"""Fixtures for the LLM client tests: stub servers on free ports and fast client configs."""

from __future__ import annotations

import socket

import pytest

from agentscaler.llm import LLMConfig
from agentscaler.llm.stub import StubServer

BACKENDS = ["aiohttp", "httpx", "direct"]


def fast_config(base_url: str, **overrides) -> LLMConfig:
    """A config with tiny backoff so retry tests run quickly."""
    values = {
        "base_url": base_url,
        "model": "agent",
        "backoff_base_s": 0.001,
        "backoff_max_s": 0.002,
        "max_retries": 3,
        "timeout_s": 10.0,
    }
    values.update(overrides)
    return LLMConfig(**values)


@pytest.fixture
def stub_server():
    """``stub_server(brain, faults)`` -> a started StubServer, stopped after the test."""
    started: list[StubServer] = []

    def start(brain=None, faults=None) -> StubServer:
        server = StubServer(brain, faults)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
