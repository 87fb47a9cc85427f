"""Task synthesis for one domain: states, walks, executed chains, facts and template intents.

:func:`synthesize_domain` is deterministic for a world, its domain, the config and the seed: it
seeds the domain's initial states, then runs walks until it has ``per_domain`` distinct tasks or
has used ``per_domain * attempts_per_task`` walks. Each walk has its own seed and a goal:
read-only or with a write (read-only tasks are kept near ``read_only_share`` of the tasks made so
far) and a length (lengths that fall behind the length distribution are aimed at first). The
tasks are spread evenly over the domain's states, consecutive walks sharing one. Tasks with the
same gold calls as an earlier one are dropped as duplicates.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentscaler.canonical import canonical_json, content_hash, stable_seed
from agentscaler.records.domain import Domain
from agentscaler.records.task import Task
from agentscaler.tasks.config import TaskConfig
from agentscaler.tasks.execute import Chain, ChainBuilder, Counts, Goal
from agentscaler.tasks.facts import facts_and_lookups
from agentscaler.tasks.intent import IntentWriter, leaks
from agentscaler.tasks.states import InitialState, make_states
from agentscaler.tasks.walks import WalkGraph, choose_length
from agentscaler.worlds.runtime.loader import CompiledWorld

log = logging.getLogger(__name__)

GIVE_UP_STREAK = 30
"""Failed walks in a row after which a goal kind (read-only or write) is no longer tried."""


@dataclass
class DomainResult:
    """The tasks of one domain and what happened while making them."""

    domain_id: str
    name: str
    world_id: str = ""
    tasks: list[Task] = field(default_factory=list)
    states: list[InitialState] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    notes: list[str] = field(default_factory=list)
    """Plain-language remarks (a graph without edges, empty tables, why no task was made)."""
    intents: Counter[str] = field(default_factory=Counter)
    """LLM rewriting: rewrites used, cached replies, rejects by reason (empty without LLM)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "domain_id": self.domain_id,
            "name": self.name,
            "world_id": self.world_id,
            "tasks": len(self.tasks),
            "states": [s.hash for s in self.states],
            "counts": self.counts.to_json(),
            "notes": list(self.notes),
            "intents": dict(sorted(self.intents.items())),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], tasks: list[Task]) -> DomainResult:
        """A result read back from disk (states are referenced by hash only)."""
        return cls(
            domain_id=data["domain_id"],
            name=data.get("name", ""),
            world_id=data.get("world_id", ""),
            tasks=tasks,
            counts=Counts.from_json(data.get("counts") or {}),
            notes=list(data.get("notes") or []),
            intents=Counter(data.get("intents") or {}),
        )


def task_id(compiled: CompiledWorld, state: str, chain: Chain) -> str:
    """Content hash of what makes a task: world, initial state and gold calls."""
    body = {
        "world": compiled.id,
        "state": state,
        "calls": [[s.name, s.arguments] for s in chain.steps],
    }
    return "t-" + content_hash(body, length=16)


def calls_key(chain: Chain) -> str:
    """Duplicate key: the gold calls (names and arguments)."""
    return canonical_json([[s.name, s.arguments] for s in chain.steps])


def walk_seed(config: TaskConfig, domain_id: str, attempt: int) -> int:
    return stable_seed("tasks/walk", config.seed, domain_id, attempt) % (2**31)


class _Goals:
    """Chooses each walk's goal, keeping read-only tasks near their share and chain lengths
    near the length distribution (a walk that ends early counts under its real length, so
    lengths that fall behind their share are aimed at more often)."""

    def __init__(self, config: TaskConfig, graph: WalkGraph) -> None:
        self.config = config
        self.lengths, self.weights = config.lengths()
        self.by_length: Counter[int] = Counter()
        kinds = set(graph.kinds.values())
        self.allowed = {True: "read" in kinds, False: "write" in kinds}
        self.made = {True: 0, False: 0}
        self.streak = {True: 0, False: 0}

    def next(self, rng: random.Random) -> Goal | None:
        usable = [k for k, ok in self.allowed.items() if ok]
        if not usable:
            return None
        total = self.made[True] + self.made[False]
        share = self.config.read_only_share
        if len(usable) == 2:
            wanted = share * (total + 1)
            if self.made[True] + 1 <= wanted:
                read_only = True
            elif self.made[True] >= wanted + 1 or share == 0.0:
                read_only = False
            else:
                read_only = rng.random() < share
        else:
            read_only = usable[0]
        return Goal(read_only=read_only, length=self._length(rng))

    def _length(self, rng: random.Random) -> int:
        total = sum(self.by_length.values()) + 1
        weight_sum = sum(self.weights)
        deficits = [
            (w / weight_sum * total - self.by_length[n], n)
            for n, w in zip(self.lengths, self.weights, strict=True)
            if w > 0
        ]
        best = max(d for d, _ in deficits)
        if best < 1.0:  # every length is on track: draw from the distribution
            return choose_length(self.lengths, self.weights, rng)
        return rng.choice([n for d, n in deficits if d == best])

    def record(self, goal: Goal, success: bool, length: int = 0) -> None:
        if success:
            self.by_length[length] += 1
            self.made[goal.read_only] += 1
            self.streak[goal.read_only] = 0
            return
        self.streak[goal.read_only] += 1
        if self.streak[goal.read_only] >= GIVE_UP_STREAK and self.made[goal.read_only] == 0:
            self.allowed[goal.read_only] = False


