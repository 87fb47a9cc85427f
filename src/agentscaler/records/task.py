"""`Task`: an executed tool chain with its gold calls, gold final state and user intent."""

from __future__ import annotations

from typing import ClassVar, Literal

from agentscaler.records.base import JsonValue, Record
from agentscaler.records.world import StateChange, ToolKind


class ArgumentSource(Record):
    """Where a gold argument's value came from.

    ``output``: an earlier gold call returned it (the agent must look it up); ``state``: read
    from a row of the initial or current state (the user's own ids and records); ``generated``:
    a new valid value (a new entity's id, an enum member, a date, an amount, an address);
    ``user_fact``: a value named by a user fact (``path`` is the fact's name); ``default``: the
    parameter's default.
    """

    kind: Literal["output", "state", "generated", "user_fact", "default"]
    step: int | None = None
    """Index of the earlier gold call whose output supplied the value (kind ``output``)."""
    path: str = ""
    """Field path inside that output (``orders[2].order_id``), ``table.column`` of the row it
    was read from, or for a generated value the ``table.column`` it was made for."""


class GoldCall(Record):
    name: str
    arguments: dict[str, JsonValue]
    kind: ToolKind
    output: JsonValue = None
    error: str | None = None
    sources: dict[str, ArgumentSource] = {}
    changes: tuple[StateChange, ...] = ()


class UserFact(Record):
    """Something the simulated user knows and may disclose (an id, a name, a value)."""

    name: str
    value: JsonValue
    description: str = ""


class Task(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    id: str
    domain_id: str
    world_id: str
    seed: int
    initial_state: str
    """Hash of the initial database; the file is ``states/<hash>.sqlite`` in the run folder."""
    gold_calls: tuple[GoldCall, ...]
    gold_final_state: str
    read_only: bool
    user_facts: tuple[UserFact, ...] = ()
    agent_lookups: tuple[str, ...] = ()
    """Values the agent must find with tools (the user does not know them)."""
    intent: str
    intent_source: Literal["template", "llm"] = "template"
