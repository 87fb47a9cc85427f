"""Task synthesis for one domain: states, scenario walks, executed chains, goals and intents.

:func:`synthesize_domain` is deterministic for a world, its domain, the config and the seed: it
seeds the domain's initial states, then runs walks until it has ``per_domain`` distinct tasks or
has used ``per_domain * attempts_per_task`` walks. Each walk has its own seed and a scenario
(:class:`~agentscaler.tasks.scenario.ScenarioPlanner`: kinds that fall behind their share are
aimed at first), and the executed chain is shaped into the task's goals, facts and what the
agent must say (:func:`~agentscaler.tasks.scenario.shape`). The tasks are spread evenly over
the domain's states, consecutive walks sharing one. Tasks with the same gold calls (and the
same refused or withdrawn request) as an earlier one are dropped as duplicates.
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
from agentscaler.tasks.execute import Chain, ChainBuilder, Counts
from agentscaler.tasks.intent import leaks
from agentscaler.tasks.requests import RequestWriter
from agentscaler.tasks.scenario import ScenarioPlanner, Shaped, shape
from agentscaler.tasks.states import InitialState, make_states
from agentscaler.tasks.walks import WalkGraph
from agentscaler.worlds.runtime.loader import CompiledWorld

log = logging.getLogger(__name__)


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
    scenarios: Counter[str] = field(default_factory=Counter)
    """Walks aimed at each scenario kind (the tasks record the kind each became)."""

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
            "scenarios_planned": dict(sorted(self.scenarios.items())),
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
            scenarios=Counter(data.get("scenarios_planned") or {}),
        )


SINGLE_RESERVE = 2
"""Walks kept per missing task for lone calls: a one-call chain is taken only when the walks
left are at most this many times the tasks still wanted."""


def _calls(chain: Chain) -> list[list]:
    calls: list[list] = [[s.name, s.arguments] for s in chain.steps]
    for label, attempt in (("refused", chain.refused), ("withdrawn", chain.withdrawn)):
        if attempt is not None:
            calls.append([label, attempt.name, attempt.arguments])
    return calls


def task_id(compiled: CompiledWorld, state: str, chain: Chain) -> str:
    """Content hash of what makes a task: world, initial state, gold calls and the request
    refused or taken back."""
    body = {"world": compiled.id, "state": state, "calls": _calls(chain)}
    return "t-" + content_hash(body, length=16)


def calls_key(chain: Chain) -> str:
    """Duplicate key: the gold calls (names and arguments), refused and withdrawn calls."""
    return canonical_json(_calls(chain))


def walk_seed(config: TaskConfig, domain_id: str, attempt: int) -> int:
    return stable_seed("tasks/walk", config.seed, domain_id, attempt) % (2**31)


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
    builder = ChainBuilder(compiled, graph, config, result.counts)
    writer = RequestWriter(compiled.world, builder.people)
    planner = ScenarioPlanner(config, graph)
    seen: set[str] = set()
    budget = config.per_domain * config.attempts_per_task
    try:
        for attempt in range(budget):
            if len(result.tasks) >= config.per_domain:
                break
            seed = walk_seed(config, domain.id, attempt)
            rng = random.Random(seed)
            planned = planner.next(rng)
            if planned is None:
                break
            kind, goal = planned
            result.scenarios[kind] += 1
            # the domain's tasks are spread evenly over its states, consecutive walks sharing one
            share = len(result.tasks) * len(result.states) // config.per_domain
            state = result.states[min(share, len(result.states) - 1)]
            chain = builder.build(state, goal, rng)
            if chain is None:
                planner.record(kind, None)
                continue
            missing = config.per_domain - len(result.tasks)
            if (
                len(chain.steps) == 1
                and goal.length > 1
                and budget - attempt > SINGLE_RESERVE * missing
            ):
                # a scenario is identify, inspect, act: a lone call waits until the walks left
                # are just enough to fill the domain's tasks with lone calls
                result.counts.drops["single_call"] += 1
                continue
            shaped = shape(chain, kind, writer, builder.people, compiled.world, builder.env.db, rng)
            if len(shaped.chain.steps) > config.max_steps:
                # a refusal's lookups can add up past the longest chain the settings allow
                result.counts.drops["too_long"] += 1
                planner.record(kind, None)
                continue
            changes = [c for step in shaped.chain.steps for c in step.changes]
            if builder.ownership.foreign(builder.env.db, changes, shaped.persona):
                # the world's policy lets the agent change only the user's own records
                result.counts.drops["other_persons_records"] += 1
                planner.record(kind, None)
                continue
            key = calls_key(shaped.chain)
            if key in seen:
                result.counts.drops["duplicate"] += 1
                planner.record(kind, None)
                continue
            task = _task(compiled, seed, shaped)
            if task is None:
                result.counts.drops["intent_leak"] += 1
                planner.record(kind, None)
                continue
            seen.add(key)
            result.tasks.append(task)
            planner.record(kind, task.scenario)
            if on_task is not None:
                on_task()
    finally:
        builder.close()
    if not result.tasks:
        result.notes.append(_why_none(domain.id, result.counts))
    return result


def _task(compiled: CompiledWorld, seed: int, shaped: Shaped) -> Task | None:
    texts = [shaped.intent, *(g.request for g in shaped.goals)]
    if any(leaks(text, shaped.agent_lookups) for text in texts):
        return None
    chain = shaped.chain
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
        user_facts=shaped.user_facts,
        agent_lookups=shaped.agent_lookups,
        intent=shaped.intent,
        scenario=shaped.scenario,
        persona=shaped.persona,
        goals=shaped.goals,
        communicate=shaped.communicate,
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
