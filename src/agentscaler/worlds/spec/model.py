"""The world spec as typed records: entities, columns, tools, lookups, rules and effects.

A spec says what a world *means*; ``spec.yaml`` is its readable, editable form. Values that are
computed are written as expressions (see :mod:`agentscaler.worlds.spec.expr`): a string that
starts with ``=`` is an expression (``=order.total``, ``=product.stock - item.quantity``) and
``$name`` is the tool argument ``name``; any other value is a literal (``status: cancelled``).
Conditions (``check``, ``when``) are always expressions.

The names a tool's expressions may use: its arguments (``$order_id``), the rows its lookups bind
(``order``, ``customer``), rows its effects bind (``bind: order``), loop variables of ``each``
(``item in $items``), and the functions of the expression language (``now()``, ``today()``,
``count(...)``, ``len(...)``, ``sum(...)`` ...).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from agentscaler.records.base import JsonValue, Record
from agentscaler.records.world import ColumnType, Operation, ParamRole

SemanticKind = Literal[
    "identifier",
    "reference",
    "status",
    "money",
    "currency",
    "quantity",
    "count",
    "percentage",
    "rating",
    "duration",
    "date",
    "datetime",
    "time",
    "year",
    "age",
    "email",
    "phone",
    "url",
    "person_name",
    "first_name",
    "last_name",
    "username",
    "company",
    "address",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "airport",
    "latitude",
    "longitude",
    "language",
    "title",
    "label",
    "text",
    "code",
    "category",
    "color",
    "job",
    "token",
    "uuid",
    "ip",
    "boolean",
    "flag",
]
"""What a column's values mean; seeding, argument sampling and checks read it."""

RuleKind = Literal[
    "status", "sufficient", "ownership", "unique", "limit", "date", "exists", "compare", "other"
]
"""What a rule guards (a label for reports and checks; the ``check`` expression decides)."""

EFFECT_OPS = ("insert", "update", "increment", "decrement", "delete", "clear", "update_all")
ENTITY_OPS = frozenset({"insert", "clear", "update_all"})
"""Operations that name an entity (the others name a row the tool binds)."""


class SpecColumn(Record):
    """One column of an entity's table."""

    type: ColumnType
    kind: SemanticKind | None = None
    description: str = ""
    values: tuple[JsonValue, ...] | None = None
    """The allowed values (an enum), when the column has a closed set."""
    references: str | None = None
    """The entity whose key this column holds (a foreign key)."""
    value_schema: dict[str, JsonValue] | None = None
    """JSON Schema of the values (format, pattern, bounds, items), from the tool schemas."""
    default: JsonValue = None
    """Value a created row gets when nothing sets the column (e.g. the initial status)."""
    transitions: dict[str, tuple[str, ...]] | None = None
    """For a status: the statuses each status may move to."""
    only_when: dict[str, tuple[JsonValue, ...]] | None = None
    """The column is set only while another column has one of these values, null otherwise
    (``cancellation_reason`` only when ``status`` is ``cancelled``)."""
    currency: str | None = None
    """For money: the column (of the same row) holding the amount's currency code."""
    index: bool = False
    """Looked up often (filters, foreign keys): give it an index."""


class SpecParent(Record):
    """The parent of a child entity (``order_item`` rows make up an order's ``items``)."""

    entity: str
    column: str
    """Column of the child table holding the parent's key."""
    field: str
    """The parent's list field that its child rows make up."""


class SpecIdFormat(Record):
    """How the keys of an entity look (``ORD-000123``: prefix ``ORD-``, width 6)."""

    prefix: str = ""
    width: int = 0
    pattern: str | None = None
    """A regular expression keys must match, when they are not prefix + digits."""
    values: tuple[JsonValue, ...] | None = None
    """The only keys allowed, when the tools list them."""


class SpecEntity(Record):
    """A kind of record of the world and its table."""

    table: str
    key: str
    """The primary key column (also listed in ``columns``)."""
    description: str = ""
    id: SpecIdFormat = SpecIdFormat()
    columns: dict[str, SpecColumn]
    parent: SpecParent | None = None
    owner: str | None = None
    """Column naming the person the rows belong to (``customer_id``), when there is one."""
    invariants: tuple[str, ...] = ()
    """Conditions every row satisfies (expressions over the row's columns, e.g. ``end >= start``)."""

    @model_validator(mode="after")
    def _key_is_a_column(self) -> SpecEntity:
        if self.key not in self.columns:
            raise ValueError(f"the key {self.key!r} must also be listed under columns")
        return self

    def column(self, name: str) -> SpecColumn | None:
        return self.columns.get(name)


class SpecParam(Record):
    """What one tool argument does."""

    role: ParamRole
    column: str | None = None
    """The column it sets, filters or bounds."""
    entity: str | None = None
    """For keys and references: the entity whose key it is."""
    spelling: dict[str, JsonValue] | Literal["json"] | None = None
    """The tool's own spelling of the column's values, each mapped to the column's
    (``Beginner: easy``): the tool takes and shows its spelling, the column holds its own;
    ``json``: the tool takes and shows the column's objects, lists or truth values as JSON
    text."""


class SpecLookup(Record):
    """A row a tool reads by column values and binds to a name (NotFound when absent)."""

    entity: str
    by: dict[str, JsonValue]
    """Column -> value (``$order_id``, ``=item.product_id``, or a literal)."""
    each: str | None = None
    """Look up once per element: ``item in $items``."""
    optional: bool = False
    """Bind None when the values to look up by are all absent (null) instead of failing; given
    values must still name an existing row. A lookup by one argument alone is optional when
    the argument is."""


