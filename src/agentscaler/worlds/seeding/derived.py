"""Seeded values a create derives: a seeded row holds what the create that makes such rows
would have computed from the row's own columns and the rows it names.

A hotel's ``book_room`` inserts ``total_price = round(room.nightly_rate * days_between(
$check_in_date, $check_out_date), 2)`` and ``currency = room.currency``; a seeded reservation
gets the same: its price follows its nights and its room's rate, in the room's currency. Only
formulas the seeded row can answer are used: each ``$argument`` sets a column of the row, each
row the formula reads is found by a reference column of the row, and every function is a pure
one (no clock, no counting of other rows).
"""

from __future__ import annotations

import ast
import inspect
import logging
from dataclasses import dataclass
from typing import Any

from agentscaler.worlds.runtime.dbapi import Database
from agentscaler.worlds.spec.expr import (
    Scope,
    decode_param,
    eval_builtins,
    expression_text,
    is_expression,
    parse,
    value_to_python,
)
from agentscaler.worlds.spec.model import SpecTool, WorldSpec

logger = logging.getLogger(__name__)

_BUILTINS = eval_builtins()


@dataclass(frozen=True)
class Derived:
    """One column of a table that a create derives, and how to read its inputs off a row."""

    table: str
    entity: str
    column: str
    formula: str
    """The spec value (``=round(room.nightly_rate * days_between(...), 2) if ...``)."""
    code: Any
    """The compiled formula (arguments ``p_<i>`` in the order of ``arguments``, found rows by
    their names)."""
    arguments: tuple[tuple[str, str], ...]
    """``(argument, column of the row it sets)`` for each argument the formula reads."""
    found: tuple[tuple[str, str, str, str, str], ...]
    """``(name, entity, table, key column there, column of the row)`` for each row the formula
    reads."""
    where: str


def _pure(name: str) -> bool:
    if name in _BUILTINS:
        return True
    member = inspect.getattr_static(Database, name, None)
    return isinstance(member, staticmethod)


def _readable(tree: ast.AST) -> bool:
    """Whether every function the formula calls answers from its arguments alone."""
    return all(
        isinstance(node.func, ast.Name) and _pure(node.func.id)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    )


def _derived_of(spec: WorldSpec, name: str, tool: SpecTool) -> list[Derived]:
    entity = spec.entities.get(tool.entity or "")
    insert = next((e for e in tool.effects if e.insert == tool.entity), None)
    if entity is None or insert is None or insert.each:
        return []
    columns = {p: param.column for p, param in tool.params.items() if param.column}
    tables = {n: e.table for n, e in spec.entities.items()}
    found: dict[str, tuple[str, str, str, str]] = {}
    for row_name, lookup in tool.find.items():
        target = spec.entities.get(lookup.entity)
        by = list(lookup.by.items())
        if target is None or lookup.each or len(by) != 1:
            continue
        key, value = by[0]
        argument = value[1:] if isinstance(value, str) and value.startswith("$") else None
        own = columns.get(argument or "")
        if own is not None and own in entity.columns:
            found[row_name] = (lookup.entity, target.table, key, own)
    if not found:
        return []  # a formula that names no row the seeded row names reads nothing to derive
    gates = {o for c in entity.columns.values() for o in (c.only_when or {})}
    made = []
    for column, value in insert.values.items():
        spec_column = entity.columns.get(column)
        if (
            not is_expression(value)
            or spec_column is None
            or column == entity.key
            or column in gates  # a row's state stays what seeding made it
            or spec_column.references
            or spec_column.values
            or spec_column.transitions
        ):
            continue
        text = expression_text(value)
        if not any(row_name in text for row_name in found):
            continue  # it names no row looked up (the names of its tree are in its text)
        where = f"tools.{name}.effects.insert.{column}"
        try:
            tree = parse(text, where)
        except Exception:
            continue
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        called = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        bound = set()
        params = []
        ok = _readable(tree)
        for identifier in names - called:
            argument = decode_param(identifier)
            if argument is not None:
                own = columns.get(argument)
                if own is None or own not in entity.columns:
                    ok = False
                params.append((argument, own or ""))
            elif identifier in found:
                bound.add(identifier)
            else:
                ok = False  # a loop variable, a row the seeded row cannot name
        if not ok or not bound:
            continue
        order = [p for p, _ in params]
        scope = Scope(
            params={p: f"p_{i}" for i, p in enumerate(order)},
            rows={r: r for r in bound},
            tables=tables,
        )
        code = compile(value_to_python(value, scope, where), where, "eval")
        made.append(
            Derived(
                table=entity.table,
                entity=tool.entity or "",
                column=column,
                formula=str(value),
                code=code,
                arguments=tuple(params),
                found=tuple((r, *found[r]) for r in sorted(bound)),
                where=where,
            )
        )
    return made


def derived_columns(spec: WorldSpec) -> list[Derived]:
    """The columns the spec's creates derive from the created row and the rows it names (one
    per table and column: the first create in name order)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for name, tool in sorted(spec.tools.items()):
        if tool.kind != "create":
            continue
        for derived in _derived_of(spec, name, tool):
            if (derived.table, derived.column) not in seen:
                seen.add((derived.table, derived.column))
                out.append(derived)
    return out


def derive_columns(derived: list[Derived], rows: dict[str, list[dict[str, Any]]]) -> None:
    """Set each derived column of the seeded ``rows`` (in place) to its formula's value; a row
    whose inputs are missing, or whose column is empty because its state leaves it so, keeps
    what it has."""
    indexes: dict[tuple[str, str], dict[Any, dict[str, Any]]] = {}
    for item in derived:
        for _, _, table, key, _ in item.found:
            if (table, key) not in indexes:
                indexes[(table, key)] = {r.get(key): r for r in rows.get(table, ())}
        for row in rows.get(item.table, ()):
            if row.get(item.column) is None:
                continue
            namespace: dict[str, Any] = {"db": Database, "__builtins__": _BUILTINS}
            for name, _, table, key, own in item.found:
                namespace[name] = indexes[(table, key)].get(row.get(own))
            if any(namespace[name] is None for name, *_ in item.found):
                continue
            for i, (_, own) in enumerate(item.arguments):
                namespace[f"p_{i}"] = row.get(own)
            try:
                value = eval(item.code, namespace)
            except Exception as exc:
                logger.debug("%s: %s on %r", item.where, exc, row)
                continue
            if value is not None:
                row[item.column] = value
