"""`Verdict`: the filter's decision on one episode, with its reason."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from agentscaler.records.base import Record
from agentscaler.records.world import StateChange

FilterStage = Literal["validity", "state", "exact", "facts"]


class RejectReason(StrEnum):
    INFRASTRUCTURE = "infrastructure"
    ROLE_ORDER = "role_order"
    EMPTY_ASSISTANT = "empty_assistant"
    UNPARSEABLE_CALL = "unparseable_call"
    UNKNOWN_TOOL = "unknown_tool"
    MISSING_TOOL_RESULT = "missing_tool_result"
    NGRAM_REPETITION = "ngram_repetition"
    REPEATED_FAILING_CALL = "repeated_failing_call"
    STATE_MISMATCH = "state_mismatch"
    CALL_MISMATCH = "call_mismatch"
    INCOMPLETE = "incomplete"
    """The episode ended by a model failure (refused request, cut answer, empty user reply)."""
    MISSING_FACT = "missing_fact"
    """The replies never tell the user a value the task says they must be told."""
    POLICY_BREACH = "policy_breach"
    """The agent changed another person's records; the episode ended there."""


class Verdict(Record):
    SCHEMA_VERSION: ClassVar[int] = 4
    OLDER_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3)
    """Version 2 added the reason ``incomplete``; version 3 the ``facts`` stage (reason
    ``missing_fact``) and ``facts_said``/``missing_facts``; version 4 the reason
    ``policy_breach``."""

    schema_version: int = 4
    episode_id: str
    task_id: str
    domain_id: str
    kept: bool
    stage: FilterStage | None = None
    """The stage that rejected the episode (None when kept)."""
    reason: RejectReason | None = None
    detail: str = ""
    diff: tuple[StateChange, ...] = ()
    goal_reached: bool = False
    """The replayed final state equals the gold state (and, for read-only tasks, the calls match
    the gold), independent of the validity checks."""
    facts_said: bool = True
    """The agent's replies tell the user every value the task says they must be told (see
    :mod:`agentscaler.filter.facts`); evaluation counts success when this and ``goal_reached``
    both hold."""
    missing_facts: tuple[str, ...] = ()
    """Names of the communicated facts the replies never say."""
    error_recovered: bool = False
    """Kept although some tool call returned an error."""
    tool_errors: int = 0
