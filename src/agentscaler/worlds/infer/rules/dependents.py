"""Rules about the rows that depend on the acted-on row: "Scheduled transfers to the payee must
be cancelled first", "Vehicles with an active session cannot be removed", "Contacts on open
deals cannot be deleted", "Open refills must be cancelled first".

A sentence of the tool's own description that blocks the call (cannot, may not, must ... first)
and names rows of a table that refers to the acted-on row, with a state word next to them (a
value of their state column, or a word for a group of values: open, closed ...), becomes
``not exists("<dependent>", <reference>=<row>.<key>, <state>='<value>')`` for each state named.
"""

from __future__ import annotations

import re

from agentscaler.naming import plural
from agentscaler.records.world import Column, Table
from agentscaler.worlds.infer.rules.context import RuleContext
from agentscaler.worlds.infer.rules.lifecycle import group_values
from agentscaler.worlds.infer.rules.status import _source
from agentscaler.worlds.infer.rules.text import mentions, sentences, spoken, tokens, word_forms
from agentscaler.worlds.spec.model import SpecRule

_BLOCKS = re.compile(
    r"\b(cannot|can't|can not|may not|must not|is not possible)\b|\bmust be \w+( \w+)? first\b"
)
_OPERATIONS = frozenset({"delete", "transition", "update"})


def _dependents(ctx: RuleContext, table: Table) -> list[tuple[str, Table, Column]]:
    """``(entity, table, reference column)`` of the tables whose rows refer to ``table``."""
    found = []
    for entity, other in ctx.tables.items():
        if other.name == table.name:
            continue
        for column in other.columns:
            if column.references in (table.name, ctx.entity):
                found.append((entity, other, column))
                break
    return found


def _states_named(words: list[str], start: int, column: Column) -> list[str]:
    """The values of ``column`` a state word just before ``words[start]`` names ("scheduled
    transfers", "an active session", "open deals")."""
    values = [str(v) for v in column.enum or () if isinstance(v, str)]
    for value in values:
        for form in word_forms(spoken(value)):
            n = len(form)
            if start - n >= 0 and tuple(words[start - n : start]) == form:
                return [value]
    if start >= 1:
        return group_values(words[start - 1], values)
    return []


def dependent_rules(ctx: RuleContext) -> list[SpecRule]:
    """``not exists`` rules for dependent rows in a state that blocks the call."""
    if ctx.operation not in _OPERATIONS or ctx.main is None or ctx.entity is None:
        return []
    table = ctx.tables.get(ctx.entity)
    if table is None:
        return []
    rules: list[SpecRule] = []
    for sentence in sentences(ctx.description):
        if not _BLOCKS.search(sentence):
            continue
        words = tokens(sentence)
        for entity, other, reference in _dependents(ctx, table):
            nouns = {spoken(entity), spoken(other.name), spoken(entity).split()[-1]}
            for column in ctx.state_columns(entity):
                states: list[str] = []
                for noun in sorted(nouns, key=len, reverse=True):
                    for mention in mentions(words, noun):
                        states = _states_named(words, mention.start, column)
                        if states:
                            break
                    if states:
                        break
                if not states:
                    continue
                key = f"{ctx.main}.{table.primary_key}"
                check = " and ".join(
                    f'not exists("{entity}", {reference.name}={key}, {column.name}={v!r})'
                    for v in states
                )
                label = ctx.main.replace("_", " ")
                said = " or ".join(spoken(v) for v in states)
                rules.append(
                    SpecRule(
                        name=re.sub(r"[^a-z0-9_]+", "_", f"no_{'_or_'.join(states)}_{entity}")[
                            :60
                        ].rstrip("_"),
                        kind="status",
                        check=check,
                        error=f"{label} {{{key}}} still has {plural(spoken(entity))} that are "
                        f"{said}; they must be settled first",
                        source=_source(ctx.description, sentence),
                    )
                )
    return rules
