"""Consistency of a spec with itself and with the tools' interfaces, checked before code is made.

Every problem is a :class:`SpecError` naming the entity or tool and the field
(``tools.cancel_order.effects[0].values.status: entity order has no column status``).
"""

from __future__ import annotations

from typing import NoReturn

from agentscaler.errors import SpecError
from agentscaler.records import ToolSpec
from agentscaler.worlds.interface import read_params
from agentscaler.worlds.spec.expr import expression_text, is_expression, params_used, parse
from agentscaler.worlds.spec.model import SpecEntity, SpecTool, WorldSpec


def _no_column(where: str, name: str | None, entity: SpecEntity, column: str) -> NoReturn:
    raise SpecError(
        f"{where}: entity {name} has no column {column!r} "
        f"(columns: {_columns_text(entity.columns)})"
    )


def _columns_text(columns: object) -> str:
    return ", ".join(sorted(columns))  # type: ignore[arg-type]


def check_entities(spec: WorldSpec) -> None:
    if spec.user is not None and spec.user not in spec.entities:
        raise SpecError(
            f"user: no entity {spec.user!r} (entities: {_columns_text(spec.entities)}); name "
            "the entity of the people the agent serves, or remove the line"
        )
    tables: dict[str, str] = {}
    for name, entity in spec.entities.items():
        at = f"entities.{name}"
        if entity.table in tables:
            raise SpecError(
                f"{at}.table: {entity.table!r} is also the table of {tables[entity.table]}"
            )
        tables[entity.table] = name
        key = entity.columns[entity.key]
        if key.type not in ("TEXT", "INTEGER"):
            raise SpecError(f"{at}.columns.{entity.key}.type: a key is TEXT or INTEGER")
        for column_name, column in entity.columns.items():
            if column.references is not None and column.references not in spec.entities:
                raise SpecError(
                    f"{at}.columns.{column_name}.references: no entity {column.references!r} "
                    f"(entities: {_columns_text(spec.entities)})"
                )
            for other in column.only_when or {}:
                if other not in entity.columns:
                    raise SpecError(f"{at}.columns.{column_name}.only_when: no column {other!r}")
        if entity.parent is not None:
            if entity.parent.entity not in spec.entities:
                raise SpecError(f"{at}.parent.entity: no entity {entity.parent.entity!r}")
            if entity.parent.column not in entity.columns:
                raise SpecError(f"{at}.parent.column: no column {entity.parent.column!r}")
        if entity.owner is not None:
            owner = entity.columns.get(entity.owner)
            if owner is None:
                raise SpecError(f"{at}.owner: no column {entity.owner!r}")
            if owner.references is None:
                raise SpecError(
                    f"{at}.owner: column {entity.owner!r} refers to no entity; an owner column "
                    "holds the key of the person (or of a record of theirs) the rows belong to"
                )


def _bound(tool: SpecTool) -> dict[str, str]:
    bound = {name: lookup.entity for name, lookup in tool.find.items()}
    for effect in tool.effects:
        if effect.bind is not None and effect.insert is not None:
            bound[effect.bind] = effect.insert
    return bound


