"""The reward of an environment episode: the filter's verdict on the conversation, times the
communicated-facts check, with partial components for shaping and diagnosis.

Semantics (the same for every adapter and server):

``reward = state x facts``, each 0.0 or 1.0:

* ``state`` is 1.0 exactly when the three-stage filter (:func:`agentscaler.filter.verify.
  verify_episode`, called here, never re-implemented) accepts the conversation's calls: it is
  well formed (parseable calls to known tools, no degenerate repetition, no failing call
  repeated), the calls replayed on a fresh copy of the initial state give the gold final state,
  and for a read-only task the successful calls equal the gold calls. Episodes that hit a tool
  error and still reach the goal score 1.0, as the filter keeps them. A verdict that rejects the
  conversation only because a fact was not told (a filter that checks facts itself, stage
  ``facts``) leaves ``state`` at 1.0: the facts component carries it.
* ``facts`` is 1.0 when the agent told the user every fact the task says it must communicate
  (the task's ``communicate`` records, each with a ``name`` and a ``value``); tasks that list
  none pass. When the verdict records the check (``facts_said``, ``missing_facts``), the reward
  takes it from there; otherwise a fact is told when its value, as the user would write it,
  appears in an assistant message's text (case-insensitively).

So the reward is 1.0 exactly when the filter keeps the conversation (with a filter that checks
facts) or keeps it and every fact was told (with one that does not).

Partial components go to ``info`` and never into the reward: ``state_diff_share`` (the share of
the gold's cell changes the final state holds; for a task that changes nothing, 1.0 when the
episode changed nothing either), ``extra_changes`` (changes the gold does not make),
``facts_share``, ``facts_missing``, ``tool_calls``, ``tool_errors``, ``goal_reached`` and the
filter's ``reason`` and ``detail``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentscaler.canonical import canonical_json
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.verify import verify_episode
from agentscaler.records import Episode, Message, StateChange, Task, Verdict
from agentscaler.simulate.policies.facts import value_text
from agentscaler.worlds.runtime.loader import CompiledWorld
from agentscaler.worlds.runtime.state import Snapshot

FACTS_FIELD = "communicate"
"""The task field listing the facts the agent must tell the user (records with a ``name`` and a
``value``, or bare values); a task without it has nothing to communicate."""
FACTS_STAGE = "facts"
"""The filter stage that rejects a conversation only for a fact it did not tell."""


class Reward(BaseModel):
    """The reward of one conversation and its components."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reward: float
    state: float
    """1.0 when the filter keeps the conversation (see the module docstring)."""
    facts: float
    """1.0 when every fact to communicate was told."""
    kept: bool
    goal_reached: bool
    reason: str | None = None
    """The filter's reject reason (None when kept)."""
    detail: str = ""
    state_diff_share: float
    extra_changes: int
    facts_share: float
    facts_missing: tuple[str, ...] = ()
    tool_calls: int
    tool_errors: int
    termination: str


def change_keys(changes: Iterable[StateChange]) -> frozenset[str]:
    """Changes compared by what they leave (table, row, column, new value), not by the old."""
    return frozenset(canonical_json([c.op, c.table, c.key, c.column, c.new]) for c in changes)


def facts_to_communicate(task: Task) -> tuple[Any, ...]:
    return tuple(getattr(task, FACTS_FIELD, None) or ())


def communicated(task: Task, messages: Sequence[Message]) -> tuple[float, tuple[str, ...]]:
    """``(share told, facts missing)``: a fact is told when its value (as the user would write
    it) appears in an assistant message's text, case-insensitively."""
    facts = facts_to_communicate(task)
    if not facts:
        return 1.0, ()
    said = "\n".join(m.content for m in messages if m.role == "assistant" and m.content).casefold()
    missing = []
    for fact in facts:
        value = getattr(fact, "value", fact)
        needle = value_text(value).casefold()
        if not needle or needle not in said:
            missing.append(str(getattr(fact, "name", None) or value_text(value)))
    return (len(facts) - len(missing)) / len(facts), tuple(missing)


def facts_check(
    task: Task, messages: Sequence[Message], verdict: Verdict
) -> tuple[bool, float, tuple[str, ...]]:
    """``(all told, share told, facts missing)``, from the verdict when the filter checked the
    facts, else from the agent's text."""
    said = getattr(verdict, "facts_said", None)
    if said is None:
        share, missing = communicated(task, messages)
        return not missing, share, missing
    missing = () if said else tuple(getattr(verdict, "missing_facts", None) or ())
    total = len(facts_to_communicate(task))
    share = (total - len(missing)) / total if total else 1.0
    return bool(said), share if said or missing else 0.0, missing


def diff_share(episode_changes: frozenset[str], gold_changes: frozenset[str]) -> tuple[float, int]:
    """``(share of the gold's changes made, changes the gold does not make)``."""
    extra = len(episode_changes - gold_changes)
    if not gold_changes:
        return (1.0 if not episode_changes else 0.0), extra
    return len(episode_changes & gold_changes) / len(gold_changes), extra


def score(
    episode: Episode,
    task: Task,
    world: CompiledWorld,
    initial_state: Snapshot | bytes,
    *,
    episode_changes: frozenset[str],
    gold_changes: frozenset[str],
    config: FilterConfig | None = None,
    schemas: dict[str, dict[str, Any]] | None = None,
) -> tuple[Reward, Verdict]:
    """The reward of ``episode`` and the filter's verdict it comes from."""
    verdict = verify_episode(episode, task, world, initial_state, config or FilterConfig(), schemas)
    told, share, missing = facts_check(task, episode.messages, verdict)
    state = 1.0 if verdict.kept or verdict.stage == FACTS_STAGE else 0.0
    facts = 1.0 if told else 0.0
    diff, extra = diff_share(episode_changes, gold_changes)
    reward = Reward(
        reward=state * facts,
        state=state,
        facts=facts,
        kept=verdict.kept,
        goal_reached=verdict.goal_reached,
        reason=verdict.reason.value if verdict.reason is not None else None,
        detail=verdict.detail,
        state_diff_share=round(diff, 6),
        extra_changes=extra,
        facts_share=round(share, 6),
        facts_missing=missing,
        tool_calls=episode.tool_calls,
        tool_errors=episode.tool_errors,
        termination=episode.termination.value,
    )
    return reward, verdict
