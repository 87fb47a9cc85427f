"""Who the user of a task is, and which ids such a person can know.

A world's *people* are the rows of tables that hold a person's name, email, phone or username
(customers, passengers, patients). Ids a person can have seen are the keys of people and of the
records that belong to people (their orders, bookings, tickets: a table with a column that refers
to a people table), never of child rows (an order's items) or of catalog rows (products, flights,
shipping rates), which a person names by what they are (a product's name, a flight's date). A
world without people is an anonymous service: the keys of its top-level records are what a user
holds (a reservation number), child rows stay internal.

:class:`People` answers both questions for one world; :func:`persona_of` finds the person a
finished chain is about and what they know about themselves (name, email, phone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentscaler.canonical import canonical_json
from agentscaler.errors import ToolError
from agentscaler.naming import split_identifier, spoken
from agentscaler.records.task import Persona, UserFact
from agentscaler.records.world import Table, World
from agentscaler.tasks.steps import Step
from agentscaler.worlds.infer.users import CONTACT_COLUMNS, NAME_KINDS
from agentscaler.worlds.runtime.dbapi import Database

PERSON_SEMANTICS = frozenset({*NAME_KINDS, "email", "phone"})
"""Column meanings of what identifies a person."""
IDENTITY_ORDER = ("person_name", "first_name", "last_name", "email", "phone")
"""What a person tells an agent to be identified, most usual first."""
NAME_QUALIFIERS = frozenset(
    {"full", "first", "last", "given", "family", "legal", "display", "preferred", "contact"}
)
"""Words before ``_name`` that say which name it is, not who the person is (``full_name``)."""
HELD_RECORDS = frozenset(
    {"account", "profile", "wallet", "card", "membership", "subscription", "policy", "plan"}
)
"""Records a person holds: their rows' people are the record's holders (an account holder)."""


def _words(name: str) -> str:
    return spoken(name)


@dataclass(frozen=True)
class People:
    """The people tables of a world and the tables whose keys a user may know."""

    person_tables: frozenset[str]
    visible: frozenset[str]
    """Tables whose keys a user may know (people, their records, or the top-level records of
    a world without people)."""
    keys: dict[str, str]
    """Primary key column of every table."""
    users: frozenset[str] = frozenset()
    """Tables a task's user comes from: the spec's user entity, or every people table when the
    spec names none."""

    @classmethod
    def of(cls, world: World, user_table: str | None = None) -> People:
        """The people of ``world``; with ``user_table`` (the table of the spec's user entity)
        tasks are about its rows only (a member, not a trainer)."""
        tables = {t.name: t for t in world.tables}
        persons = frozenset(t.name for t in world.tables if is_people(t))
        if persons:
            owned = {
                t.name
                for t in world.tables
                if t.parent is None
                and any(c.references in persons for c in t.columns if not c.primary_key)
            }
            visible = frozenset(persons | owned)
        else:
            visible = frozenset(t.name for t in world.tables if t.parent is None)
        users = frozenset({user_table}) if user_table in tables else persons
        return cls(persons, visible, {n: t.primary_key for n, t in tables.items()}, users)

    def internal(self, table: str | None) -> bool:
        """True when a user cannot know the keys of ``table``."""
        return table is not None and table in self.keys and table not in self.visible


def is_people(table: Table) -> bool:
    """A top-level table whose rows are people: it holds a person's name, or an email or phone
    column named just so."""
    if table.parent is not None:
        return False
    return any(
        c.semantic in NAME_KINDS or (c.semantic in ("email", "phone") and c.name in CONTACT_COLUMNS)
        for c in table.columns
    )


def _row_before(db: Database, table: str, key: Any, steps: Sequence[Step]) -> dict[str, Any] | None:
    """The row as it was before the chain's writes (current values with the changes undone)."""
    try:
        row = dict(db.get(table, key))
    except ToolError:
        row = None
    wanted = canonical_json(key)
    for step in reversed(steps):
        for change in reversed(step.changes):
            if change.table != table or canonical_json(change.key) != wanted:
                continue
            if change.op == "insert":
                return None  # the chain created it: not a person who came to the agent
            if change.op == "delete":
                row = row or {}
            elif change.column is not None and row is not None:
                row[change.column] = change.old
    return row


def _candidate_keys(people: People, steps: Sequence[Step]) -> list[tuple[str, Any]]:
    """``(people table, key)`` pairs named in the chain's arguments, then in its outputs."""
    by_key_column: dict[str, str] = {people.keys[t]: t for t in sorted(people.users)}
    found: list[tuple[str, Any]] = []

    def add(table: str, value: Any) -> None:
        usable = isinstance(value, (str, int)) and not isinstance(value, bool)
        if usable and (table, value) not in found:
            found.append((table, value))

    def scan(value: Any) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                table = by_key_column.get(str(name))
                if table is not None:
                    add(table, item)
                else:
                    scan(item)
        elif isinstance(value, list):
            for item in value[:5]:
                scan(item)

    for step in steps:
        scan(step.arguments)
    for step in steps:
        scan(step.output)
    return found


def persona_of(
    people: People, world: World, db: Database, steps: Sequence[Step]
) -> tuple[Persona | None, list[UserFact]]:
    """The person a chain is about and the identity facts they know (name, email, phone)."""
    if not people.users:
        return None, []
    tables = {t.name: t for t in world.tables}
    for table_name, key in _candidate_keys(people, steps):
        row = _row_before(db, table_name, key, steps)
        if row is None:
            continue
        table = tables[table_name]
        return _persona(table, key, row)
    return None, []


def role_of(table: Table, name_column: str | None) -> str:
    """What the person of a row of ``table`` is, in words: the table's entity for a table of
    people (``customer``), the role its name column states for a record that carries a person
    (``recipient_name`` of a shipment: ``recipient``), the holder of a held record (a parking
    account's ``full_name``: ``parking account holder``)."""
    entity = _words(table.entity or table.name)
    words = split_identifier(name_column or "")
    role = [w for w in words[:-1] if w not in NAME_QUALIFIERS] if words[-1:] == ("name",) else []
    if role and role[-1] in ("holder", "owner"):
        return entity if entity.endswith(role[-1]) else f"{entity} {role[-1]}"
    if role:
        return " ".join(role)
    if entity.split()[-1:] and entity.split()[-1] in HELD_RECORDS:
        return f"{entity} holder"
    return entity


def _persona(table: Table, key: Any, row: dict[str, Any]) -> tuple[Persona, list[UserFact]]:
    by_semantic: dict[str, tuple[str, Any]] = {}
    for column in table.columns:
        value = row.get(column.name)
        if column.semantic in PERSON_SEMANTICS and isinstance(value, str) and value.strip():
            by_semantic.setdefault(column.semantic, (column.name, value.strip()))
    name = ""
    if "person_name" in by_semantic:
        name = by_semantic["person_name"][1]
    elif "first_name" in by_semantic:
        name = " ".join(by_semantic[s][1] for s in ("first_name", "last_name") if s in by_semantic)
    facts = [
        UserFact(
            name=by_semantic[semantic][0],
            value=by_semantic[semantic][1],
            description=f"your {_words(by_semantic[semantic][0])}",
            role="identity",
        )
        for semantic in IDENTITY_ORDER
        if semantic in by_semantic
    ]
    name_column = next(
        (by_semantic[s][0] for s in ("person_name", "first_name") if s in by_semantic), None
    )
    entity = role_of(table, name_column)
    return Persona(entity=entity, table=table.name, key=key, name=name), facts