def check_tool(name: str, tool: SpecTool, spec: WorldSpec, interface: ToolSpec) -> None:
    at = f"tools.{name}"
    known_params = {p.name for p in read_params(interface.parameters)}
    for param_name, param in tool.params.items():
        if param_name not in known_params:
            raise SpecError(
                f"{at}.params.{param_name}: the tool has no parameter {param_name!r} "
                f"(parameters: {_columns_text(known_params) or 'none'})"
            )
        if param.entity is not None and param.entity not in spec.entities:
            raise SpecError(f"{at}.params.{param_name}.entity: no entity {param.entity!r}")
    entity = spec.entity(tool.entity)
    if tool.entity is not None and entity is None:
        raise SpecError(
            f"{at}.entity: no entity {tool.entity!r} (entities: {_columns_text(spec.entities)})"
        )
    if tool.kind not in ("compute",) and entity is None and not tool.fallback:
        raise SpecError(f"{at}.entity: a {tool.kind} tool acts on an entity; name one")
    if entity is not None:
        for param_name, param in tool.params.items():
            if (
                param.column is not None
                and param.role in ("field", "filter", "min", "max")
                and param.column not in entity.columns
                and tool.kind in ("search", "create", "update", "transition")
            ):
                _no_column(f"{at}.params.{param_name}.column", tool.entity, entity, param.column)
    for lookup_name, lookup in tool.find.items():
        target = spec.entity(lookup.entity)
        if target is None:
            raise SpecError(f"{at}.find.{lookup_name}.entity: no entity {lookup.entity!r}")
        for column in lookup.by:
            if column not in target.columns:
                _no_column(f"{at}.find.{lookup_name}.by.{column}", lookup.entity, target, column)
        if not lookup.by:
            raise SpecError(f"{at}.find.{lookup_name}.by: say which columns find the row")
    bound = _bound(tool)
    if tool.access == "write" and not tool.effects and tool.kind != "compute":
        raise SpecError(f"{at}.effects: a write tool changes something; list its effects")
    for index, effect in enumerate(tool.effects):
        where = f"{at}.effects[{index}]"
        if effect.on_entity:
            target_name = effect.target
        else:
            if effect.target not in bound:
                raise SpecError(
                    f"{where}.{effect.op}: no row named {effect.target!r} is looked up or "
                    f"inserted (rows: {_columns_text(bound) or 'none'})"
                )
            target_name = bound[effect.target]
        target = spec.entity(target_name)
        if target is None:
            raise SpecError(f"{where}.{effect.op}: no entity {target_name!r}")
        for column in effect.values:
            if column not in target.columns:
                _no_column(f"{where}.values.{column}", target_name, target, column)
        for column in effect.where:
            if column not in target.columns:
                _no_column(f"{where}.where.{column}", target_name, target, column)
        if effect.clear is not None and not effect.values:
            raise SpecError(f"{where}.values: say which rows to clear (column: value)")
        if effect.op in ("increment", "decrement") and not effect.values:
            raise SpecError(f"{where}.values: say which columns change and by how much")
    if (
        tool.returns is not None
        and tool.kind not in ("search", "compute")
        and tool.returns not in bound
    ):
        raise SpecError(
            f"{at}.returns: no row named {tool.returns!r} is looked up or inserted "
            f"(rows: {_columns_text(bound) or 'none'})"
        )
    for field, formula in tool.compute.items():
        where = f"{at}.compute.{field}"
        if not is_expression(formula):
            raise SpecError(f"{where}: a formula is an expression (=...), got {formula!r}")
        unknown = params_used(parse(expression_text(formula), where)) - known_params
        if unknown:
            raise SpecError(
                f"{where}: {formula!r} reads {', '.join(sorted(unknown))}, which the tool does "
                f"not take (parameters: {_columns_text(known_params) or 'none'})"
            )
    names = [rule.name for rule in tool.requires]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SpecError(f"{at}.requires: rule names repeat ({', '.join(duplicates)})")


def check_spec(spec: WorldSpec, interfaces: dict[str, ToolSpec]) -> None:
    """Raise :class:`SpecError` for the first inconsistency of ``spec`` (with its tools)."""
    check_entities(spec)
    missing = [n for n in interfaces if n not in spec.tools]
    if missing:
        raise SpecError(
            f"tools: {', '.join(sorted(missing))} of the domain {'has' if len(missing) == 1 else 'have'} "
            "no entry; add one, or rebuild with --force to infer the spec again"
        )
    extra = [n for n in spec.tools if n not in interfaces]
    if extra:
        raise SpecError(
            f"tools: {', '.join(sorted(extra))} {'is' if len(extra) == 1 else 'are'} not a tool "
            f"of this domain (tools: {_columns_text(interfaces)})"
        )
    for name, tool in spec.tools.items():
        check_tool(name, tool, spec, interfaces[name])
