"""Child tables: a list of objects inside a record (an order's items, a return's items) becomes
rows of their own, keyed to their parent, instead of a JSON column.

Only elements that stand for things of their own become rows: an element naming someone or
something (``name``, ``email``: a session's participants), or one that links to something else:
a reference to a table of the world (``dish_id``), two identifiers (a lease's key and its
tenant), or an identifier with a quantity (a line item: ``product_id`` and ``quantity``). A list
of anonymous values (a light's settings, a chat's keyword rules, a quiz's game elements), and a
list of elements known by one identifier alone (a PLC's logic rules by ``ruleId``, a device's
operations by ``operation_id``, a visitor log by ``visitorID``), is one value of its record, set
and replaced whole.

``split_children`` turns every JSON column whose values are lists of objects into a child
table (``order_items`` with ``order_id``, ``product_id``, ``quantity``), the object fields'
identifiers into foreign keys, and says for each parent entity which field its children make
up. Tools then insert, replace and return those rows (see the tool builder).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentscaler.naming import entity_of_parameter, singular
from agentscaler.records.world import Column, Relation, Table
from agentscaler.worlds.infer.drafts import column_type_of
from agentscaler.worlds.infer.semantics import semantic_of
from agentscaler.worlds.infer.tables import plural_table
from agentscaler.worlds.interface import snake
from agentscaler.worlds.schemas import resolve_schema, schema_type


@dataclass(frozen=True)
class ChildList:
    """A parent's list field made of child rows."""

    parent: str
    """The parent entity."""
    field: str
    """The parent's field (the column it replaces): ``items``."""
    child: str
    """The child entity: ``order_item``."""
    parent_column: str
    """The child table's column holding the parent's key."""
    item_fields: tuple[str, ...]
    """The object fields, as the child's columns (snake case)."""
    properties: tuple[str, ...]
    """The object fields as the tools spell them."""


def _item_properties(schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    schema = resolve_schema(schema or {})
    if schema_type(schema) != "array":
        return {}
    items = resolve_schema(schema.get("items") if isinstance(schema.get("items"), dict) else {})
    props = items.get("properties")
    if schema_type(items) != "object" or not isinstance(props, dict) or not props:
        return {}
    return {k: resolve_schema(v) if isinstance(v, dict) else {} for k, v in props.items()}


_NAMING_FIELDS = frozenset("name full_name title".split())
_PERSON_KINDS = frozenset("email phone person_name first_name last_name username".split())


def has_identity(props: dict[str, dict[str, Any]], known: frozenset[str] = frozenset()) -> bool:
    """Whether list elements with these fields are things of their own (see the module);
    ``known``: the entities of the world, which a reference may name."""
    identifiers = []
    for prop, schema in props.items():
        field_name = snake(prop)
        if field_name in _NAMING_FIELDS or semantic_of(field_name, schema) in _PERSON_KINDS:
            return True
        entity = "id" if field_name == "id" else entity_of_parameter(prop)
        if entity is not None:
            if entity in known:
                return True
            identifiers.append(entity)
    if len(identifiers) >= 2:
        return True
    counted = any(semantic_of(snake(prop), schema) == "quantity" for prop, schema in props.items())
    return bool(identifiers) and counted


def _child_entity(parent: str, field: str, taken: set[str]) -> str:
    item = singular(field.split("_")[-1]) if "_" in field else singular(field)
    words = field.split("_")
    name = "_".join((*words[:-1], singular(words[-1])))
    if not name.startswith(parent.split("_")[-1]):
        name = f"{parent}_{item}" if len(words) == 1 else f"{parent}_{name}"
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def split_children(
    tables: list[Table], relations: list[Relation]
) -> tuple[list[Table], list[Relation], list[ChildList]]:
    """Tables with their lists of objects moved into child tables."""
    by_entity = {t.entity: t for t in tables}
    taken = set(by_entity)
    known = frozenset(by_entity)
    used_tables = {t.name for t in tables}
    out: list[Table] = []
    new_relations = list(relations)
    children: list[ChildList] = []
    for table in tables:
        kept: list[Column] = []
        for column in table.columns:
            props = _item_properties(column.value_schema) if column.type == "JSON" else {}
            if (
                not props
                or column.primary_key
                or table.parent is not None
                or not has_identity(props, known)
            ):
                kept.append(column)
                continue
            child = _child_entity(table.entity, column.name, taken)
            taken.add(child)
            name = plural_table(child)
            while name in used_tables:
                name += "_rows"
            used_tables.add(name)
            key = f"{child}_id"
            parent_key = table.key_column
            parent_column = table.primary_key if table.primary_key != key else f"{table.entity}_ref"
            child_columns = [
                Column(
                    name=key,
                    type="TEXT",
                    nullable=False,
                    primary_key=True,
                    semantic="id",
                    description=f"Identifier of the {child.replace('_', ' ')}.",
                ),
                Column(
                    name=parent_column,
                    type=parent_key.type,
                    references=table.name,
                    semantic="id",
                    description=f"The {table.entity.replace('_', ' ')} this row belongs to.",
                ),
            ]
            item_fields = []
            for prop, schema in props.items():
                field_name = snake(prop)
                if field_name in (key, parent_column):
                    continue
                item_fields.append(field_name)
                ref_entity = entity_of_parameter(prop)
                ref = by_entity.get(ref_entity) if ref_entity else None
                col_type = column_type_of(schema)
                if ref is not None:
                    col_type = ref.key_column.type
                    new_relations.append(
                        Relation(
                            table=name,
                            column=field_name,
                            ref_table=ref.name,
                            ref_column=ref.primary_key,
                        )
                    )
                enum = schema.get("enum")
                child_columns.append(
                    Column(
                        name=field_name,
                        type=col_type,
                        references=ref.name if ref is not None else None,
                        enum=tuple(enum) if isinstance(enum, list) and enum else None,
                        semantic="id"
                        if ref is not None
                        else semantic_of(field_name, schema, child),
                        description=str(schema.get("description", ""))[:300],
                        value_schema={
                            k: v
                            for k, v in schema.items()
                            if k not in ("description", "title", "examples", "default")
                        }
                        or None,
                    )
                )
            new_relations.append(
                Relation(
                    table=name,
                    column=parent_column,
                    ref_table=table.name,
                    ref_column=table.primary_key,
                )
            )
            out.append(
                Table(
                    name=name,
                    entity=child,
                    primary_key=key,
                    id_prefix=(child[:2] + child.split("_")[-1][:1]).upper() + "-",
                    id_width=6,
                    columns=tuple(child_columns),
                    indexes=(
                        parent_column,
                        *(
                            c.name
                            for c in child_columns
                            if c.references and c.name != parent_column
                        ),
                    ),
                    parent=table.name,
                    parent_column=parent_column,
                    parent_field=column.name,
                )
            )
            children.append(
                ChildList(
                    parent=table.entity,
                    field=column.name,
                    child=child,
                    parent_column=parent_column,
                    item_fields=tuple(item_fields),
                    properties=tuple(p for p in props if snake(p) in item_fields),
                )
            )
        out.append(table.model_copy(update={"columns": tuple(kept)}))
    # parents first, then their children (referenced tables come first when seeding)
    parents = [t for t in out if t.parent is None]
    kids = [t for t in out if t.parent is not None]
    return parents + kids, new_relations, children
