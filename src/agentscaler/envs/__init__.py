"""The run's tasks as multi-turn RL environments, and adapters for the frameworks that train
with them.

>>> from agentscaler.envs import make, task_ids
>>> env = make("runs/demo", task_ids("runs/demo")[0])
>>> observation, info = env.reset()

:mod:`.core` holds the environment (conversation in, assistant message out, the simulated user
in the loop), :mod:`.reward` the reward's semantics, :mod:`.gym` the Gymnasium family
``agentscaler/Task-v0``, :mod:`.adapters` the verifiers, SkyRL-gym and GEM adapters. Names are
imported on first use, so importing the package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "EnvConfig": "agentscaler.envs.config",
    "Reward": "agentscaler.envs.reward",
    "TaskEnv": "agentscaler.envs.core",
    "TaskSource": "agentscaler.envs.core",
    "make": "agentscaler.envs.core",
    "task_ids": "agentscaler.envs.core",
    "register_gymnasium": "agentscaler.envs.gym",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentscaler.envs' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
