"""Whose records a change touches: the policy rule "change only the identified user's records".

Every world's policy (``policy.md``) tells the agent to act only on the records of the person it
identified. Which records belong to whom is stated in the world's spec: an entity's ``owner`` is
the column naming the person its rows belong to (an order's ``customer_id``); a child row (an
order's item) belongs to its parent's owner; a row whose owner column names another record (a
parking session's ``vehicle_id``) belongs to that record's owner, up to a few steps; and a row of
a people table is its own person. An entity without an owner belongs to no one (a product, a
flight): changing it is never a breach of this rule. Editing ``owner`` in ``spec.yaml`` edits the
rule.

:class:`Ownership` answers, for the changes of one tool call and the person a task is about
(its persona), which changed rows belong to someone else; task synthesis keeps no task whose gold
calls do that, and the simulation and the RL environments end an episode whose agent does
(:attr:`~agentscaler.records.Termination.POLICY_BREACH`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.errors import ToolError
from agentscaler.records.task import Persona
from agentscaler.records.world import StateChange
from agentscaler.worlds.runtime.dbapi import Database

MAX_HOPS = 3
"""How many owner references are followed from a changed row to a person."""


@dataclass(frozen=True)
class _Link:
    """How a table's rows lead to their owner: through a column to another table."""

    column: str
    table: str
    parent: bool
    """The column holds the parent row's key (a child row)."""


@dataclass(frozen=True)
class ForeignChange:
    """A changed row that belongs to another person than the task's."""

    table: str
    key: Any
    op: str
    owner_table: str
    owner_key: Any

    def describe(self, persona: Persona) -> str:
        what = f"{self.op} of {self.table} {self.key}"
        if self.table == self.owner_table:
            return f"{what}, another {persona.entity} than the user ({persona.key})"
        return (
            f"{what}, which belongs to {self.owner_table} {self.owner_key}, not to the user "
            f"({persona.key})"
        )


class Ownership:
    """The owner links of one world's tables, from its spec."""

    def __init__(self, links: dict[str, _Link]) -> None:
        self._links = links

    @classmethod
    def of(cls, spec: Any | None) -> Ownership:
        """From a :class:`~agentscaler.worlds.spec.model.WorldSpec` (None: nothing is owned)."""
        links: dict[str, _Link] = {}
        if spec is None:
            return cls(links)
        tables = {name: entity.table for name, entity in spec.entities.items()}
        for entity in spec.entities.values():
            if entity.parent is not None and entity.parent.entity in tables:
                links[entity.table] = _Link(
                    entity.parent.column, tables[entity.parent.entity], parent=True
                )
                continue
            if entity.owner is None:
                continue
            column = entity.columns.get(entity.owner)
            target = tables.get(column.references) if column and column.references else None
            if target is not None and target != entity.table:
                links[entity.table] = _Link(entity.owner, target, parent=False)
        return cls(links)

    def __bool__(self) -> bool:
        return bool(self._links)

    def owners(self, db: Database, table: str, row: dict[str, Any] | None) -> list[tuple[str, Any]]:
        """``(table, key)`` of every record up the owner links of ``row`` (nearest first)."""
        found: list[tuple[str, Any]] = []
        for _ in range(MAX_HOPS):
            link = self._links.get(table)
            if link is None or row is None:
                break
            key = row.get(link.column)
            if key is None:
                break
            found.append((link.table, key))
            table = link.table
            try:
                row = dict(db.get(table, key))
            except ToolError:
                row = None
        return found

    def foreign(
        self, db: Database, changes: Iterable[StateChange], persona: Persona | None
    ) -> list[ForeignChange]:
        """The rows among ``changes`` that belong to another person than ``persona`` (one entry
        per row; none when the task has no persona)."""
        if persona is None:
            return []
        mine = canonical_json(persona.key)
        found: dict[tuple[str, str], ForeignChange] = {}
        for change in changes:
            where = (change.table, canonical_json(change.key))
            if where in found:
                continue
            if change.table == persona.table:
                if canonical_json(change.key) != mine:
                    found[where] = ForeignChange(
                        change.table, change.key, change.op, change.table, change.key
                    )
                continue
            rows = [_row(db, change)]
            link = self._links.get(change.table)
            if change.op == "update" and link is not None and change.column == link.column:
                # a record handed from one owner to another: both must be the user
                rows.append({**(rows[0] or {}), link.column: change.old})
            for row in rows:
                other = self._other_owner(db, change.table, row, persona.table, mine)
                if other is not None:
                    found[where] = ForeignChange(change.table, change.key, change.op, *other)
                    break
        return list(found.values())

    def _other_owner(
        self, db: Database, table: str, row: dict[str, Any] | None, people: str, mine: str
    ) -> tuple[str, Any] | None:
        for owner_table, owner_key in self.owners(db, table, row):
            if owner_table == people:
                return None if canonical_json(owner_key) == mine else (owner_table, owner_key)
        return None


def _row(db: Database, change: StateChange) -> dict[str, Any] | None:
    """The changed row: as deleted, or as it is now."""
    if change.op == "delete":
        return change.old if isinstance(change.old, dict) else None
    try:
        return dict(db.get(change.table, change.key))
    except ToolError:
        return change.new if isinstance(change.new, dict) else None


@dataclass(frozen=True)
class PolicyGuard:
    """The policy check of one episode: the tool calls of its agent must change only the
    records of the task's user."""

    ownership: Ownership
    persona: Persona | None

    def breach(self, db: Database, tool: str, changes: Iterable[StateChange]) -> str | None:
        """Why the call of ``tool`` that made ``changes`` breaks the policy (None: it does not)."""
        foreign = self.ownership.foreign(db, changes, self.persona)
        if not foreign or self.persona is None:
            return None
        return (
            f"policy breach: {tool} changed another person's records ("
            + "; ".join(f.describe(self.persona) for f in foreign[:3])
            + "); the agent may change only the records of the user it identified"
        )
