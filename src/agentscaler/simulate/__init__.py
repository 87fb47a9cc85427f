"""Simulated user <-> agent <-> world episodes, resumable and at scale.

>>> from agentscaler.simulate import SimulateConfig, simulate
>>> stats = simulate("runs/demo", SimulateConfig())          # offline: oracle agent, scripted user
>>> stats.gold_rate

Policies live in :mod:`agentscaler.simulate.policies`; one episode's loop in
:mod:`agentscaler.simulate.episode`; the asyncio orchestrator, storage and executors beside it.
Names are imported on first use, so importing the package (or its config) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "STOP_TOKEN": "agentscaler.simulate.config",
    "SimulateConfig": "agentscaler.simulate.config",
    "EpisodeOutcome": "agentscaler.simulate.summary",
    "RunStats": "agentscaler.simulate.summary",
    "open_simulation": "agentscaler.simulate.build",
    "run_simulation": "agentscaler.simulate.build",
    "simulate": "agentscaler.simulate.build",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentscaler.simulate' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
