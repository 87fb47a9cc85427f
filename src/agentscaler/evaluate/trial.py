"""`Trial`: the outcome of one episode, the one form every reader produces and metrics consume."""

from __future__ import annotations

from typing import Literal

from agentscaler.records.base import Record
from agentscaler.records.episode import Message
from agentscaler.records.world import StateChange

SourceKind = Literal["run", "tau-bench"]


class Trial(Record):
    """One trial of one task, reduced to what the metrics need."""

    task_id: str
    trial: int
    episode_id: str
    domain_id: str
    domain: str
    """Readable domain name (the id when no name is known)."""
    success: bool
    """Goal reached: for our runs the gold state reached and every communicated fact said
    (``Verdict.goal_reached`` and ``Verdict.facts_said``); reward == 1 for tau-bench."""
    state_ok: bool | None = None
    """The gold final state was reached (None when the source does not tell apart)."""
    facts_ok: bool | None = None
    """The replies told the user every value the task says they must be told (None: unknown)."""
    infrastructure: bool = False
    """The episode failed for a reason outside the agent (timeouts, server errors, world bugs)."""
    termination: str | None = None
    n_gold_calls: int | None = None
    n_agent_calls: int = 0
    read_only: bool | None = None
    """True when every gold call reads; None when unknown."""
    tool_errors: int = 0
    tokens: int | None = None
    """Prompt + completion tokens of the episode; None when the source does not record them."""
    reward: float | None = None
    kept: bool | None = None
    """The filter's decision (None for sources without a filter)."""
    stage: str | None = None
    reason: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.task_id, self.trial)


class EpisodeView(Record):
    """A trial with what a person needs to read it: intent, messages, verdict, state diff."""

    trial: Trial
    intent: str = ""
    scenario: str = ""
    """The task's scenario kind (one_goal, multi_goal, rule_refusal ...), when known."""
    gold_calls: tuple[str, ...] = ()
    """Names of the gold calls, in order."""
    messages: tuple[Message, ...] = ()
    detail: str = ""
    """The filter's explanation of its verdict, or an infrastructure error text."""
    diff: tuple[StateChange, ...] = ()


class Source(Record):
    """What a report was computed from."""

    kind: SourceKind
    path: str
    name: str
