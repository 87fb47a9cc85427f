"""Executing walks: every call of a chain really runs in the world, step by step.

:class:`ChainBuilder` walks the graph from a start tool, grounds each call's arguments in the
current state and earlier outputs, executes it, and keeps it only when it succeeded and is not
pointless; the state it leaves is where the next call starts. A call that errors is retried with
other arguments (``on_error="retry"``, up to ``retries`` times, then other next tools are tried)
or drops the whole chain (``on_error="drop"``). Every error, retry and drop is counted.

:func:`replay` runs a task's gold calls on a fresh copy of its initial state: the check that a
task's gold final state hash is reproducible.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from agentscaler.errors import TaskError
from agentscaler.records.task import Task
from agentscaler.tasks.config import TaskConfig
from agentscaler.tasks.grounding import Grounder, value_key
from agentscaler.tasks.states import InitialState
from agentscaler.tasks.steps import Step
from agentscaler.tasks.walks import (
    WalkGraph,
    empty_result,
    pointless_write,
    repeats,
    weighted_order,
)
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.runtime.loader import CompiledWorld
from agentscaler.worlds.runtime.state import Snapshot

log = logging.getLogger(__name__)

MAX_REPEATS = 2
"""Argument sets that repeat an earlier call before a tool is given up at this step."""


@dataclass(frozen=True)
class Goal:
    """What one walk aims for."""

    read_only: bool
    length: int


@dataclass
class Counts:
    """What happened while building chains (per domain; merged for the run)."""

    attempts: int = 0
    chains: int = 0
    calls: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    """Calls that returned an error, by error type (``world_bug`` for bugs of the world)."""
    retries: int = 0
    """Argument sets tried again after an error or a pointless call."""
    pointless: Counter[str] = field(default_factory=Counter)
    """Calls refused by the walk rules: ``repeat``, ``no_effect``, ``undo``, ``overwrite``."""
    drops: Counter[str] = field(default_factory=Counter)
    """Walks that made no task, by reason."""
    ends: Counter[str] = field(default_factory=Counter)
    """How walks ended: ``length`` (reached their length), ``sink`` (no edge on), ``stuck``
    (no next tool could be called with arguments that work)."""

    def merge(self, other: Counts) -> None:
        self.attempts += other.attempts
        self.chains += other.chains
        self.calls += other.calls
        self.errors.update(other.errors)
        self.retries += other.retries
        self.pointless.update(other.pointless)
        self.drops.update(other.drops)
        self.ends.update(other.ends)

    def to_json(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "chains": self.chains,
            "calls": self.calls,
            "errors": dict(sorted(self.errors.items())),
            "retries": self.retries,
            "pointless": dict(sorted(self.pointless.items())),
            "drops": dict(sorted(self.drops.items())),
            "ends": dict(sorted(self.ends.items())),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Counts:
        return cls(
            attempts=int(data.get("attempts", 0)),
            chains=int(data.get("chains", 0)),
            calls=int(data.get("calls", 0)),
            errors=Counter(data.get("errors") or {}),
            retries=int(data.get("retries", 0)),
            pointless=Counter(data.get("pointless") or {}),
            drops=Counter(data.get("drops") or {}),
            ends=Counter(data.get("ends") or {}),
        )


@dataclass(frozen=True)
class Chain:
    """An executed walk."""

    steps: tuple[Step, ...]
    initial: InitialState
    final_hash: str

    @property
    def read_only(self) -> bool:
        return all(s.kind == "read" for s in self.steps)


class _Dropped(Exception):
    """The chain is dropped (``on_error="drop"`` after an error)."""


class ChainBuilder:
    """Builds executed chains in one world; one environment is reused for every chain."""

    def __init__(
        self, compiled: CompiledWorld, graph: WalkGraph, config: TaskConfig, counts: Counts
    ) -> None:
        self.compiled = compiled
        self.graph = graph
        self.config = config
        self.counts = counts
        self.env = WorldEnv(compiled)
        self.grounder = Grounder(
            self.env, graph, optional=config.optional_args, feed_optional=config.feed_optional
        )
        self._loaded = False

    def close(self) -> None:
        self.env.close()

    def build(self, state: InitialState, goal: Goal, rng: random.Random) -> Chain | None:
        """One executed chain from ``state`` aiming at ``goal``, or None (the reason counted)."""
        self.counts.attempts += 1
        if not self._loaded or self.env.state_hash() != state.hash:
            self.env.restore(state.snapshot)  # (a read-only chain left the state as it was)
            self._loaded = True
        self.grounder.reset()
        try:
            steps = self._walk(goal, rng)
        except _Dropped:
            self.counts.drops["error"] += 1
            return None
        if not steps:
            self.counts.drops["no_call"] += 1
            return None
        if not goal.read_only and all(s.kind == "read" for s in steps):
            self.counts.drops["no_write"] += 1
            return None
        final = self.env.state_hash()
        if final == state.hash and any(s.kind == "write" for s in steps):
            self.counts.drops["no_net_change"] += 1  # its writes cancel out: nothing to verify
            return None
        self.counts.chains += 1
        self.counts.calls += len(steps)
        return Chain(tuple(steps), state, final)

    # --- the walk ---------------------------------------------------------------------------
    def _walk(self, goal: Goal, rng: random.Random) -> list[Step]:
        steps: list[Step] = []
        graph = self.graph
        while len(steps) < goal.length:
            wants_write = not goal.read_only and not any(s.kind == "write" for s in steps)
            last_chance = wants_write and len(steps) == goal.length - 1
            if steps:
                edges = graph.successors(steps[-1].name, read_only=goal.read_only)
                options = [(e.target, e.score) for e in edges]
            else:
                options = graph.start_weights(read_only=goal.read_only)
            if last_chance:
                options = [(name, w) for name, w in options if graph.kinds[name] == "write"]
            candidates = weighted_order(options, rng)[: self.config.candidates_per_step]
            if not candidates:
                self.counts.ends["sink"] += 1
                return steps
            step = None
            more = len(steps) + 1 < goal.length
            for tool in candidates:
                step = self._try(tool, steps, rng, more=more)
                if step is not None:
                    break
            if step is None:
                self.counts.ends["stuck"] += 1
                return steps
            steps.append(step)
        self.counts.ends["length"] += 1
        return steps

    def _try(
        self, tool: str, steps: list[Step], rng: random.Random, *, more: bool = False
    ) -> Step | None:
        """Ground and execute ``tool`` after ``steps``; None when no argument set works.
        With ``more`` (the walk wants further steps) a search that finds nothing is retried."""
        config = self.config
        binding = self.grounder.bindings[tool]
        tries = 1 + config.retries if config.on_error == "retry" else 1
        env = self.env
        avoid: set[Hashable] = set()
        repeated = 0
        for attempt in range(tries):
            if attempt:
                self.counts.retries += 1
            grounded = self.grounder.ground(
                tool, steps, rng, require_link=config.linked_steps, avoid=frozenset(avoid)
            )
            if grounded is None:
                return None
            if repeats(steps, tool, grounded.arguments):
                self.counts.pointless["repeat"] += 1
                repeated += 1
                if repeated >= MAX_REPEATS:
                    return None
                continue
            before = env.state_hash()
            # only a write after another write can be refused once it changed something
            undoable = binding.kind == "write" and any(s.kind == "write" for s in steps)
            snapshot: Snapshot | None = env.snapshot() if undoable else None
            result = env.step((tool, grounded.arguments))
            if not result.ok:
                self.counts.errors[result.error_type or "error"] += 1
                if config.on_error == "drop":
                    raise _Dropped
                avoid.update(
                    value_key(grounded.arguments[name])
                    for name, source in grounded.sources.items()
                    if source.kind == "output"
                )
                continue
            # a read changes nothing (worlds are checked for that), so its hash is known
            after = env.state_hash() if result.changes else before
            if more and binding.kind == "read" and empty_result(result.observation):
                self.counts.pointless["empty"] += 1
                continue
            if binding.kind == "write":
                reason = pointless_write(steps, result.changes, after)
                if reason is not None:
                    self.counts.pointless[reason] += 1
                    if result.changes and snapshot is not None:
                        env.restore(snapshot)
                    continue
            return Step(
                name=tool,
                kind=binding.kind,
                operation=binding.operation,
                table=binding.table,
                arguments=grounded.arguments,
                sources=grounded.sources,
                output=result.observation,
                changes=result.changes,
                before_hash=before,
                after_hash=after,
                picks=grounded.picks,
            )
        return None


def replay(task: Task, compiled: CompiledWorld, state: bytes | Snapshot) -> str:
    """Run ``task``'s gold calls on a fresh copy of ``state``; return the final state hash.

    Raises :class:`TaskError` naming the call when a gold call fails on replay.
    """
    env = WorldEnv(compiled)
    try:
        env.reset(options={"state": state})
        for index, call in enumerate(task.gold_calls):
            result = env.step((call.name, call.arguments))
            if not result.ok:
                raise TaskError(
                    f"task {task.id}: gold call {index} ({call.name}) failed on replay: "
                    f"{result.content}"
                )
        return env.state_hash()
    finally:
        env.close()
