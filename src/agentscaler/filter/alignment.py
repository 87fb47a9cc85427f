"""Stage 2 of the filter: replay the episode's calls on a fresh copy of the initial state and
compare the result with the gold final state. Recorded hashes are never trusted."""

from __future__ import annotations

from dataclasses import dataclass

from agentscaler.filter.calls import CallRecord
from agentscaler.records import StateChange, Task
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.runtime.loader import CompiledWorld
from agentscaler.worlds.runtime.state import Snapshot


@dataclass(frozen=True)
class Alignment:
    final_hash: str
    aligned: bool
    diff: tuple[StateChange, ...] = ()
    world_bugs: tuple[str, ...] = ()


def replay_calls(
    world: CompiledWorld, initial_state: Snapshot | bytes, calls: list[CallRecord]
) -> WorldEnv:
    """A new environment on ``initial_state`` after every call (errors replay as errors)."""
    env = world.make_env(state=initial_state)
    for call in calls:
        env.step({"name": call.name, "arguments": call.raw_arguments})
    return env


def replay_gold(world: CompiledWorld, initial_state: Snapshot | bytes, task: Task) -> WorldEnv:
    env = world.make_env(state=initial_state)
    for call in task.gold_calls:
        env.step({"name": call.name, "arguments": call.arguments})
    return env


ReplayCache = dict[tuple, Alignment]
"""Alignments already computed, by (initial state, gold state, call sequence): a world replays
deterministically (the conformance check verifies it), so the same calls on the same state need
one replay however many episodes make them."""


def check_alignment(
    world: CompiledWorld,
    initial_state: Snapshot | bytes,
    task: Task,
    calls: list[CallRecord],
    cache: ReplayCache | None = None,
) -> Alignment:
    """Replay ``calls`` and compare with ``task.gold_final_state``. On a mismatch the diff turns
    the gold final state into the episode's (``old`` is the gold value, ``new`` the episode's)."""
    if cache is not None:
        key = (
            task.initial_state,
            task.gold_final_state,
            tuple((c.name, c.raw_arguments) for c in calls),
        )
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = check_alignment(world, initial_state, task, calls)
        return hit
    env = replay_calls(world, initial_state, calls)
    try:
        final = env.state_hash()
        bugs = tuple(env.world_bugs)
        if final == task.gold_final_state:
            return Alignment(final_hash=final, aligned=True, world_bugs=bugs)
        gold = replay_gold(world, initial_state, task)
        try:
            diff = tuple(env.diff(gold))
        finally:
            gold.close()
        return Alignment(final_hash=final, aligned=False, diff=diff, world_bugs=bugs)
    finally:
        env.close()


def describe_diff(diff: tuple[StateChange, ...], limit: int = 3) -> str:
    if not diff:
        return "the final state hash differs from the gold (no cell-level difference found)"
    shown = "; ".join(str(c) for c in diff[:limit])
    more = f" (+{len(diff) - limit} more)" if len(diff) > limit else ""
    return f"final state differs from the gold in {len(diff)} place(s): {shown}{more}"
