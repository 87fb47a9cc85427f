"""Worlds: each domain compiled into a SQLite-backed, verifiable environment.

>>> from agentscaler.worlds import load_world
>>> world = load_world("runs/demo/worlds/d0003-order-refund")    # CompiledWorld
>>> env = world.make_env()                                        # WorldEnv on seed.sqlite
>>> result = env.step({"name": "get_order", "arguments": {"order_id": "ORD-104233"}})
>>> result.observation, result.info["changes"], env.state_hash()

Compile with :func:`compile_world` / :func:`build_worlds` (the ``worlds`` stage), run with
:class:`WorldEnv` (``reset``/``step``/``state_hash``/``snapshot``/``restore``/``diff``), make
initial states with :meth:`CompiledWorld.seed_state`, sample valid calls with
:class:`ArgumentSampler`, and check a world with :func:`check_world`.
"""

from agentscaler.worlds.build import BuildSummary, WorldBuildResult, build_worlds
from agentscaler.worlds.checks.conformance import CheckResult, ConformanceReport, check_world
from agentscaler.worlds.compiler import compile_world, write_world
from agentscaler.worlds.config import WorldConfig
from agentscaler.worlds.runtime.env import StepResult, WorldEnv, parse_action
from agentscaler.worlds.runtime.loader import CompiledWorld, ToolEntry, load_world
from agentscaler.worlds.runtime.state import Snapshot, format_changes
from agentscaler.worlds.seeding.sampling import ArgumentSampler
from agentscaler.worlds.seeding.seed import seed_state

__all__ = [
    "ArgumentSampler",
    "BuildSummary",
    "CheckResult",
    "CompiledWorld",
    "ConformanceReport",
    "Snapshot",
    "StepResult",
    "ToolEntry",
    "WorldBuildResult",
    "WorldConfig",
    "WorldEnv",
    "build_worlds",
    "check_world",
    "compile_world",
    "format_changes",
    "load_world",
    "parse_action",
    "seed_state",
    "write_world",
]
