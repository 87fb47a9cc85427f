"""`World`: a compiled, SQLite-backed environment for one domain (output of the compiler)."""

from __future__ import annotations

from typing import ClassVar, Literal

from agentscaler.records.base import JsonValue, Record

ColumnType = Literal["TEXT", "INTEGER", "REAL", "BOOLEAN", "JSON"]
Operation = Literal["get", "search", "create", "update", "transition", "delete", "compute"]
ToolKind = Literal["read", "write"]


class Column(Record):
    name: str
    type: ColumnType
    nullable: bool = True
    primary_key: bool = False
    references: str | None = None
    """Name of the referenced table when this column is a foreign key."""
    enum: tuple[str, ...] | None = None
    semantic: str | None = None
    """What the values mean (``email``, ``person_name``, ``date``, ``price``, ``status`` ...)."""
    description: str = ""


class Table(Record):
    name: str
    primary_key: str
    id_prefix: str = ""
    """Prefix of generated ids (``ORD-``), empty for integer keys."""
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


class Relation(Record):
    table: str
    column: str
    ref_table: str
    ref_column: str


class ToolBinding(Record):
    """How one tool of the domain acts on the database."""

    name: str
    tool_id: str
    kind: ToolKind
    operation: Operation
    table: str | None = None
    code_source: Literal["template", "llm", "user"] = "template"
    fallback: bool = False
    """True when no real table operation could be inferred and a generic form was emitted."""


class World(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    id: str
    domain_id: str
    name: str
    tables: tuple[Table, ...]
    relations: tuple[Relation, ...] = ()
    tools: tuple[ToolBinding, ...]
    code_hash: str
    """Hash of tools.py as compiled; a user edit changes it and is re-checked on load."""

    def binding(self, tool_name: str) -> ToolBinding | None:
        return next((t for t in self.tools if t.name == tool_name), None)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


class StateChange(Record):
    """One cell-level difference between two database states."""

    op: Literal["insert", "update", "delete"]
    table: str
    key: JsonValue
    column: str | None = None
    old: JsonValue = None
    new: JsonValue = None

    def __str__(self) -> str:
        if self.op == "update":
            return f"{self.table}[{self.key}].{self.column}: {self.old!r} -> {self.new!r}"
        return f"{self.op} {self.table}[{self.key}]"
