"""The verdict on one episode: validity, then state alignment, then exact match (read-only),
then the facts the replies must tell the user."""

from __future__ import annotations

from typing import Any

from agentscaler.filter.alignment import ReplayCache, check_alignment, describe_diff
from agentscaler.filter.calls import episode_calls
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.exact import match_gold
from agentscaler.filter.facts import describe_missing, missing_facts
from agentscaler.filter.validity import check_validity
from agentscaler.records import Episode, RejectReason, Task, Verdict
from agentscaler.worlds.runtime.loader import CompiledWorld
from agentscaler.worlds.runtime.state import Snapshot

_NOT_JUDGED = frozenset({RejectReason.INFRASTRUCTURE, RejectReason.INCOMPLETE})
"""Episodes whose goal is not judged: infrastructure failures (left out of evaluation) and
episodes a model failure left incomplete (failures, as in tau-bench)."""


def tool_schemas(world: CompiledWorld) -> dict[str, dict[str, Any]]:
    """Parameter schemas of a world's tools, by name."""
    return {t["function"]["name"]: t["function"].get("parameters", {}) for t in world.openai_tools}


def verify_episode(
    episode: Episode,
    task: Task,
    world: CompiledWorld,
    initial_state: Snapshot | bytes,
    config: FilterConfig,
    schemas: dict[str, dict[str, Any]] | None = None,
    cache: ReplayCache | None = None,
) -> Verdict:
    """Judge ``episode``. ``goal_reached`` is computed for every episode that ran to its end (no
    infrastructure failure, no model failure), so evaluation can count successes that training
    rejects."""
    schemas = tool_schemas(world) if schemas is None else schemas
    calls = episode_calls(episode.messages)
    tool_errors = sum(1 for c in calls if c.errored)
    base = {
        "episode_id": episode.id,
        "task_id": episode.task_id,
        "domain_id": episode.domain_id,
        "tool_errors": tool_errors,
    }
    problem = check_validity(episode, frozenset(schemas), config, calls)
    if problem is not None and problem.reason in _NOT_JUDGED:
        return Verdict(
            **base, kept=False, stage="validity", reason=problem.reason, detail=problem.detail
        )

    alignment = check_alignment(world, initial_state, task, calls, cache)
    exact_problem = match_gold(calls, task.gold_calls, schemas, config) if task.read_only else None
    goal = alignment.aligned and exact_problem is None
    missing = missing_facts(task, episode.messages)
    facts = {"facts_said": not missing, "missing_facts": tuple(f.name for f in missing)}

    if problem is not None:
        return Verdict(
            **base,
            kept=False,
            stage="validity",
            reason=problem.reason,
            detail=problem.detail,
            goal_reached=goal,
            diff=alignment.diff,
            **facts,
        )
    if not alignment.aligned:
        return Verdict(
            **base,
            kept=False,
            stage="state",
            reason=RejectReason.STATE_MISMATCH,
            detail=describe_diff(alignment.diff),
            diff=alignment.diff,
            **facts,
        )
    if exact_problem is not None:
        return Verdict(
            **base,
            kept=False,
            stage="exact",
            reason=RejectReason.CALL_MISMATCH,
            detail=exact_problem,
            **facts,
        )
    if missing and config.require_facts:
        return Verdict(
            **base,
            kept=False,
            stage="facts",
            reason=RejectReason.MISSING_FACT,
            detail=describe_missing(missing),
            goal_reached=True,
            **facts,
        )
    return Verdict(**base, kept=True, goal_reached=True, error_recovered=tool_errors > 0, **facts)
