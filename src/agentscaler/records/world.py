"""`World`: a compiled, SQLite-backed environment for one domain (output of the compiler).

A world folder (``worlds/<domain>/``) holds ``world.json`` (this record), ``schema.sql``,
``tools.py`` (readable tool code), ``tools.json`` (OpenAI tool list) and ``seed.sqlite``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from agentscaler.records.base import JsonValue, Record

ColumnType = Literal["TEXT", "INTEGER", "REAL", "BOOLEAN", "JSON"]
Operation = Literal["get", "search", "create", "update", "transition", "delete", "compute"]
ToolKind = Literal["read", "write"]
ParamRole = Literal[
    "key",
    "reference",
    "field",
    "fields",
    "children",
    "filter",
    "min",
    "max",
    "text",
    "limit",
    "sort",
    "option",
]
"""What a tool parameter does in its table operation.

``key``: the primary key of the row the tool acts on. ``reference``: a foreign key (or a list of
them) checked to exist. ``field``: a column value written by create/update. ``fields``: an object
whose properties are column values (``updates={...}``). ``children``: a list of objects stored as
child rows (an order's items). ``filter``: equality filter of a search.
``min``/``max``: inclusive range bounds on a column. ``text``: substring search. ``limit``: the
maximum number of results. ``sort``: a column to order by. ``option``: accepted, no effect on data.
"""


class Column(Record):
    name: str
    type: ColumnType
    nullable: bool = True
    primary_key: bool = False
    references: str | None = None
    """Name of the referenced table when this column is a foreign key."""
    enum: tuple[JsonValue, ...] | None = None
    semantic: str | None = None
    """What the values mean (``email``, ``person_name``, ``date``, ``price``, ``status`` ...)."""
    description: str = ""
    value_schema: dict[str, Any] | None = None
    """JSON Schema of the values, taken from the tool schemas (format, pattern, bounds, items)."""
    default: JsonValue = None
    """Value a create gives the column when no argument sets it (e.g. the initial status)."""


class Table(Record):
    name: str
    entity: str = ""
    """Singular name of what a row is (``order``)."""
    primary_key: str
    id_prefix: str = ""
    """Prefix of generated ids (``ORD-``), empty for integer keys."""
    id_width: int = 0
    """Zero-padded width of the number after the prefix (``ORD-000123`` has 6)."""
    id_pattern: str | None = None
    """Regular expression ids must match, when the tools declare one that is not prefix+digits."""
    columns: tuple[Column, ...]
    indexes: tuple[str, ...] = ()
    """Columns with a secondary index (foreign keys and commonly filtered columns)."""
    parent: str | None = None
    """For a child table (order items): the parent's table."""
    parent_column: str | None = None
    """For a child table: its column holding the parent's key."""
    parent_field: str | None = None
    """For a child table: the parent's list field its rows make up (``items``)."""

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def key_column(self) -> Column:
        column = self.column(self.primary_key)
        assert column is not None
        return column


class Relation(Record):
    table: str
    column: str
    ref_table: str
    ref_column: str


class ParamBinding(Record):
    """How one parameter of a tool maps onto the database."""

    name: str
    """The parameter as the tool's JSON Schema names it."""
    role: ParamRole
    column: str | None = None
    """Column written, filtered or bounded (None for ``text``, ``limit`` and ``option``)."""
    table: str | None = None
    """For ``key`` and ``reference``: the table whose primary key the value is."""


class ToolBinding(Record):
    """How one tool of the domain acts on the database."""

    name: str
    tool_id: str
    kind: ToolKind
    operation: Operation
    table: str | None = None
    code_source: Literal["template", "llm", "user"] = "template"
    fallback: bool = False
    """True when no real table operation could be inferred and a generic form was emitted
    (a deterministic function of the arguments, or a log row of the call)."""
    params: tuple[ParamBinding, ...] = ()
    status_column: str | None = None
    """For transitions: the column holding the status."""
    from_status: tuple[str, ...] = ()
    """For transitions: statuses the row must be in (empty: any status but the target)."""
    to_status: str | None = None
    """For transitions: the status the row moves to."""
    rules: tuple[str, ...] = ()
    """Names of the rules the tool enforces (see the world's spec)."""
    writes: tuple[str, ...] = ()
    """Tables the tool's effects may change (nothing else may change)."""

    def param(self, name: str) -> ParamBinding | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def key_param(self) -> str | None:
        return next((p.name for p in self.params if p.role == "key"), None)


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
    seed: int = 0
    """Seed of ``seed.sqlite`` (the default initial state)."""
    rows_per_table: int = 0
    """Rows per table in ``seed.sqlite``."""
    compiler_version: str = ""
    left_out: tuple[str, ...] = ()
    """Ids of domain tools left out because another tool of the domain has the same name."""
    clock: str = ""
    """The world's fixed "now" (ISO 8601); tools read it through ``db.now()``/``db.today()``."""
    spec_hash: str = ""
    """Hash of the spec tools.py was generated from."""
    spec_source: Literal["inferred", "user"] = "inferred"
    """Whether that spec was inferred or edited by a user (an edited spec is never re-inferred
    over without ``--force``)."""

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
