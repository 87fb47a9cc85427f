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
from typing import Any, Literal

from agentscaler.errors import TaskError
from agentscaler.records.task import ArgumentSource, Task
from agentscaler.tasks.config import TaskConfig
from agentscaler.tasks.grounding import Grounded, Grounder, value_key
from agentscaler.tasks.persona import People
from agentscaler.tasks.refusals import Refusal, explain_refusal
from agentscaler.tasks.states import InitialState
from agentscaler.tasks.steps import Pick, Step
from agentscaler.tasks.walks import (
    WalkGraph,
    empty_result,
    pointless_write,
    repeats,
    weighted_order,
)
from agentscaler.worlds.ownership import Ownership
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.runtime.loader import CompiledWorld
from agentscaler.worlds.runtime.state import Snapshot

log = logging.getLogger(__name__)

MAX_REPEATS = 2
"""Argument sets that repeat an earlier call before a tool is given up at this step."""
LINK_WEIGHT = 0.3
"""Weight of a next tool that an output feeds by name but no dependency edge names."""


@dataclass(frozen=True)
class Goal:
    """What one walk aims for.

    ``end``: ``refusal`` ends the walk (read-only up to there) with a write the world's rules
    refuse, and ``alternative`` also finds, for the last write, another write the user could
    have asked for instead (a change of mind)."""

    read_only: bool
    length: int
    end: Literal["any", "refusal", "alternative"] = "any"
    start_read: bool = True
    """Start with a read (identify or look up before acting) when the world has one."""


