"""Why a refused call is refused, in values the agent can see.

A call the world refuses fails with ``precondition_failed``, naming the broken rule and saying
why in a message filled with the values of the rows the call is about ("booking RGF472 is
cancelled; it must be confirmed"). For a rule-refusal task the agent must be able to tell the
user why without making the call: :func:`explain_refusal` finds the columns of those rows (the
call's key and the rows it refers to) whose values the message names, and where the chain's
outputs show them; when no output shows a value, it names the read (the row's ``get`` tool by
key) that would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentscaler.canonical import plain_text
from agentscaler.errors import ToolError
from agentscaler.records.world import ToolBinding
from agentscaler.tasks.grounding import output_fields
from agentscaler.tasks.steps import Step
from agentscaler.worlds.runtime.env import WorldEnv

MIN_VALUE_CHARS = 2
"""Shorter values (a 1, an "a") are not taken as named by a message."""


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
    reasons: tuple[Reason, ...] = ()
    inspect: tuple[str, dict[str, Any]] | None = None
    """A read to add before the refusal so an output shows the reasons (tool, arguments)."""


def _same(a: Any, b: Any) -> bool:
    return a is not None and b is not None and (a == b or str(a) == str(b))


def _named(message: str, value: Any) -> bool:
    """``value`` appears in ``message`` as a whole token."""
    if value is None or isinstance(value, (bool, dict, list)):
        return False
    text = plain_text(value)
    if len(text) < MIN_VALUE_CHARS:
        return False
    return re.search(rf"(?<![\w-]){re.escape(text)}(?![\w-])", message) is not None


def _rows(
    env: WorldEnv, binding: ToolBinding, arguments: dict[str, Any]
) -> list[tuple[str, str, Any, dict[str, Any]]]:
    """``(table, key column, key, row)`` of the rows the call is about (its key, its
    references)."""
    tables = env.world.schema.tables
    found = []
    for param in binding.params:
        table = binding.table if param.role == "key" else param.table
        value = arguments.get(param.name)
        if param.role not in ("key", "reference") or table is None:
            continue
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            continue
        try:
            row = env.db.get(table, value)
        except ToolError:
            continue
        found.append((table, tables[table].key, value, row))
    return found


def _shown(steps: Sequence[Step], column: str, value: Any, key: Any) -> tuple[int, str] | None:
    """``(step, path)`` of the latest output field ``column`` holding ``value`` (in the item
    whose key is ``key``, when the output is a list)."""
    for index in range(len(steps) - 1, -1, -1):
        fields = output_fields(steps[index].output)
        for field in fields:
            if field.name != column or not _same(field.value, value):
                continue
            if field.list_path is not None and field.size > 1:
                prefix = f"{field.list_path}[{field.index}]"
                if not any(f.path.startswith(prefix) and _same(f.value, key) for f in fields):
                    continue
            return index, field.path
    return None


def explain_refusal(
    env: WorldEnv,
    binding: ToolBinding,
    arguments: dict[str, Any],
    rule: str,
    message: str,
    steps: Sequence[Step],
) -> Refusal | None:
    """Why ``binding``'s call with ``arguments`` is refused by ``rule``, from the chain's
    outputs; None when the message names no value of the rows the call is about (a rule about
    the arguments alone)."""
    reasons = []
    for table, key_column, key, row in _rows(env, binding, arguments):
        for column, value in row.items():
            if column == key_column or not _named(message, value):
                continue
            where = _shown(steps, column, value, key)
            if where is None:
                getter = _getter(env, table)
                if getter is None:
                    return None
                return Refusal(rule, message, (), (getter[0], {getter[1]: key}))
            reasons.append(Reason(column, value, where[0], where[1]))
    if not reasons:
        return None
    return Refusal(rule, message, tuple(reasons))


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
