"""Invariants of each entity's rows, inferred from column names and descriptions.

* a column that belongs to a state is null in every other state: ``cancellation_reason`` only
  while ``status`` is ``cancelled``; ``tracking_number`` ("once shipped") only from ``shipped``
  on (``only_when`` on the column);
* an end comes after its start (``end_date >= start_date``, ``arrival_time > departure_time``,
  ``check_out_date > check_in_date``);
* stocks, seats, places and balances that are consumed never go below zero.

The seeder makes rows that satisfy them and the semantic checks verify them after seeding and
after every write.
"""

from __future__ import annotations

import re

from agentscaler.worlds.infer.rules.context import row_name
from agentscaler.worlds.spec.model import SpecColumn, SpecEntity, SpecRule, SpecTool, WorldSpec

_NEGATIVE_STATES = frozenset(
    "cancelled canceled rejected declined failed void voided refused withdrawn lost".split()
)
_GATED_STATES = _NEGATIVE_STATES | frozenset("suspended refunded returned blocked frozen".split())
_PAIRS = (
    ("start", "end"),
    ("starts", "ends"),
    ("check_in", "check_out"),
    ("checkin", "checkout"),
    ("departure", "arrival"),
    ("pickup", "return"),
    ("pickup", "dropoff"),
    ("valid_from", "valid_until"),
    ("effective", "expiration"),
    ("effective", "expiry"),
    ("start", "due"),
    ("checkout", "due"),
)
_LEVEL = re.compile(
    r"(stock|available|_left$|remaining|spots|copies_available|miles|points|refills|capacity)"
)


def _prefixes(name: str) -> list[str]:
    return [w[:5] for w in re.split(r"[_\s]+", name.lower()) if len(w) >= 3]


def _state_column(entity: SpecEntity) -> tuple[str, SpecColumn] | None:
    for name, column in entity.columns.items():
        if column.kind == "status" and column.values:
            return name, column
    return None


def _only_when(
    name: str, column: SpecColumn, status: tuple[str, SpecColumn]
) -> tuple[str, ...] | None:
    status_name, status_column = status
    values = [str(v) for v in status_column.values or ()]
    description = (column.description or "").lower().replace("-", " ")
    for cue in re.finditer(
        r"\b(?:once|after|when|if)\s+(?:it\s+(?:is|was|has been)\s+)?(\w+(?:\s\w+)?)", description
    ):
        phrase = cue.group(1).replace(" ", "_")
        for value in values:
            if phrase == value or phrase.split("_")[0] == value:
                later = values[values.index(value) :]
                return tuple(v for v in later if v == value or v not in _NEGATIVE_STATES)
    if name == status_name or column.kind in ("identifier", "reference", "status"):
        return None
    decided = re.match(r"^([a-z]+)_(amount|payout|sum)$", name)
    if decided and decided.group(1) in values[1:] and decided.group(1) not in _GATED_STATES:
        # the approved amount of a claim: decided in that state, kept in the ones after it
        # that are not a refusal, null before it and in a rejection
        later = values[values.index(decided.group(1)) :]
        return tuple(v for v in later if v == decided.group(1) or v not in _NEGATIVE_STATES)
    if not re.search(r"(reason|notes?|explanation|cause)$", name):
        return None  # times and amounts of a state stay set when the row moves on
    words = _prefixes(name)
    for value in values:
        parts = _prefixes(value)
        if parts and all(p in words for p in parts) and value in _GATED_STATES:
            # the reason of a cancellation, rejection or suspension: set in that state (and
            # when the row is then closed or archived), null in every other
            return (value, *(v for v in values if v in ("closed", "archived")))
    return None


def _pairs(entity: SpecEntity) -> list[tuple[str, str, bool]]:
    """``(start column, end column, strictly after)`` pairs of date columns."""
    dates = {
        n: c
        for n, c in entity.columns.items()
        if c.kind in ("date", "datetime", "time")
        and not any(not str(v)[:1].isdigit() for v in c.values or ())  # "Tonight" has no order
    }
    found = []
    for first, second in _PAIRS:
        for name in dates:
            if first not in name:
                continue
            partner = name.replace(first, second, 1)
            if partner in dates and partner != name:
                strict = dates[name].kind == "datetime" or second in (
                    "arrival",
                    "check_out",
                    "checkout",
                )
                found.append((name, partner, strict))
    return found


