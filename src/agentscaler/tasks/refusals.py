"""Why a refused call is refused, in values the agent can see.

A call the world refuses fails with ``precondition_failed`` naming a rule of the world's spec.
For a rule-refusal task, the agent must be able to tell the user why without making the call:
the rule's check reads columns of the rows the tool looks up (``booking.status``), and those
values must appear in what the agent has read (an earlier output). :func:`explain_refusal` finds
the values and where the chain's outputs show them; when no output shows a value, it names the
read (the row's ``get`` tool by key) that would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentscaler.errors import ToolError
from agentscaler.tasks.grounding import output_fields
from agentscaler.tasks.steps import Step
from agentscaler.worlds.runtime.env import WorldEnv

_REFERENCE = re.compile(r"(?<![\w.$])([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b")
"""``row.column`` in a rule's check (not ``$argument`` and not a method call's dots)."""


@dataclass(frozen=True)
class Reason:
    """A value that shows why a call is refused, and where the agent read it."""

    column: str
    value: Any
    step: int
    path: str


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str
    """The world's error message for the refused call."""
    source: str = ""
    """The rule's sentence (from the tool's description), when it has one."""
    reasons: tuple[Reason, ...] = ()
    inspect: tuple[str, dict[str, Any]] | None = None
    """A read to add before the refusal so an output shows the reasons (tool, arguments)."""


def _same(a: Any, b: Any) -> bool:
    return a is not None and b is not None and (a == b or str(a) == str(b))


def _bound_rows(
    spec: Any, env: WorldEnv, tool: str, arguments: dict[str, Any], check: str
) -> list[tuple[str, str, Any, dict[str, Any], str]]:
    """``(table, key column, key, row, column)`` of every ``row.column`` the check reads."""
    tool_spec = spec.tools.get(tool)
    found = []
    for bound, column in _REFERENCE.findall(check):
        lookup = tool_spec.find.get(bound) if tool_spec is not None else None
        if lookup is None or lookup.each is not None:
            continue
        entity = spec.entities.get(lookup.entity)
        if entity is None or column == entity.key:
            continue
        where = {}
        for key_column, value in lookup.by.items():
            if isinstance(value, str) and value.startswith("$"):
                if value[1:] not in arguments:
                    where = {}
                    break
                where[key_column] = arguments[value[1:]]
            elif isinstance(value, str) and value.startswith("="):
                where = {}
                break
            else:
                where[key_column] = value
        if not where:
            continue
        try:
            if set(where) == {entity.key}:
                row = env.db.get(entity.table, where[entity.key])
            else:
                rows = env.db.find(entity.table, where=where, limit=1)
                row = rows[0] if rows else None
        except ToolError:
            row = None
        if row is None or column not in row:
            continue
        found.append((entity.table, entity.key, row.get(entity.key), row, column))
    return found


def _shown(steps: Sequence[Step], column: str, value: Any, key: Any) -> tuple[int, str] | None:
    """``(step, path)`` of the latest output field ``column`` holding ``value`` (in the item
    whose key is ``key``, when the output is a list)."""
    for index in range(len(steps) - 1, -1, -1):
        for field in output_fields(steps[index].output):
            if field.name != column or not _same(field.value, value):
                continue
            if field.list_path is not None and field.size > 1:
                prefix = f"{field.list_path}[{field.index}]"
                item_has_key = any(
                    f.path.startswith(prefix) and _same(f.value, key)
                    for f in output_fields(steps[index].output)
                )
                if not item_has_key:
                    continue
            return index, field.path
    return None


def explain_refusal(
    spec: Any,
    env: WorldEnv,
    tool: str,
    arguments: dict[str, Any],
    rule: str,
    message: str,
    steps: Sequence[Step],
) -> Refusal | None:
    """Why ``tool`` refuses ``arguments`` by ``rule``, from the chain's outputs; None when the
    rule reads no row value (a rule about the arguments alone) or the world has no spec."""
    if spec is None or tool not in spec.tools:
        return None
    rule_spec = next((r for r in spec.tools[tool].requires if r.name == rule), None)
    if rule_spec is None:
        return None
    rows = _bound_rows(spec, env, tool, arguments, rule_spec.check)
    if not rows:
        return None
    source = rule_spec.source if rule_spec.source not in ("", "schema", "convention") else ""
    reasons = []
    for table, _key_column, key, row, column in rows:
        where = _shown(steps, column, row.get(column), key)
        if where is None:
            getter = _getter(env, table)
            if getter is None:
                return None
            return Refusal(rule, message, source, (), (getter[0], {getter[1]: key}))
        reasons.append(Reason(column, row.get(column), where[0], where[1]))
    return Refusal(rule, message, source, tuple(reasons))


def _getter(env: WorldEnv, table: str) -> tuple[str, str] | None:
    """``(tool, key parameter)`` of a read that returns one row of ``table`` by its key."""
    for binding in env.world.world.tools:
        if binding.kind != "read" or binding.operation != "get" or binding.table != table:
            continue
        entry = env.world.tools[binding.name]
        required = set(entry.parameters.get("required") or ())
        key = binding.key_param
        if key is not None and required <= {key}:
            return binding.name, key
    return None
