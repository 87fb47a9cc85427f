"""What a set of tasks looks like: counts, chain lengths, reads and writes, coherence, drops.

:func:`summarize` works from the Task records (so it can describe any ``tasks.jsonl``) plus,
when given, the per-domain counts of the run that made them (errors, retries, drops, intents).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.records.task import Task


def is_linked(task: Task) -> bool:
    """A multi-step task in which some earlier call's output feeds a later argument."""
    return any(
        source.kind == "output" for call in task.gold_calls[1:] for source in call.sources.values()
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
