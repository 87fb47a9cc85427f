"""Timed entry: a call named for a part of the day is made in that part of the day.

"Manages the scanning of tickets and entry at art exhibitions, including time-based entry
management" with ``ticketDetails.entryTime`` ("Scheduled entry time for the ticket holder.",
one of Morning / Afternoon / Evening) -> ``lower($ticketDetails.entryTime) ==
day_part(now())``: a ticket for the morning admits its holder in the morning of the world's
clock, not in the evening. The value must be a part of the day (an enum of them, as an argument
or a property of an object argument), and the text must say the time is scheduled or that entry
is time-based.
"""

from __future__ import annotations

import re
from typing import Any

from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.status import _source
from agentscaler.worlds.infer.rules.text import sentences
from agentscaler.worlds.interface import snake
from agentscaler.worlds.spec.expr import param_ref
from agentscaler.worlds.spec.model import SpecRule

DAY_PARTS = frozenset({"morning", "afternoon", "evening", "night"})
_TIMED = re.compile(r"\b(time based|timed (entry|admission|access)|scheduled|time slots?)\b")


def _day_part_values(schema: Any) -> bool:
    enum = schema.get("enum") if isinstance(schema, dict) else None
    return (
        isinstance(enum, list)
        and len(enum) >= 2
        and all(isinstance(v, str) and v.lower() in DAY_PARTS for v in enum)
    )


def _slots(ctx: RuleContext) -> list[tuple[str, str, dict[str, Any], str | None]]:
    """``(expression, name, schema, guard)`` of each argument or object property holding a
    part of the day."""
    found = []
    for name, info in ctx.params.items():
        ref = param_ref(name)
        guard = None if info.required else f"{ref} is not None"
        if _day_part_values(info.schema):
            found.append((ref, info.name, info.schema, guard))
        for prop, sub in (info.schema.get("properties") or {}).items():
            if _day_part_values(sub) and prop.isidentifier():
                found.append((f"{ref}.{prop}", prop, sub, guard))
    return found


def day_part_rules(ctx: RuleContext) -> list[SpecRule]:
    """The world's clock must be in the part of the day the call is scheduled for."""
    if ctx.operation not in ("create", "update", "transition"):
        return []
    rules = []
    for expr, name, schema, guard in _slots(ctx):
        described = str(schema.get("description") or "")
        stated = next(
            (
                _source(text, s)
                for text in (ctx.description, described)
                for s in sentences(text)
                if _TIMED.search(s)
            ),
            None,
        )
        if stated is None:
            continue
        rules.append(
            SpecRule(
                name=f"{snake(name)}_is_now"[:60],
                kind="date",
                check=f"lower({expr}) == day_part(now())",
                error=f"{name} is {{{expr}}}, but it is {{day_part(now())}} now: entry is "
                "only in the scheduled part of the day",
                when=guard,
                source=stated,
            )
        )
    return rules
