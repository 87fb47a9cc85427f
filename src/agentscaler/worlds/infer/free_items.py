"""Items taken from a row's list of free ones: seats of a screening, slots of a day.

A tool whose list argument names items (``seats``) that a row it reaches keeps a list of as free
(``showtime.available_seats``), with text saying the items must be free or available, takes them
from that list:

* a create ("Book seats for a screening; every seat must be free") requires every item to be in
  the free list, removes them from it and lowers the row's count of free items
  (``seats_available``) by their number;
* an update of the acted-on row's own list ("Swap the seats of a confirmed booking for other
  free seats") requires every new item to be free or already the row's, gives the row's old
  items back and takes the new ones (before the row changes, so the old items are known).
"""

from __future__ import annotations

import re

from agentscaler.naming import singular
from agentscaler.worlds.infer.effects import bind_reachable, reachable
from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.text import sentences
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecEffect, SpecRule

_FREE_WORDS = ("free", "available", "open", "vacant")


def free_items(ctx: RuleContext) -> tuple[list[SpecRule], list[SpecEffect]]:
    """The rule and the effect of taking a list argument's items from a free list."""
    if ctx.operation not in ("create", "update") or ctx.entity is None:
        return [], []
    text = " ".join(s for _, t in ctx.texts() for s in sentences(t))
    for name, info in ctx.params.items():
        items = info.schema.get("items") if isinstance(info.schema, dict) else None
        if info.json_type != "array" or not isinstance(items, dict):
            continue
        if items.get("type") != "string":
            continue
        noun = singular(name.split("_")[-1])
        if not re.search(rf"\b({'|'.join(_FREE_WORDS)})\b[^.;]*\b{noun}s?\b", text) and not (
            re.search(rf"\b{noun}s?\b[^.;]*\b({'|'.join(_FREE_WORDS)})\b", text)
        ):
            continue
        found = _free_list(ctx, noun)
        if found is None:
            continue
        row, column, count, key = found
        arg = param_ref(name)
        free = f"coalesce({row}.{column}, [])"
        own = None
        if ctx.operation == "update":
            main = ctx.tables[ctx.entity]
            if ctx.main is None or not any(c.name == name for c in main.columns):
                continue
            own = f"coalesce({ctx.main}.{name}, [])"
        taken = f"[x for x in {arg} if x not in {free}" + (f" and x not in {own}]" if own else "]")
        rule = SpecRule(
            name=f"{noun}s_are_free",
            kind="other",
            check=f"len({taken}) == 0",
            error=f"{noun}s {{{taken}}} are not free on {row} {{{row}.{key}}}",
            source=f"every {noun} must be free",
        )
        left = f"[x for x in {free} if x not in {arg}]"
        values = {column: f"={left}" + (f" + [x for x in {own} if x not in {arg}]" if own else "")}
        if count is not None:
            given_back = f" + len({own})" if own else ""
            values[count] = f"={row}.{count}{given_back} - len({arg})"
        effect = SpecEffect(
            update=row, values=values, source=f"the {noun}s leave the free ones of the {row}"
        )
        return [rule], [effect]
    return [], []


def _free_list(ctx: RuleContext, noun: str) -> tuple[str, str, str | None, str] | None:
    """``(row, list column, count column, key column)`` of a reachable row keeping free
    ``noun`` items."""
    candidates = [
        (r, e)
        for r, e in reachable(ctx)
        if r != ctx.created and e != ctx.entity and (ctx.main or not r.startswith("<"))
    ]
    for row, entity in candidates:
        table = ctx.tables[entity]
        for column in table.columns:
            words = set(column.name.split("_"))
            schema = column.value_schema or {}
            if schema.get("type") != "array" or not words & set(_FREE_WORDS):
                continue
            if noun not in {singular(w) for w in words}:
                continue
            count = next(
                (
                    c.name
                    for c in table.columns
                    if c.type == "INTEGER"
                    and noun in {singular(w) for w in c.name.split("_")}
                    and set(c.name.split("_")) & set(_FREE_WORDS)
                ),
                None,
            )
            bound = bind_reachable(ctx, row, entity)
            if bound is None:
                continue
            return bound, column.name, count, table.primary_key
    return None
