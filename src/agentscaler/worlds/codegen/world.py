"""The compiled world's record (tables, relations, tool bindings) from its spec.

The :class:`~agentscaler.records.world.World` record is what the rest of the pipeline reads of a
world (tables for states and hashes, bindings for task synthesis); it is a pure function of the
spec and the tools' interfaces.
"""

from __future__ import annotations

import ast

from agentscaler.records import ToolSpec
from agentscaler.records.world import Column, ParamBinding, Relation, Table, ToolBinding
from agentscaler.worlds.spec.expr import expression_text, is_expression, parse
from agentscaler.worlds.spec.model import SpecEntity, SpecRule, SpecTool, WorldSpec

_KIND_TO_SEMANTIC = {
    "identifier": "id",
    "reference": "id",
    "money": "price",
    "region": "state",
    "postal_code": "zip",
    "street": "address",
}


def semantic_of_kind(kind: str | None) -> str | None:
    """The column ``semantic`` tag (seeding's vocabulary) of a spec kind."""
    if kind is None:
        return None
    return _KIND_TO_SEMANTIC.get(kind, kind)


def build_tables(spec: WorldSpec) -> tuple[list[Table], list[Relation]]:
    """Tables and foreign-key relations of a spec's entities."""
    tables: list[Table] = []
    relations: list[Relation] = []
    for name, entity in spec.entities.items():
        columns = []
        indexes = []
        for column_name, column in entity.columns.items():
            is_key = column_name == entity.key
            ref = spec.entity(column.references)
            columns.append(
                Column(
                    name=column_name,
                    type=column.type,
                    nullable=not is_key,
                    primary_key=is_key,
                    references=ref.table if ref is not None else None,
                    enum=(entity.id.values if is_key else column.values) or None,
                    semantic="id" if is_key else semantic_of_kind(column.kind),
                    description=column.description,
                    value_schema=column.value_schema,
                    default=column.default,
                )
            )
            if ref is not None:
                relations.append(
                    Relation(
                        table=entity.table,
                        column=column_name,
                        ref_table=ref.table,
                        ref_column=ref.key,
                    )
                )
            if not is_key and column.type != "JSON" and (column.index or ref is not None):
                indexes.append(column_name)
        parent = spec.entity(entity.parent.entity) if entity.parent else None
        tables.append(
            Table(
                name=entity.table,
                entity=name,
                primary_key=entity.key,
                id_prefix=entity.id.prefix,
                id_width=entity.id.width,
                id_pattern=entity.id.pattern,
                columns=tuple(columns),
                indexes=tuple(indexes),
                parent=parent.table if parent is not None else None,
                parent_column=entity.parent.column if entity.parent else None,
                parent_field=entity.parent.field if entity.parent else None,
            )
        )
    return tables, relations


def status_values(rule: SpecRule, where: str = "") -> tuple[str, str, tuple[str, ...], bool] | None:
    """``(row, column, values, allowed)`` of a rule of the form ``row.column in (...)`` (allowed)
    or ``row.column not in (...)`` (forbidden); None for any other check."""
    tree = parse(rule.check, where or f"rule {rule.name}")
    node = tree.body
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return None
    left, op, right = node.left, node.ops[0], node.comparators[0]
    if not (
        isinstance(left, ast.Attribute)
        and isinstance(left.value, ast.Name)
        and isinstance(op, ast.In | ast.NotIn)
        and isinstance(right, ast.Tuple | ast.List)
        and all(isinstance(e, ast.Constant) for e in right.elts)
    ):
        return None
    values = tuple(str(e.value) for e in right.elts)  # type: ignore[attr-defined]
    return left.value.id, left.attr, values, isinstance(op, ast.In)


def written_tables(tool: SpecTool, spec: WorldSpec) -> tuple[str, ...]:
    """Tables a tool's effects may change (children of deleted rows included)."""
    tables: list[str] = []

    def add(entity_name: str | None) -> None:
        entity = spec.entity(entity_name)
        if entity is not None and entity.table not in tables:
            tables.append(entity.table)

    for effect in tool.effects:
        if effect.on_entity:
            add(effect.target)
            continue
        row = effect.target
        add(tool.row_entity(row))
        if effect.delete is not None:
            for child in spec.children_of(tool.row_entity(row) or "").values():
                add(child)
    return tuple(tables)


def _transition(
    name: str, tool: SpecTool, spec: WorldSpec
) -> tuple[str | None, tuple[str, ...], str | None]:
    """``(status column, allowed source statuses, target status)`` of a transition tool."""
    entity = spec.entity(tool.entity)
    if entity is None or tool.kind not in ("transition", "update", "delete"):
        return None, (), None
    main = next((n for n, f in tool.find.items() if f.entity == tool.entity), None)
    status_columns = {n for n, c in entity.columns.items() if c.kind == "status"}
    target = None
    column = None
    for effect in tool.effects:
        if effect.update == main and effect.each is None:
            for column_name, value in effect.values.items():
                if column_name in status_columns and not is_expression(value):
                    column, target = column_name, str(value)
    sources: tuple[str, ...] = ()
    for index, rule in enumerate(tool.requires):
        where = f"tools.{name}.requires[{index}].check"
        found = status_values(rule, where) if rule.each is None and rule.when is None else None
        if found is None or found[0] != main or found[1] not in status_columns:
            continue
        column = column or found[1]
        if found[1] != column:
            continue
        values = tuple(str(v) for v in entity.columns[column].values or ())
        sources = found[2] if found[3] else tuple(v for v in values if v not in found[2])
        sources = tuple(v for v in sources if v != target)
    return column, sources, target


def build_bindings(
    spec: WorldSpec, interfaces: dict[str, ToolSpec], code_sources: dict[str, str] | None = None
) -> list[ToolBinding]:
    """One binding per tool of the spec, in the spec's order."""
    bindings = []
    for name, tool in spec.tools.items():
        entity = spec.entity(tool.entity)
        params = []
        for param_name, param in tool.params.items():
            ref: SpecEntity | None = spec.entity(param.entity)
            params.append(
                ParamBinding(
                    name=param_name,
                    role=param.role,
                    column=param.column,
                    table=ref.table if ref is not None else None,
                )
            )
        status_column, from_status, to_status = _transition(name, tool, spec)
        bindings.append(
            ToolBinding(
                name=name,
                tool_id=interfaces[name].id,
                kind=tool.access,
                operation=tool.kind,
                table=entity.table if entity is not None else None,
                code_source=(code_sources or {}).get(name, "template"),  # type: ignore[arg-type]
                fallback=tool.fallback,
                params=tuple(params),
                status_column=status_column,
                from_status=from_status,
                to_status=to_status,
                rules=tuple(r.name for r in tool.requires),
                writes=written_tables(tool, spec),
            )
        )
    return bindings


def lookup_value_text(value: object) -> str | None:
    """The expression text of a lookup value (None for a literal)."""
    return expression_text(value) if is_expression(value) else None  # type: ignore[arg-type]
