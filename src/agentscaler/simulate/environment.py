"""The worlds and initial states episodes run on, loaded once per process.

:class:`WorldPool` loads ``worlds/<domain_id>/`` with :func:`agentscaler.worlds.runtime.loader.load_world`
and each task's initial state ``states/<hash>.sqlite`` (as a snapshot whose table digests are
computed once), and gives every episode its own environment: a private in-memory copy of the
state (:class:`agentscaler.worlds.runtime.WorldEnv`), so episodes never share anything.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentscaler.errors import RunFolderError, SimulationError, WorldError
from agentscaler.records import Task
from agentscaler.simulate.policies.prompts import agent_system_prompt
from agentscaler.workspace import Workspace
from agentscaler.worlds.ownership import Ownership, PolicyGuard
from agentscaler.worlds.policy import read_policy

if TYPE_CHECKING:
    from agentscaler.worlds.runtime.env import WorldEnv
    from agentscaler.worlds.runtime.loader import CompiledWorld
    from agentscaler.worlds.runtime.state import Snapshot

log = logging.getLogger(__name__)

STATE_CACHE_SIZE = 512
"""Initial states kept in memory per process (each is a small SQLite image)."""


def system_prompt(compiled: CompiledWorld, name: str) -> str:
    """The agent's system prompt on a world: its ``policy.md`` (generated from its spec when the
    file is missing), or a generic prompt for a world without a spec."""
    policy = read_policy(compiled.path, compiled.load_spec())
    if policy is not None:
        return policy
    entities = tuple(t.entity or t.name for t in compiled.world.tables)
    return agent_system_prompt(name, entities)


@dataclass(frozen=True)
class LoadedWorld:
    """A compiled world with what every episode on it shares."""

    compiled: CompiledWorld
    tools: list[dict[str, Any]]
    """The OpenAI tool list, one object shared by every request (never modified)."""
    name: str
    system_prompt: str
    """The agent's system prompt for this world (its policy)."""
    ownership: Ownership = field(default_factory=lambda: Ownership({}))
    """Whose records are whose (the policy's "change only the user's records")."""

    def policy_guard(self, task: Task) -> PolicyGuard:
        """The policy check of an episode of ``task`` on this world."""
        return PolicyGuard(self.ownership, task.persona)

    @property
    def id(self) -> str:
        return self.compiled.id


class WorldPool:
    """Worlds and initial states of one run folder, loaded lazily and cached (thread-safe)."""

    def __init__(self, workspace: Workspace, domain_names: dict[str, str] | None = None) -> None:
        self.workspace = workspace
        self.domain_names = dict(domain_names or {})
        self._worlds: dict[str, LoadedWorld] = {}
        self._ids: dict[str, str] = {}
        self._states: OrderedDict[str, Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def world(self, domain_id: str) -> LoadedWorld:
        """The world of ``domain_id`` (``worlds/<domain_id>/``), loaded on first use."""
        loaded = self._worlds.get(domain_id)
        if loaded is not None:
            return loaded
        from agentscaler.worlds.runtime.loader import load_world

        path = self.workspace.world_dir(domain_id)
        if not path.exists():
            raise RunFolderError(
                f"{path} is missing: tasks refer to domain {domain_id!r} but no world was "
                f"compiled for it. Run `agentscaler worlds build {self.workspace.root}` first."
            )
        compiled = load_world(path)
        log.info("loaded world %s (%d tools) from %s", compiled.id, len(compiled.tools), path)
        name = self.domain_names.get(domain_id) or compiled.world.name or domain_id
        loaded = LoadedWorld(
            compiled=compiled,
            tools=compiled.openai_tools,
            name=name,
            system_prompt=system_prompt(compiled, name),
            ownership=Ownership.of(compiled.load_spec()),
        )
        with self._lock:
            self._worlds.setdefault(domain_id, loaded)
        return self._worlds[domain_id]

    def world_id(self, domain_id: str) -> str:
        """The id of ``domain_id``'s world as ``world.json`` records it, without loading the
        world (its code, tools and spec): what a planner that leaves loading to workers checks."""
        loaded = self._worlds.get(domain_id)
        if loaded is not None:
            return loaded.id
        known = self._ids.get(domain_id)
        if known is not None:
            return known
        from agentscaler.jsonl import read_json

        path = self.workspace.world_dir(domain_id) / "world.json"
        if not path.exists():
            raise RunFolderError(
                f"{path} is missing: tasks refer to domain {domain_id!r} but no world was "
                f"compiled for it. Run `agentscaler worlds build {self.workspace.root}` first."
            )
        data = read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise RunFolderError(
                f"{path}: not a World record (no string field 'id'). Run `agentscaler worlds "
                f"build {self.workspace.root} --force` to compile it again."
            )
        self._ids[domain_id] = data["id"]
        return data["id"]

    def check_task(self, task: Task, where: str = "", *, load: bool = True) -> None:
        """Raise a clear error when ``task`` cannot run here (missing world or state, or a world
        recompiled since the task was made). ``load=False`` reads only the world's id."""
        world_id = self.world(task.domain_id).id if load else self.world_id(task.domain_id)
        at = f" ({where})" if where else ""
        if task.world_id and task.world_id != world_id:
            raise SimulationError(
                f"task {task.id}{at} was made on world {task.world_id}, but "
                f"{self.workspace.world_dir(task.domain_id)} now holds world {world_id} "
                "(recompiled with other inputs or settings). Re-run `agentscaler tasks sample` "
                "for this run folder, or restore the world it was made on."
            )
        path = self.workspace.state_file(task.initial_state)
        if not path.exists():
            raise RunFolderError(
                f"task {task.id}{at}: its initial state {path} is missing. Run "
                f"`{self.workspace.rerun_command('tasks')}` (it restores missing states)."
            )

    def state(self, state_hash: str, world: LoadedWorld) -> Snapshot:
        """The initial state ``states/<hash>.sqlite`` as a snapshot (cached, LRU)."""
        with self._lock:
            snapshot = self._states.get(state_hash)
            if snapshot is not None:
                self._states.move_to_end(state_hash)
                return snapshot
        path = self.workspace.state_file(state_hash)
        restore = (
            f"Run `{self.workspace.rerun_command('tasks')}` (it restores missing or damaged "
            "states)."
        )
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise RunFolderError(f"initial state {path} is missing. {restore}") from exc
        try:
            env = world.compiled.make_env(data)
        except WorldError as exc:
            raise RunFolderError(f"{path}: {exc}. {restore}") from exc
        try:
            env.state_hash()  # computes the table digests once; snapshots carry them
            snapshot = env.snapshot()
        finally:
            env.close()
        with self._lock:
            self._states[state_hash] = snapshot
            while len(self._states) > STATE_CACHE_SIZE:
                self._states.popitem(last=False)
        return snapshot

    def make_env(self, task: Task) -> tuple[LoadedWorld, WorldEnv]:
        """A new environment on its own copy of the task's initial state, and its world (close
        the environment after the episode)."""
        world = self.world(task.domain_id)
        snapshot = self.state(task.initial_state, world)
        from agentscaler.worlds.runtime.env import WorldEnv

        env = WorldEnv(world.compiled)
        env.reset(options={"state": snapshot})
        return world, env


def domain_names(workspace: Workspace) -> dict[str, str]:
    """Readable domain names from ``domains.jsonl`` when it exists ({} otherwise)."""
    if not workspace.domains.exists():
        return {}
    from agentscaler.jsonl import iter_records
    from agentscaler.records import Domain

    return {d.id: d.name for d in iter_records(workspace.domains, Domain)}
