"""`Task`: a customer scenario in a world, with its gold calls, gold final state and what the
user knows, asks for and must be told.

A task is a scenario, not a bare tool chain: a person of the world (a customer with orders, a
passenger with bookings) wants one or more things done (``goals``), knows only what such a person
knows (``user_facts``: their name, email, booking reference, what they bought, what they want),
and the agent must identify them, inspect, decide under the world's policy, act and report. The
gold calls are what a good agent calls; the values it must find with tools are
``agent_lookups``; the values it must tell the user are ``communicate``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from agentscaler.records.base import JsonValue, Record
from agentscaler.records.world import StateChange, ToolKind

ScenarioKind = Literal["one_goal", "multi_goal", "rule_refusal", "missing_info", "change_of_mind"]
"""The shape of a conversation: one request; two or three requests in one conversation; a
request the world's rules forbid (gold: nothing changes, the refusal is explained); a request
missing a detail the agent must ask for; a request the user takes back for another one."""
SCENARIO_KINDS: tuple[ScenarioKind, ...] = (
    "one_goal",
    "multi_goal",
    "rule_refusal",
    "missing_info",
    "change_of_mind",
)
GoalKind = Literal["inquiry", "action", "refusal"]
FactRole = Literal["identity", "request", "detail"]


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
    role: FactRole = "request"
    """``identity``: who the user is (name, email, account number), given when the agent asks
    to identify them; ``request``: part of what they ask for, said with the request;
    ``detail``: part of the request the user leaves out until the agent asks for it."""


class Persona(Record):
    """The person of the world the user plays (a row of a table of people)."""

    entity: str
    """What the person is, in words (``customer``, ``passenger``)."""
    table: str
    key: JsonValue
    """Key of their row (the agent finds it; the user may not know it)."""
    name: str = ""
    """Their name as the user would give it (empty when the world records none)."""


class RequestedCall(Record):
    """A call the user asked for that the gold calls do not make."""

    name: str
    arguments: dict[str, JsonValue]
    rule: str | None = None
    """For a refusal: the name of the world's rule that forbids it."""
    error: str | None = None
    """For a refusal: the world's own message when the call is made anyway."""


class TaskGoal(Record):
    """One thing the user wants, in the order the conversation takes them."""

    kind: GoalKind
    """``inquiry``: information; ``action``: a change; ``refusal``: a change the rules forbid."""
    request: str
    """The request in the user's words, first person, without the opening or identification
    (``cancel my order from 2024-03-02``)."""
    calls: tuple[int, ...] = ()
    """The gold calls that serve this goal (identification and inspection included)."""
    refused: RequestedCall | None = None
    """For a refusal: the call the rules forbid (never made in the gold)."""
    withdrawn: RequestedCall | None = None
    """For a change of mind: what the user asked first and takes back when asked to confirm."""
    withdrawn_request: str = ""
    """The user's words for the withdrawn request."""


class CommunicatedFact(Record):
    """A value the agent must tell the user (a refund amount, a new departure time)."""

    name: str
    """What the value is, in words (``new status``, ``total``)."""
    value: JsonValue
    call: int
    """The gold call whose output holds it."""
    path: str
    """Where it is in that output (``status``, ``items[0].price``)."""
    goal: int = 0
    """The goal whose answer it is."""


class Task(Record):
    SCHEMA_VERSION: ClassVar[int] = 2
    OLDER_VERSIONS: ClassVar[tuple[int, ...]] = (1,)
    """Version 2 added the scenario, persona, goals, fact roles and communicated facts; a
    version-1 task reads as a one-goal scenario with nothing to communicate."""

    schema_version: int = 2
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
    """The scenario in the second person (what an LLM user is told it wants)."""
    intent_source: Literal["template", "llm"] = "template"
    scenario: ScenarioKind = "one_goal"
    persona: Persona | None = None
    goals: tuple[TaskGoal, ...] = ()
    communicate: tuple[CommunicatedFact, ...] = ()
    """What the agent's replies must tell the user; every value is in a gold call's output."""