class SpecRule(Record):
    """A precondition: when ``check`` is false the call fails with ``error`` and changes nothing."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: RuleKind = "other"
    check: str
    error: str
    """Message for the agent; ``{expression}`` parts are filled in (``{order.status}``)."""
    each: str | None = None
    when: str | None = None
    """The rule applies only when this holds (``$payment_method == 'miles'``)."""
    source: str = ""
    """Where the rule comes from: the sentence of a description, ``schema`` or ``convention``."""


class SpecEffect(Record):
    """One change a tool makes; exactly one of insert/update/increment/decrement/delete/clear/
    update_all.

    ``insert: order`` adds a row of that entity (``bind`` names it for later effects and the
    result); update/increment/decrement/delete name a bound row (``update: order``) and change
    it: ``values`` maps columns to values (for increment/decrement, the amounts; a literal
    ``null`` empties the column, while an argument that is not given leaves it); ``delete``
    removes the row (and its child rows). ``clear: order_item`` removes every row of that
    entity whose columns equal ``values`` (an order's items before new ones replace them).
    ``update_all: ticket_order`` sets ``values`` on every row of that entity whose columns equal
    ``where`` (cancelling an event refunds each of its ticket orders).
    """

    insert: str | None = None
    update: str | None = None
    increment: str | None = None
    decrement: str | None = None
    delete: str | None = None
    clear: str | None = None
    update_all: str | None = None
    values: dict[str, JsonValue] = {}
    where: dict[str, JsonValue] = {}
    """For ``update_all``: the column values the changed rows have."""
    each: str | None = None
    when: str | None = None
    bind: str | None = None
    source: str = ""

    @model_validator(mode="after")
    def _one_operation(self) -> SpecEffect:
        given = [op for op in EFFECT_OPS if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(
                "an effect names exactly one of insert, update, increment, decrement, delete "
                f"(found {', '.join(given) or 'none'})"
            )
        if self.bind is not None and self.insert is None:
            raise ValueError("bind names the row an insert creates; it needs insert")
        if (self.update_all is not None) != bool(self.where):
            raise ValueError("where says which rows update_all changes; it goes with update_all")
        return self

    @property
    def on_entity(self) -> bool:
        """The effect names an entity (insert, clear, update_all), not a bound row."""
        return self.op in ENTITY_OPS

    @property
    def op(self) -> str:
        return next(op for op in EFFECT_OPS if getattr(self, op) is not None)

    @property
    def target(self) -> str:
        """The inserted, cleared or updated entity, or the bound row the effect changes."""
        return str(getattr(self, self.op))


class SpecTool(Record):
    """What one tool does, in order: look rows up, check rules, apply effects, return a row."""

    kind: Operation
    entity: str | None = None
    access: Literal["read", "write"] = "read"
    params: dict[str, SpecParam] = {}
    find: dict[str, SpecLookup] = {}
    requires: tuple[SpecRule, ...] = ()
    effects: tuple[SpecEffect, ...] = ()
    returns: str | None = None
    """The bound row (or, for a search, the entity's rows) the result is shaped from."""
    compute: dict[str, str] = {}
    """For a compute tool: each field of its result and the formula that makes it from the
    arguments (``mean: =mean_of($numbers)``, ``result: =convert_units($value, $unit_in, $unit_out)``)."""
    fallback: bool = False
    """No table operation or formula was inferred: the tool has nothing to compute its result
    from."""
    note: str = ""
    """What inference could not decide, and why."""

    @model_validator(mode="after")
    def _reads_write_nothing(self) -> SpecTool:
        if self.access == "read" and self.effects:
            raise ValueError("a read tool has no effects; set access: write")
        if self.compute and self.kind != "compute":
            raise ValueError("compute formulas belong to a tool of kind compute")
        return self

    def loops(self) -> list[str]:
        """The ``each`` expressions of the lookups and rules, in order of first use."""
        groups: list[str] = []
        for each in [f.each for f in self.find.values()] + [r.each for r in self.requires]:
            if each is not None and each not in groups:
                groups.append(each)
        return groups

    def row_entity(self, row: str) -> str | None:
        """The entity of a row name this tool binds by a lookup or an insert."""
        if row in self.find:
            return self.find[row].entity
        return next((e.insert for e in self.effects if e.bind == row), None)


class WorldSpec(Record):
    """Everything a world means: its clock, its entities and what each tool does."""

    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    domain: str
    name: str
    clock: str
    """The world's fixed "now" (ISO 8601 with offset); ``now()`` and ``today()`` read it."""
    user: str | None = None
    """The entity of the people the agent serves (customers, patients): tasks are about one of
    them, and the policy's "act only on the user's records" follows the entities' ``owner``
    links to them."""
    entities: dict[str, SpecEntity]
    tools: dict[str, SpecTool]

    def entity(self, name: str | None) -> SpecEntity | None:
        return self.entities.get(name) if name else None

    def entity_of_table(self, table: str | None) -> str | None:
        return next((n for n, e in self.entities.items() if e.table == table), None)

    def children_of(self, entity: str) -> dict[str, str]:
        """``{field: child entity}`` of the entities whose parent is ``entity``."""
        return {
            e.parent.field: name
            for name, e in self.entities.items()
            if e.parent is not None and e.parent.entity == entity
        }
