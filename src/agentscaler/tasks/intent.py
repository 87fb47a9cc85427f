"""Second-person intents from executed chains, written from templates (seeded phrasings).

An intent says what the user wants, goal by goal ("You want to find the customer orders with
customer id CUS-104 and status shipped, then cancel the customer order whose order date is
2024-03-02 with cancellation reason changed_mind."), in words taken from the operation, the
record type and the parameters, never a tool's identifier. It mentions every value the user knows (the user facts) and refers to values
an earlier call returned by what they are ("that patient", "the doctor of that appointment",
"the order whose order date is ..."), so it never contains an agent lookup. :func:`leaks` checks
that (and checks LLM rewrites the same way).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from agentscaler.canonical import plain_text
from agentscaler.naming import (
    READ_VERBS,
    WRITE_VERBS,
    entity_of_parameter,
    plural,
    singular,
    split_identifier,
    spoken,
)
from agentscaler.records.world import ParamBinding, ToolBinding, World
from agentscaler.tasks.steps import Pick, Step

SPECIFIC_UPDATE_VERBS = frozenset(
    "transfer assign reassign move rename reschedule upgrade downgrade extend rebook swap".split()
)
"""Update verbs that say more than "change" (kept in the intent)."""
PREPOSITIONS = frozenset("to from in into on onto for with at by of".split())
_OPENINGS = ("You want to", "You would like to", "You need to")
_THEN = (", then ", ", and after that ", "; next, ")
_FINALLY = (", and finally ", ", and at the end ", "; last, ")


def _words(name: str) -> str:
    return spoken(name)


def _plural_phrase(phrase: str) -> str:
    """``patient prescription`` -> ``patient prescriptions`` (plural words stay as they are)."""
    parts = phrase.split()
    if not parts:
        return phrase
    last = parts[-1]
    if singular(last) == last:
        last = plural(last)
    return " ".join([*parts[:-1], last])


def _show(value: Any) -> str:
    """A value as written in an intent: short strings bare, text quoted, booleans yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and (" " in value or not value):
        return f'"{value}"'
    return plain_text(value)


def _join(phrases: Sequence[str]) -> str:
    phrases = [p for p in phrases if p]
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _same_entity(a: str, b: str) -> bool:
    return a.replace("_", " ") == b.replace("_", " ")


