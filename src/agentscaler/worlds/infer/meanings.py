"""A column whose tools name different things, split into one column per meaning.

Tools acting on one entity may each set or filter a column of the same name with values that no
other of them takes: three tools' ``alert_type`` naming a message's kind (``message`` /
``warning``), an application's metric (``error_rate``) and a machine's resource (``CPU``); a
``severity`` of ``5`` / ``10`` beside one of ``low`` / ``high``; a session's ``duration`` in
hours (1-8) beside one in minutes (30-180); an interval ``1min`` beside a number of seconds.
No spelling joins them (``worlds/spellings.py`` joins spellings of one meaning), so one column
holding them seeds values some of its tools refuse. The tools are grouped so that the schemas
of each group can be joined; the group most tools state keeps the column, and each other group
gets a column of its own, named by the words its tools' names add (``infra_alert_type``), so
each tool reads and writes values it takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from agentscaler.naming import singular
from agentscaler.worlds.infer.drafts import ColumnDraft, Entities
from agentscaler.worlds.infer.schema_merge import disagreements

_SET_OR_FILTER = ("field", "filter")
_WORDS_KEPT = 3
_LINKING = frozenset("a an and at by for from in into of on the to with".split())


class _Plan(Protocol):
    shape: Any
    decision: Any


def split_by_meaning(plans: Sequence[_Plan], entities: Entities, fixed: set[str]) -> None:
    """Split each column of ``entities`` whose tools' schemas cannot be joined into one column
    per group of tools that can, pointing each tool's parameter at its group's column (the
    tables of ``fixed`` entities are a user's data: kept as they are)."""
    for entity, draft in entities.drafts.items():
        if entity in fixed:
            continue
        acting = [p for p in plans if p.decision.entity == entity]
        ranged = {r.column for p in acting for r in p.decision.roles if r.role in ("min", "max")}
        for name in list(draft.columns):
            column = draft.columns[name]
            if (
                name in (draft.key, draft.status_column)
                or name in ranged
                or column.references is not None
                or len(column.stated) != len(column.schemas)  # not all added by tools
            ):
                continue
            groups = _groups(column)
            if len(groups) < 2:
                continue
            groups.sort(key=len, reverse=True)  # the most tools keep the column; ties: first
            for group in groups[1:]:
                new = _new_name(name, group, acting, entity, draft.columns)
                moved = _part(column, new, group, keep=False)
                draft.columns[new] = moved
                for plan in acting:
                    if plan.shape.name not in group:
                        continue
                    for role in plan.decision.roles:
                        if role.role in _SET_OR_FILTER and role.column == name:
                            role.column = new
                            moved.indexed |= role.role == "filter"
                column = _part(column, name, group, keep=True)
                draft.columns[name] = column


def _schemas(column: ColumnDraft, tools: Sequence[str]) -> list[dict[str, Any]]:
    return [schema for schema, _, tool in column.stated if tool in tools]


def _groups(column: ColumnDraft) -> list[list[str]]:
    """The column's tools in groups whose schemas join (each tool in the largest group it
    joins), or one group when all of them join."""
    tools = list(dict.fromkeys(tool for _, _, tool in column.stated if tool))
    if len(tools) < 2 or not disagreements(_schemas(column, tools)):
        return [tools]
    groups: list[list[str]] = []
    for tool in tools:
        mine = _schemas(column, [tool])
        joined = next(
            (
                g
                for g in sorted(groups, key=len, reverse=True)
                if not disagreements(_schemas(column, g) + mine)
            ),
            None,
        )
        if joined is None:
            groups.append([tool])
        else:
            joined.append(tool)
    return groups


def _part(column: ColumnDraft, name: str, group: list[str], *, keep: bool) -> ColumnDraft:
    """The column made again from what was stated outside ``group`` (``keep``) or by it."""
    part = ColumnDraft(name, references=column.references, indexed=column.indexed and keep)
    for schema, description, tool in column.stated:
        if (tool in group) != keep:
            part.add(schema, description, tool)
    return part


def _new_name(
    name: str, group: list[str], plans: Sequence[_Plan], entity: str, taken: dict[str, Any]
) -> str:
    """The column's name led by the words the group's tool names add to the entity, the verb
    and the column, after the verb where there are some (``create_infra_alert_config`` ->
    ``infra_alert_type``), else numbered."""
    common = {singular(w) for w in (*entity.split("_"), *name.split("_"))}
    words: list[str] | None = None
    for plan in plans:
        if plan.shape.name not in group:
            continue
        named = list(plan.shape.words)
        at = named.index(plan.shape.verb) if plan.shape.verb in named else -1
        after, before = named[at + 1 :], named[: max(at, 0)]
        own = [w for w in after if _adds(w, common)] or [w for w in before if _adds(w, common)]
        words = own if words is None else [w for w in words if w in own]
    lead = "_".join((words or [])[:_WORDS_KEPT])
    candidate = f"{lead}_{name}" if lead else f"{name}_2"
    number = 2
    while candidate in taken:
        number += 1
        candidate = f"{lead}_{name}_{number}" if lead else f"{name}_{number}"
    return candidate


def _adds(word: str, common: set[str]) -> bool:
    return word.isalpha() and word not in _LINKING and singular(word) not in common
