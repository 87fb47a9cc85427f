"""What a set of tasks looks like: scenarios, chain lengths, reads and writes, data flow, drops.

:func:`summarize` works from the Task records (so it can describe any ``tasks.jsonl``) plus,
when given, the per-domain counts of the run that made them (errors, retries, drops, intents).

Data flow is counted honestly: a *discovered* value is an argument an earlier call's output
supplied and that is not one of the user's facts. A value the user gave, which a tool echoed
back and a later call used, is no discovery (the agent could have taken it from the user).
``coherence`` is the share of multi-step tasks with at least one discovered value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.records.base import Record
from agentscaler.records.task import SCENARIO_KINDS, Task


def _scalars(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _scalars(item)]
    if isinstance(value, list):
        return [s for item in value for s in _scalars(item)]
    return [] if value is None else [value]


def known_values(task: Task) -> set[str]:
    """Canonical JSON of every user fact's value and of the scalars inside it."""
    known: set[str] = set()
    for fact in task.user_facts:
        known.add(canonical_json(fact.value))
        known.update(canonical_json(v) for v in _scalars(fact.value))
    return known


def discovered_links(task: Task) -> int:
    """Arguments of the task's gold calls that an earlier output supplied and that the user
    did not know (their value is no user fact)."""
    known = known_values(task)
    return sum(
        1
        for call in task.gold_calls[1:]
        for name, source in call.sources.items()
        if source.kind == "output" and canonical_json(call.arguments.get(name)) not in known
    )


def is_linked(task: Task) -> bool:
    """A multi-step task in which the agent must use a value an earlier call returned and the
    user did not give (a discovered value)."""
    return len(task.gold_calls) > 1 and discovered_links(task) > 0


class TaskMix(Record):
    """The shape of a set of tasks (what ``agentscaler tasks stats`` and the report show)."""

    tasks: int
    scenarios: dict[str, int]
    """Tasks per scenario kind."""
    lengths: dict[str, int]
    """Tasks per number of gold calls."""
    discovered_mean: float
    """Discovered values per task (data-flow links that are not echoes of user facts)."""
    multi_with_discovery: float
    """Share of tasks with two or more calls and at least one discovered value."""
    refusal_or_ask: float
    """Share of tasks that are rule refusals or need the agent to ask for a detail."""
    with_persona: float
    """Share of tasks whose user is a person of the world."""
    communicated_mean: float
    """Values the agent must tell the user, per task."""


def task_mix(tasks: Sequence[Task]) -> TaskMix:
    total = len(tasks) or 1
    scenarios = Counter(t.scenario for t in tasks)
    lengths = Counter(len(t.gold_calls) for t in tasks)
    links = [discovered_links(t) for t in tasks]
    multi = sum(len(t.gold_calls) >= 2 and n > 0 for t, n in zip(tasks, links, strict=True))
    asks = scenarios["rule_refusal"] + scenarios["missing_info"]
    return TaskMix(
        tasks=len(tasks),
        scenarios={k: scenarios.get(k, 0) for k in SCENARIO_KINDS},
        lengths={str(n): lengths[n] for n in sorted(lengths)},
        discovered_mean=round(sum(links) / total, 3),
        multi_with_discovery=round(multi / total, 4),
        refusal_or_ask=round(asks / total, 4),
        with_persona=round(sum(t.persona is not None for t in tasks) / total, 4),
        communicated_mean=round(sum(len(t.communicate) for t in tasks) / total, 3),
    )


def touched(task: Task) -> set[tuple[str, str]]:
    """``(table, key)`` of every record the task's writes change."""
    return {(c.table, canonical_json(c.key)) for call in task.gold_calls for c in call.changes}


def summarize(
    tasks: Sequence[Task],
    *,
    domains: Iterable[dict[str, Any]] = (),
    max_steps: int | None = None,
) -> dict[str, Any]:
    """The summary of a run's tasks (JSON data; ``domains`` are per-domain result dicts)."""
    total = len(tasks)
    lengths = Counter(len(t.gold_calls) for t in tasks)
    top = max_steps or (max(lengths) if lengths else 0)
    writes = Counter(sum(c.kind == "write" for c in t.gold_calls) for t in tasks)
    multi = [t for t in tasks if len(t.gold_calls) > 1]
    linked = sum(is_linked(t) for t in multi)
    records = [len(touched(t)) for t in tasks]
    tables = Counter(c.table for t in tasks for call in t.gold_calls for c in call.changes)
    counts: dict[str, Counter[str]] = {
        "errors": Counter(),
        "pointless": Counter(),
        "drops": Counter(),
        "ends": Counter(),
        "intents": Counter(),
    }
    attempts = retries = 0
    per_domain = []
    notes: list[str] = []
    for domain in domains:
        data = domain.get("counts") or {}
        attempts += int(data.get("attempts", 0))
        retries += int(data.get("retries", 0))
        for name in ("errors", "pointless", "drops", "ends"):
            counts[name].update(data.get(name) or {})
        counts["intents"].update(domain.get("intents") or {})
        notes.extend(domain.get("notes") or [])
        per_domain.append(
            {
                "domain_id": domain.get("domain_id"),
                "name": domain.get("name"),
                "tasks": domain.get("tasks", 0),
                "attempts": data.get("attempts", 0),
            }
        )
    sources = Counter(t.intent_source for t in tasks)
    mix = task_mix(tasks)
    return {
        "tasks": total,
        "domains": len({t.domain_id for t in tasks}),
        "states": len({t.initial_state for t in tasks}),
        "lengths": {str(n): lengths.get(n, 0) for n in range(1, top + 1)},
        "max_length": max(lengths) if lengths else 0,
        "mean_length": round(sum(len(t.gold_calls) for t in tasks) / total, 3) if total else 0.0,
        "read_only": sum(t.read_only for t in tasks),
        "read_only_share": round(sum(t.read_only for t in tasks) / total, 4) if total else 0.0,
        "with_write_share": round(sum(not t.read_only for t in tasks) / total, 4) if total else 0.0,
        "writes_per_task": {str(k): writes[k] for k in sorted(writes)},
        "mean_writes": round(sum(k * v for k, v in writes.items()) / total, 3) if total else 0.0,
        "records_touched_mean": round(sum(records) / total, 3) if total else 0.0,
        "tables_written": len(tables),
        "multi_step": len(multi),
        "linked": linked,
        "coherence": round(linked / len(multi), 4) if multi else 1.0,
        "scenarios": mix.scenarios,
        "discovered_mean": mix.discovered_mean,
        "multi_with_discovery": mix.multi_with_discovery,
        "refusal_or_ask": mix.refusal_or_ask,
        "with_persona": mix.with_persona,
        "communicated_mean": mix.communicated_mean,
        "user_facts_mean": round(sum(len(t.user_facts) for t in tasks) / total, 3)
        if total
        else 0.0,
        "lookups_mean": round(sum(len(t.agent_lookups) for t in tasks) / total, 3)
        if total
        else 0.0,
        "intent_sources": dict(sorted(sources.items())),
        "attempts": attempts,
        "retries": retries,
        "errors": dict(sorted(counts["errors"].items())),
        "pointless": dict(sorted(counts["pointless"].items())),
        "drops": dict(sorted(counts["drops"].items())),
        "walk_ends": dict(sorted(counts["ends"].items())),
        "intents": dict(sorted(counts["intents"].items())),
        "per_domain": per_domain,
        "notes": notes,
    }