class IntentWriter:
    """Writes the template intent of a chain in one world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.bindings = {b.name: b for b in world.tools}
        self._entities = {t.name: _words(t.entity or t.name) for t in world.tables}

    # --- words of the world -----------------------------------------------------------------
    def entity(self, table: str | None) -> str:
        """What a row of ``table`` is, in words (``customer order``)."""
        return self._entities.get(table or "", "record")

    def _name_parts(self, binding: ToolBinding) -> tuple[str | None, str]:
        """``(verb, object words)`` of a tool name: ``cancel_order`` -> ("cancel", "order")."""
        parts = split_identifier(binding.name)
        if parts and parts[0] in READ_VERBS | WRITE_VERBS:
            rest = " ".join(parts[1:])
            return parts[0], rest or self.entity(binding.table)
        return None, " ".join(parts) or self.entity(binding.table)

    # --- references to earlier outputs ------------------------------------------------------
    def _ref_fed(
        self, param: str, target_entity: str | None, step_index: int, steps: Sequence[Step]
    ) -> str:
        """How the intent names a value an earlier call returned ("the doctor of that visit")."""
        wanted, holder, item = self._fed_parts(param, target_entity, step_index, steps)
        return item if _same_entity(wanted, holder) else f"the {wanted} of {item}"

    def _fed_parts(
        self, param: str, target_entity: str | None, step_index: int, steps: Sequence[Step]
    ) -> tuple[str, str, str]:
        """``(what the value is, what holds it, the phrase naming the holder)``."""
        step = steps[step_index]
        pick: Pick | None = step.picks.get(param)
        source = steps[step.sources[param].step or 0]
        wanted = target_entity or _words(entity_of_parameter(param) or param)
        if pick is not None:
            holder = pick.entity
            if pick.label is not None:
                field, value = pick.label
                item = f"the {holder} whose {_words(field)} is {_show(value)}"
            elif pick.shared:
                item = f"those {_plural_phrase(holder)}"
            else:
                item = f"that {holder}"
        else:
            holder = self.entity(source.table)
            item = f"the new {holder}" if source.operation == "create" else f"that {holder}"
        return wanted, holder, item

    def _ref_key(self, binding: ToolBinding, step_index: int, steps: Sequence[Step]) -> str | None:
        step = steps[step_index]
        key = binding.key_param
        if key is None or key not in step.arguments:
            return None
        entity = self.entity(binding.table)
        source = step.sources.get(key)
        if source is not None and source.kind == "output":
            return self._ref_fed(key, entity, step_index, steps)
        value = step.arguments[key]
        if entity_of_parameter(key) is not None:
            return f"{entity} {_show(value)}"
        return f"the {entity} with {_words(key)} {_show(value)}"

    # --- argument phrases -------------------------------------------------------------------
    def _known(self, role: ParamBinding | None, name: str, value: Any) -> str:
        kind = role.role if role else "option"
        column = _words(role.column) if role is not None and role.column else _words(name)
        if kind == "min":
            return f"{column} from {_show(value)}"
        if kind == "max":
            return f"{column} up to {_show(value)}"
        if kind == "text":
            return f'matching "{plain_text(value)}"'
        if kind == "limit":
            return f"at most {_show(value)} results"
        if kind == "sort":
            return f"sorted by {_show(value)}"
        if kind == "fields" and isinstance(value, dict):
            return _join([f"{_words(k)} {_show(v)}" for k, v in value.items()])
        return f"{_words(name)} {_show(value)}"

    def _arguments(
        self, binding: ToolBinding, step_index: int, steps: Sequence[Step], *, skip: str | None
    ) -> tuple[list[str], list[str], list[str]]:
        """``(records from earlier outputs, values, new field values)`` of a call's arguments."""
        step = steps[step_index]
        fed: list[str] = []
        known: list[str] = []
        setting: list[str] = []
        related: dict[str, list[tuple[str, bool]]] = {}
        for name, value in step.arguments.items():
            if name == skip:
                continue
            role = binding.param(name)
            source = step.sources.get(name)
            if source is not None and source.kind == "output":
                target = self.entity(role.table) if role is not None and role.table else None
                wanted, holder, item = self._fed_parts(name, target, step_index, steps)
                if binding.operation == "update" and role is not None and role.role == "reference":
                    ref = item if _same_entity(wanted, holder) else f"the {wanted} of {item}"
                    setting.append(f"the {wanted} to {ref}")
                elif _same_entity(wanted, holder):
                    if item not in fed:
                        fed.append(item)
                else:
                    is_entity = target is not None or entity_of_parameter(name) is not None
                    related.setdefault(item, []).append((wanted, is_entity))
            elif (
                binding.operation == "update"
                and role is not None
                and role.role in ("field", "fields", "reference")
            ):
                if role.role == "fields" and isinstance(value, dict):
                    setting.extend(f"{_words(k)} to {_show(v)}" for k, v in value.items())
                else:
                    setting.append(f"{_words(name)} to {_show(value)}")
            else:
                known.append(self._known(role, name, value))
        attributes = []
        for item, things in related.items():
            entities = [t for t, is_entity in things if is_entity]
            values = [t for t, is_entity in things if not is_entity]
            fed.extend(f"the {thing} of {item}" for thing in entities)
            if len(values) == 1:
                attributes.append(f"the {values[0]} of {item}")
            elif values:
                attributes.append(f"the same {_join(values)} as {item}")
        return fed, attributes + known, setting

    # --- clauses ----------------------------------------------------------------------------
    def clause(self, step_index: int, steps: Sequence[Step], rng: random.Random) -> str:
        """What the user wants from one call, without the opening words."""
        step = steps[step_index]
        binding = self.bindings.get(step.name)
        if binding is None:
            return f"do {_words(step.name)}"
        verb, obj = self._name_parts(binding)
        entity = self.entity(binding.table)
        ref = self._ref_key(binding, step_index, steps)
        fed, known, setting = self._arguments(
            binding, step_index, steps, skip=binding.key_param if ref else None
        )
        op = binding.operation
        if op == "get" and ref is not None:
            extra = " ".join(w for w in obj.split() if w not in entity.split())
            if extra:
                base = rng.choice((f"find out the {extra} of {ref}", f"check the {extra} of {ref}"))
            else:
                base = rng.choice(
                    (f"look up {ref}", f"check the details of {ref}", f"find out about {ref}")
                )
        elif op in ("get", "search") and step.kind == "read":
            things = _plural_phrase(obj.split(" by ")[0] if obj else entity)
            base = rng.choice(
                (f"find the {things}", f"see a list of the {things}", f"look for {things}")
            )
            if op == "get":
                base = rng.choice((f"look up the {obj}", f"find out the {obj}"))
        elif op == "create":
            if obj.split()[0] in PREPOSITIONS:  # add_to_watchlist: add a new item to watchlist
                base = f"{verb or 'create'} a new {entity} {obj}"
            else:
                base = f"{verb or 'create'} a new {obj}"
        elif op == "update":
            target = ref or f"the {entity}"
            if verb in SPECIFIC_UPDATE_VERBS:
                base = f"{verb} {target}"
            else:
                base = rng.choice((f"change {target}", f"update {target}"))
        elif op == "transition":
            base = f"{verb or 'update'} {ref or 'the ' + entity}"
        elif op == "delete":
            base = rng.choice(
                (f"delete {ref or 'the ' + entity}", f"remove {ref or 'the ' + entity}")
            )
        else:
            base = f"{verb or 'work out'} the {obj}"
        text = base
        if fed:
            text += " for " + _join(fed)
        if setting:
            text += ", setting " + _join(setting)
        if known:
            text += (", with " if fed or setting else " with ") + _join(known)
        return text

    def write(self, steps: Sequence[Step], rng: random.Random) -> str:
        """The template intent of a chain (second person, seeded phrasing)."""
        clauses = [self.clause(i, steps, rng) for i in range(len(steps))]
        text = f"{rng.choice(_OPENINGS)} {clauses[0]}"
        for index, clause in enumerate(clauses[1:], start=1):
            joiner = rng.choice(_FINALLY if index == len(clauses) - 1 and index > 1 else _THEN)
            text += joiner + clause
        return text.rstrip(".") + "."


def _inside_token(char: str) -> bool:
    return char.isalnum() or char in "_-"


def leaks(text: str, lookups: Sequence[str]) -> list[str]:
    """The agent lookups that appear in ``text`` as whole tokens (case-insensitive)."""
    found = []
    folded = text.casefold()
    for value in lookups:
        needle = value.casefold()
        if not needle:
            continue
        start = folded.find(needle)
        while start != -1:
            end = start + len(needle)
            before = folded[start - 1] if start else " "
            after = folded[end] if end < len(folded) else " "
            if not _inside_token(before) and not _inside_token(after):
                found.append(value)
                break
            start = folded.find(needle, start + 1)
    return found