@dataclass(frozen=True)
class Attempt:
    """A call the user asks for that the gold does not make (refused, or taken back)."""

    name: str
    arguments: dict[str, Any]
    sources: dict[str, ArgumentSource]
    picks: dict[str, Pick]
    refusal: Refusal | None = None


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
    refused: Attempt | None = None
    """The write the rules refuse, at the end of the chain (a rule refusal)."""
    withdrawn: Attempt | None = None
    """Another write instead of the last one, the user's first request (a change of mind)."""

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
        spec = compiled.load_spec()
        user = spec.entity(spec.user) if spec is not None else None
        self.people = People.of(compiled.world, user.table if user is not None else None)
        self.ownership = Ownership.of(spec)
        """Whose records are whose (a task changes only its user's)."""
        self.grounder = Grounder(
            self.env,
            graph,
            optional=config.optional_args,
            feed_optional=config.feed_optional,
            people=self.people,
        )
        self._loaded = False
        self._before_write: dict[int, Snapshot] = {}
        """Snapshots before each write of the chain (kept for ``alternative`` goals)."""
        self._keep_before = False

    def close(self) -> None:
        self.env.close()

    def build(self, state: InitialState, goal: Goal, rng: random.Random) -> Chain | None:
        """One executed chain from ``state`` aiming at ``goal``, or None (the reason counted)."""
        self.counts.attempts += 1
        if not self._loaded or self.env.state_hash() != state.hash:
            self.env.restore(state.snapshot)  # (a read-only chain left the state as it was)
            self._loaded = True
        self.grounder.reset()
        self._before_write.clear()
        self._keep_before = goal.end == "alternative"
        try:
            steps = self._walk(goal, rng)
        except _Dropped:
            self.counts.drops["error"] += 1
            return None
        if not steps:
            self.counts.drops["no_call"] += 1
            return None
        refused = withdrawn = None
        if goal.end == "refusal":
            refused = self._refuse(steps, rng)
            if refused is None:
                self.counts.drops["no_refusal"] += 1
                return None
        if not goal.read_only and all(s.kind == "read" for s in steps):
            self.counts.drops["no_write"] += 1
            return None
        final = self.env.state_hash()
        if final == state.hash and any(s.kind == "write" for s in steps):
            self.counts.drops["no_net_change"] += 1  # its writes cancel out: nothing to verify
            return None
        if goal.end == "alternative":
            last = max(i for i, s in enumerate(steps) if s.kind == "write")
            del steps[last + 1 :]  # reads after the last write change nothing
            withdrawn = self._alternative(steps, last, rng)
            if withdrawn is None:
                self.counts.drops["no_alternative"] += 1
                return None
        self.counts.chains += 1
        self.counts.calls += len(steps)
        return Chain(tuple(steps), state, final, refused=refused, withdrawn=withdrawn)

    # --- the walk ---------------------------------------------------------------------------
    def _walk(self, goal: Goal, rng: random.Random) -> list[Step]:
        steps: list[Step] = []
        graph = self.graph
        while len(steps) < goal.length:
            wants_write = not goal.read_only and not any(s.kind == "write" for s in steps)
            last_chance = wants_write and len(steps) == goal.length - 1
            if steps:
                options = self._next_options(steps, read_only=goal.read_only)
            else:
                options = graph.start_weights(read_only=goal.read_only)
            if last_chance:
                options = [(name, w) for name, w in options if graph.kinds[name] == "write"]
            used_reads = {s.name for s in steps if s.kind == "read"}
            options = [(name, w) for name, w in options if name not in used_reads]
            limit = self.config.candidates_per_step
            if not steps and goal.start_read and not goal.read_only and goal.length > 1:
                # reads first (identify, look up), then writes when no read can start
                reads = [(n, w) for n, w in options if graph.kinds[n] == "read"]
                writes = [(n, w) for n, w in options if graph.kinds[n] != "read"]
                candidates = (
                    weighted_order(reads, rng)[:limit] + weighted_order(writes, rng)[:limit]
                )
            else:
                candidates = weighted_order(options, rng)[:limit]
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
                tool,
                steps,
                rng,
                require_link=config.linked_steps,
                avoid=frozenset(avoid),
                optional=0.0 if more and binding.kind == "read" else None,
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
            keep = binding.kind == "write" and self._keep_before
            snapshot: Snapshot | None = env.snapshot() if undoable or keep else None
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
            if keep and snapshot is not None:
                self._before_write[len(steps)] = snapshot
            return self._step(tool, grounded, result, before, after)
        return None

    def _step(self, tool: str, grounded: Grounded, result: Any, before: str, after: str) -> Step:
        binding = self.grounder.bindings[tool]
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

    def _next_options(self, steps: list[Step], *, read_only: bool) -> list[tuple[str, float]]:
        """``(tool, weight)`` that can follow the last step: its dependency edges, then the
        tools its output feeds by name."""
        last = len(steps) - 1
        edges = self.graph.successors(steps[last].name, read_only=read_only)
        options = [(e.target, e.score) for e in edges]
        known = {name for name, _ in options}
        for tool in sorted(self.grounder.linked_tools(last, steps[last])):
            if tool in known or tool not in self.graph.walked:
                continue
            if read_only and self.graph.kinds[tool] != "read":
                continue
            options.append((tool, LINK_WEIGHT))
        return options

    # --- scenario ends ----------------------------------------------------------------------
    def _write_options(self, steps: list[Step]) -> list[str]:
        """Write tools that can follow the chain, the last step's successors first."""
        seen: dict[str, float] = {}
        for step in reversed(steps):
            for edge in self.graph.successors(step.name, read_only=False):
                if self.graph.kinds[edge.target] == "write" and edge.target not in seen:
                    seen[edge.target] = edge.score
        for index in range(len(steps) - 1, -1, -1):
            for tool in sorted(self.grounder.linked_tools(index, steps[index])):
                writes = self.graph.kinds[tool] == "write" and tool in self.graph.walked
                if writes and tool not in seen:
                    seen[tool] = LINK_WEIGHT
        return list(seen)

    def _refuse(self, steps: list[Step], rng: random.Random) -> Attempt | None:
        """A write after ``steps`` that the world's rules refuse, explained by values the
        chain's outputs show (an inspecting read of the row is added when they do not)."""
        env = self.env
        options = self._write_options(steps)
        rng.shuffle(options)
        for tool in options[: self.config.candidates_per_step]:
            for _ in range(1 + self.config.retries):
                grounded = self.grounder.ground(tool, steps, rng, require_link=True, violate=True)
                if grounded is None:
                    break
                snapshot = env.snapshot()
                result = env.step((tool, grounded.arguments))
                if result.ok:
                    self.counts.pointless["not_refused"] += 1
                    if result.changes:
                        env.restore(snapshot)
                    continue
                if result.error_type != "precondition_failed":
                    continue
                error = (
                    result.observation.get("error")
                    if isinstance(result.observation, dict)
                    else None
                )
                rule = error.get("rule") if isinstance(error, dict) else None
                if not rule:
                    continue
                binding = self.grounder.bindings[tool]
                message = str(error.get("message", ""))
                refusal = explain_refusal(
                    env, binding, grounded.arguments, str(rule), message, steps
                )
                if refusal is None:
                    self.counts.pointless["unexplained_refusal"] += 1
                    continue
                if refusal.inspect is not None:
                    inspect = self._inspect(refusal.inspect, steps)
                    if inspect is None:
                        continue
                    steps.append(inspect)
                    refusal = explain_refusal(
                        env, binding, grounded.arguments, str(rule), message, steps
                    )
                    if refusal is None or refusal.inspect is not None:
                        steps.pop()
                        continue
                return Attempt(tool, grounded.arguments, grounded.sources, grounded.picks, refusal)
        return None

    def _inspect(self, call: tuple[str, dict[str, Any]], steps: list[Step]) -> Step | None:
        """The read that shows the row a refusal is about (its key from an earlier output)."""
        tool, arguments = call
        sources: dict[str, ArgumentSource] = {}
        picks: dict[str, Pick] = {}
        feeds = self.grounder.feeds(tool, steps)
        for name, value in arguments.items():
            wanted = value_key(value)
            match = next((f for f in feeds.get(name, ()) if value_key(f.value) == wanted), None)
            if match is None:
                return None
            sources[name] = ArgumentSource(kind="output", step=match.step, path=match.field.path)
        before = self.env.state_hash()
        result = self.env.step((tool, arguments))
        if not result.ok:
            return None
        return self._step(tool, Grounded(arguments, sources, picks), result, before, before)

    def _alternative(self, steps: list[Step], last: int, rng: random.Random) -> Attempt | None:
        """Another write the user could have asked for instead of ``steps[last]``, from the
        state before it (tried for real, then undone)."""
        env = self.env
        before = self._before_write.get(last)
        if before is None:
            return None
        chosen = steps[last]
        prefix = steps[:last]
        after = env.snapshot()
        options = [t for t in self._write_options(prefix) if t != chosen.name] if prefix else []
        rng.shuffle(options)
        options = options[: self.config.candidates_per_step]
        # the same request with other values ("make it ... instead") half of the time first
        options.insert(0 if rng.random() < 0.5 else len(options), chosen.name)
        found = None
        try:
            env.restore(before)
            for tool in options:
                grounded = self.grounder.ground(tool, prefix, rng, require_link=bool(prefix))
                if grounded is None:
                    continue
                if any(s.name == tool and s.arguments == grounded.arguments for s in steps):
                    continue  # a call the user does make is no alternative to take back
                result = env.step((tool, grounded.arguments))
                if result.changes:
                    changed = env.state_hash()
                    env.restore(before)
                    if result.ok and changed != chosen.after_hash:
                        found = Attempt(tool, grounded.arguments, grounded.sources, grounded.picks)
                        break
        finally:
            env.restore(after)
        return found


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
