"""Rules stated in tool descriptions, read by a grammar over sentences into spec rules.

Each finder reads the tool's description and its parameters' descriptions against the rows the
tool binds and their columns, and proposes rules (binding more rows when a rule is about a row
the tool reaches only through another: the flight of a booking). An LLM, when configured,
proposes further rules through the same spec checks; offline, this grammar is all there is.
"""

from __future__ import annotations

import re

from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.credentials import credential_rules, session_rules
from agentscaler.worlds.infer.rules.dates import date_rules
from agentscaler.worlds.infer.rules.day_parts import day_part_rules
from agentscaler.worlds.infer.rules.dependents import dependent_rules
from agentscaler.worlds.infer.rules.flags import flag_rules, kind_rules
from agentscaler.worlds.infer.rules.formats import format_rules
from agentscaler.worlds.infer.rules.payments import payment_effects, payment_rules
from agentscaler.worlds.infer.rules.quantity import (
    bound_rules,
    consumption_effects,
    quantity_rules,
    range_rules,
)
from agentscaler.worlds.infer.rules.records import exists_rules, ownership_rules, unique_rules
from agentscaler.worlds.infer.rules.requirements import requirement_rules
from agentscaler.worlds.infer.rules.status import status_rules
from agentscaler.worlds.spec.model import SpecRule

__all__ = ["RuleContext", "consumption_effects", "infer_rules", "payment_effects"]


def infer_rules(ctx: RuleContext) -> list[SpecRule]:
    """Every rule the tool's texts state, in a stable order (names unique per tool)."""
    found: list[SpecRule] = []
    guard = re.compile(r"\b([a-z_][a-z0-9_]*)\.")
    for finder in (
        status_rules,
        dependent_rules,
        quantity_rules,
        payment_rules,
        bound_rules,
        range_rules,
        date_rules,
        day_part_rules,
        unique_rules,
        ownership_rules,
        exists_rules,
        credential_rules,
        session_rules,
        flag_rules,
        kind_rules,
        requirement_rules,
        format_rules,
    ):
        for rule in finder(ctx):
            if any(r.check == rule.check for r in found):
                continue
            optional_rows = [
                row
                for row in dict.fromkeys(guard.findall(rule.check))
                if ctx.may_be_none(row) and f"{row} is not None" not in (rule.when or "")
            ]
            if optional_rows:
                guards = " and ".join(f"{row} is not None" for row in optional_rows)
                when = f"{guards} and ({rule.when})" if rule.when else guards
                rule = rule.model_copy(update={"when": when})
            name, n = rule.name, 2
            while any(r.name == name for r in found):
                name, n = f"{rule.name}_{n}", n + 1
            found.append(rule.model_copy(update={"name": name}) if name != rule.name else rule)
            ctx.rules.append(found[-1])
    return found