def synthesize_domain(
    compiled: CompiledWorld,
    domain: Domain,
    config: TaskConfig,
    *,
    on_task: Callable[[], None] | None = None,
) -> DomainResult:
    """The tasks of one domain (template intents). ``on_task()`` is called per task made."""
    result = DomainResult(domain_id=domain.id, name=domain.name, world_id=compiled.id)
    graph = WalkGraph(compiled, domain.edges)
    if not graph.tools:
        result.notes.append(f"domain {domain.id}: its world has no tools; no task can be made")
        return result
    if graph.edge_count == 0:
        result.notes.append(
            f"domain {domain.id}: its dependency graph has no edges between the world's tools, "
            "so every task is a single call"
        )
    result.states = make_states(compiled, config)
    empty = sorted({t for s in result.states for t in s.empty_tables})
    if empty:
        result.notes.append(
            f"domain {domain.id}: tables {', '.join(empty)} are empty in its initial states; "
            "tools that need an existing row there cannot be used"
        )
    writer = IntentWriter(compiled.world)
    goals = _Goals(config, graph)
    builder = ChainBuilder(compiled, graph, config, result.counts)
    seen: set[str] = set()
    try:
        for attempt in range(config.per_domain * config.attempts_per_task):
            if len(result.tasks) >= config.per_domain:
                break
            seed = walk_seed(config, domain.id, attempt)
            rng = random.Random(seed)
            goal = goals.next(rng)
            if goal is None:
                break
            # the domain's tasks are spread evenly over its states, consecutive walks sharing one
            share = len(result.tasks) * len(result.states) // config.per_domain
            state = result.states[min(share, len(result.states) - 1)]
            chain = builder.build(state, goal, rng)
            if chain is None:
                goals.record(goal, False)
                continue
            key = calls_key(chain)
            if key in seen:
                result.counts.drops["duplicate"] += 1
                goals.record(goal, False)
                continue
            task = _task(compiled, chain, seed, writer, rng)
            if task is None:
                result.counts.drops["intent_leak"] += 1
                goals.record(goal, False)
                continue
            seen.add(key)
            result.tasks.append(task)
            goals.record(goal, True, len(chain.steps))
            if on_task is not None:
                on_task()
    finally:
        builder.close()
    if not result.tasks:
        result.notes.append(_why_none(domain.id, result.counts))
    return result


def _task(
    compiled: CompiledWorld, chain: Chain, seed: int, writer: IntentWriter, rng: random.Random
) -> Task | None:
    facts, lookups = facts_and_lookups(chain.steps)
    intent = writer.write(chain.steps, rng)
    if leaks(intent, lookups):
        return None
    state = chain.initial.hash
    return Task(
        id=task_id(compiled, state, chain),
        domain_id=compiled.world.domain_id,
        world_id=compiled.id,
        seed=seed,
        initial_state=state,
        gold_calls=tuple(s.gold_call() for s in chain.steps),
        gold_final_state=chain.final_hash,
        read_only=chain.read_only,
        user_facts=facts,
        agent_lookups=lookups,
        intent=intent,
    )


def _why_none(domain_id: str, counts: Counts) -> str:
    """Why a domain made no task, from its counts."""
    if counts.attempts == 0:
        return f"domain {domain_id}: no walk could start"
    reasons = []
    if counts.errors:
        top = ", ".join(f"{k} x{v}" for k, v in counts.errors.most_common(3))
        reasons.append(f"calls failed ({top})")
    if counts.pointless:
        top = ", ".join(f"{k} x{v}" for k, v in counts.pointless.most_common(3))
        reasons.append(f"calls were pointless ({top})")
    if counts.drops:
        top = ", ".join(f"{k} x{v}" for k, v in counts.drops.most_common(3))
        reasons.append(f"walks were dropped ({top})")
    detail = "; ".join(reasons) or "no tool could be called"
    return f"domain {domain_id}: no task after {counts.attempts} walks: {detail}"