def infer_invariants(entities: dict[str, SpecEntity]) -> dict[str, SpecEntity]:
    """The entities with ``only_when`` and ``invariants`` filled in (what they already say
    is kept)."""
    out = {}
    for name, entity in entities.items():
        status = _state_column(entity)
        columns = dict(entity.columns)
        if status is not None:
            for column_name, column in entity.columns.items():
                if column.only_when is not None or column_name == status[0]:
                    continue
                states = _only_when(column_name, column, status)
                if states and len(states) < len(status[1].values or ()):
                    columns[column_name] = column.model_copy(
                        update={"only_when": {status[0]: states}}
                    )
        row = row_name(name)
        invariants = list(entity.invariants)
        for start, end, strict in _pairs(entity):
            op = ">" if strict else ">="
            text = f"{row}.{end} is None or {row}.{start} is None or {row}.{end} {op} {row}.{start}"
            if text not in invariants:
                invariants.append(text)
        overdraft = any("overdraft" in c for c in entity.columns)
        for column_name, column in entity.columns.items():
            if column.type in ("INTEGER", "REAL") and _LEVEL.search(column_name):
                if "negative" in (column.description or "").lower():
                    continue
                if overdraft and "balance" in column_name:
                    continue  # an account with an overdraft goes below zero
                text = f"{row}.{column_name} is None or {row}.{column_name} >= 0"
                if text not in invariants:
                    invariants.append(text)
        out[name] = entity.model_copy(update={"columns": columns, "invariants": tuple(invariants)})
    return out


def _operand(value: object) -> str | None:
    """A spec value as an expression operand (None for a literal)."""
    if isinstance(value, str) and value.startswith("$"):
        return value
    if isinstance(value, str) and value.startswith("="):
        return f"({value[1:]})"
    return None


def guard_invariants(spec: WorldSpec) -> WorldSpec:
    """Rules that keep writes inside their entity's date invariants: a call that sets an end
    must set it after the start (the one it sets, or the row's own); for child rows inserted
    from a list argument, each element's end after its start."""
    tools = dict(spec.tools)
    for name, tool in spec.tools.items():
        added: list[SpecRule] = []
        for effect in tool.effects:
            if effect.op not in ("insert", "update"):
                continue
            if effect.each is not None and effect.insert is None:
                continue
            entity_name = (
                effect.insert
                if effect.insert is not None
                else (tool.find[effect.target].entity if effect.target in tool.find else None)
            )
            entity = spec.entities.get(entity_name or "")
            if entity is None:
                continue
            for start, end, strict in _pairs(entity):
                new_start = _operand(effect.values.get(start))
                new_end = _operand(effect.values.get(end))
                if new_end is None and new_start is None:
                    continue
                row = effect.target if effect.update is not None else None
                first = new_start or (f"{row}.{start}" if row else None)
                last = new_end or (f"{row}.{end}" if row else None)
                if first is None or last is None:
                    continue
                if effect.each is not None and (new_start is None or new_end is None):
                    continue
                op = ">" if strict else ">="
                guards = " and ".join(f"{x} is not None" for x in (first, last))
                rule = SpecRule(
                    name=f"{end}_after_{start}"[:60],
                    kind="date",
                    check=f"{last} {op} {first}",
                    when=guards,
                    error=f"{end.replace('_', ' ')} {{{last}}} must be after "
                    f"{start.replace('_', ' ')} {{{first}}}",
                    source=f"{entity_name}: {end} comes after {start}",
                    each=effect.each,
                )
                if not any(
                    r.check == rule.check or r.name == rule.name for r in (*tool.requires, *added)
                ):
                    added.append(rule)
        added.extend(
            rule
            for rule in _sufficient_guards(tool, spec)
            if not any(
                r.check == rule.check or r.name == rule.name for r in (*tool.requires, *added)
            )
        )
        if added:
            tools[name] = tool.model_copy(update={"requires": (*tool.requires, *added)})
    return spec.model_copy(update={"tools": tools})


def _sufficient_guards(tool: SpecTool, spec: WorldSpec) -> list[SpecRule]:
    """Rules that keep a decrement from taking a level its entity holds non-negative below
    zero: ``employee.vacation_days_remaining >= leave_request.days_requested``."""
    rules = []
    for effect in tool.effects:
        if effect.decrement is None or effect.each is not None or effect.target not in tool.find:
            continue
        entity = spec.entities.get(tool.find[effect.target].entity)
        if entity is None:
            continue
        for column, amount in effect.values.items():
            held = _non_negative(entity, column)
            operand = _operand(amount) or (
                repr(amount) if isinstance(amount, int | float) and amount > 0 else None
            )
            if not held or operand is None:
                continue
            level = f"{effect.target}.{column}"
            guards = [f"{level} is not None"]
            if effect.when:
                guards.insert(0, f"({effect.when})")
            rules.append(
                SpecRule(
                    name=f"enough_{column}"[:60],
                    kind="sufficient",
                    check=f"{level} >= {operand}",
                    when=" and ".join(guards),
                    error=f"{column.replace('_', ' ')} is {{{level}}}; {{{operand}}} is needed",
                    source=f"{tool.find[effect.target].entity}: {column} never goes below 0",
                )
            )
    return rules


def _non_negative(entity: SpecEntity, column: str) -> bool:
    """Whether one of the entity's invariants holds ``column`` at zero or above."""
    pattern = re.compile(rf"\b\w+\.{re.escape(column)} >= 0\b")
    return any(pattern.search(text) for text in entity.invariants)
