"""What the user knows versus what the agent must look up.

The user of a task knows the values they would have in real life: their own identifiers and
records (values the walk read from the state: customer id, order number, e-mail), the new
values they want (generated values: the new address, the reason for a cancellation), the
filters of what they are looking for, and for an item of a longer search result, something that
tells it apart from the others (its date, its title). Those are the task's ``user_facts``.

Values an earlier call returned and a later call used (internal ids found by a search) are
``agent_lookups``: the agent must find them with tools, and no intent may mention them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from agentscaler.canonical import canonical_json, plain_text
from agentscaler.naming import entity_of_parameter, singular, split_identifier, spoken
from agentscaler.records.task import UserFact
from agentscaler.tasks.steps import Step

LABEL_WORDS = (
    "name",
    "title",
    "subject",
    "label",
    "date",
    "time",
    "at",
    "city",
    "type",
    "category",
    "kind",
    "status",
    "total",
    "amount",
    "price",
    "email",
    "phone",
    "number",
)
"""Field-name words that make good labels of a list item, best first."""
MAX_LABEL_CHARS = 60


def words(name: str) -> str:
    """``order_date`` -> ``order date``."""
    return spoken(name)


NOT_LABELS = frozenset(
    {"url", "uri", "link", "href", "token", "hash", "checksum", "password", "secret", "signature"}
)
"""Head words of fields no customer tells a record by (``label_url``, ``session_token``)."""
ENDING_WORDS = frozenset(
    {"end", "ends", "ended", "ending", "until", "expires", "expiry", "expiration", "checkout"}
)
"""Words of a moment that closes a record: a customer tells a session by when it started."""


@lru_cache(maxsize=4096)
def _label_rank(field: str) -> float | None:
    """Lower is better; None when the field cannot label an item (ids, flags, links). The
    field's head word (its last) says what it holds: ``requested_date`` is a date and
    ``label_url`` a link, not a label."""
    if field == "id" or entity_of_parameter(field) is not None:
        return None
    parts = split_identifier(field)
    if not parts or parts[-1] in NOT_LABELS:
        return None
    later = 0.5 if ENDING_WORDS & set(parts) else 0.0
    heads = [w for w in LABEL_WORDS if w == parts[-1]]
    if heads:
        return LABEL_WORDS.index(heads[0]) + later
    for rank, word in enumerate(LABEL_WORDS):
        if word in parts:
            return len(LABEL_WORDS) + rank + later
    return 2 * len(LABEL_WORDS)


def _link(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://", "www."))


def item_label(items: Sequence[Any], index: int, exclude: set[str]) -> tuple[str, Any] | None:
    """A field of ``items[index]`` whose value no other item has, best label first."""
    item = items[index] if 0 <= index < len(items) else None
    if not isinstance(item, dict):
        return None
    candidates = []
    for field, value in item.items():
        if field in exclude or value is None or isinstance(value, (bool, dict, list)):
            continue
        if (isinstance(value, str) and not (0 < len(value) <= MAX_LABEL_CHARS)) or _link(value):
            continue
        rank = _label_rank(field)
        if rank is None:
            continue
        candidates.append((rank, field, value))
    candidates.sort(key=lambda c: (c[0], c[1]))
    for _, field, value in candidates:
        if not any(
            isinstance(other, dict) and _same_value(other.get(field), value)
            for i, other in enumerate(items)
            if i != index
        ):
            return field, value
    return None


def _same_value(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def scalars(value: Any) -> list[Any]:
    """Every scalar inside a JSON value (nulls left out)."""
    if isinstance(value, list):
        return [v for item in value for v in scalars(item)]
    if isinstance(value, dict):
        return [v for item in value.values() for v in scalars(item)]
    return [] if value is None else [value]


def _purpose(step: Step, param: str, kind: str) -> str:
    entity = words(step.table or "record").rstrip("s") if step.table else "record"
    if kind == "generated" and step.operation in ("create", "update", "transition"):
        return f"the {words(param)} you want"
    if entity_of_parameter(param) is not None:
        return f"your {words(param)}"
    if step.kind == "read":
        return f"what you are looking for ({entity})"
    return f"the {words(param)} of your {entity}"


def _fact_name(taken: dict[str, str], name: str, entity: str, value: Any) -> str | None:
    """A free fact name for ``value`` (None when the same fact is already known)."""
    key = canonical_json(value)
    candidates = [name]
    if entity and not name.startswith(entity):
        candidates.append(f"{entity}_{name}")
    candidates += [f"{name}_{n}" for n in range(2, 10)]
    for candidate in candidates:
        existing = taken.get(candidate)
        if existing == key:
            return None
        if existing is None:
            taken[candidate] = key
            return candidate
    return None


def facts_and_lookups(steps: Sequence[Step]) -> tuple[tuple[UserFact, ...], tuple[str, ...]]:
    """The user facts and the agent lookups of a chain."""
    facts: list[UserFact] = []
    taken: dict[str, str] = {}
    known: set[str] = set()
    for step in steps:
        parts = split_identifier(step.table or "")
        entity = "_".join((*parts[:-1], singular(parts[-1]))) if parts else ""
        for param, value in step.arguments.items():
            source = step.sources.get(param)
            if source is None or source.kind == "output":
                continue
            name = _fact_name(taken, param, entity, value)
            known.update(canonical_json(v) for v in [value, *scalars(value)])
            if name is not None:
                facts.append(
                    UserFact(name=name, value=value, description=_purpose(step, param, source.kind))
                )
        for pick in step.picks.values():
            if pick.label is None:
                continue
            field, value = pick.label
            pick_entity = "_".join(split_identifier(pick.entity))
            name = _fact_name(taken, field, pick_entity, value)
            known.add(canonical_json(value))
            if name is not None:
                facts.append(
                    UserFact(
                        name=name,
                        value=value,
                        description=f"tells which {pick.entity} you mean: its {words(field)}",
                    )
                )
    lookups: list[str] = []
    for step in steps:
        for param, value in step.arguments.items():
            source = step.sources.get(param)
            if source is None or source.kind != "output":
                continue
            for scalar in scalars(value):
                if canonical_json(scalar) in known:
                    continue
                text = plain_text(scalar)
                if text and text not in lookups:
                    lookups.append(text)
    return tuple(facts), tuple(lookups)
