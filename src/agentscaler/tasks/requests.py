"""What the user asks for, in their own words.

Each goal of a task becomes a first-person request ("cancel my order from 2024-03-02, the reason
is changed mind"): a verb from the tool's name and operation, the record it is about named as
the user knows it (the id they hold, or what tells it apart: its date, its title; "my order"
when they have just one), and the values they want. Ids the agent looks up never appear, nor do
values the user holds back (a detail the agent must ask for). The task's ``intent`` (what an LLM
user is told) is written from the requests in the second person.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Hashable, Sequence
from typing import Any, Protocol

from agentscaler.naming import (
    READ_VERBS,
    WRITE_VERBS,
    entity_of_parameter,
    preposition_of,
    split_identifier,
    with_article,
)
from agentscaler.records.task import ArgumentSource, Persona, ScenarioKind, TaskGoal
from agentscaler.records.world import ToolBinding, World
from agentscaler.tasks.grounding import value_key
from agentscaler.tasks.intent import _join, _plural_phrase, _show, _words
from agentscaler.tasks.persona import People
from agentscaler.tasks.steps import Pick
from agentscaler.worlds.seeding.pairs import pairs_of

_DATE_WORDS = frozenset({"date", "time", "at", "day", "on", "departure", "arrival"})
_NAME_WORDS = frozenset({"name", "title", "subject", "label"})
_VAGUE_VERBS = frozenset({"get", "list", "search", "find", "fetch", "retrieve", "query", "view"})
ME = "me"
"""How the user names their own record (the task's persona): "change my meal preference", not
"change the meal preference of my passenger"."""


def _same_entity(a: str, b: str) -> bool:
    return a.replace("_", " ") == b.replace("_", " ")


_DATE_PREPOSITIONS = (
    (frozenset({"due"}), "due on"),
    (frozenset({"expiration", "expiry", "expires", "expiring"}), "expiring on"),
    (frozenset({"out", "checkout"}), "checking out on"),
    (frozenset({"end", "ends", "ending", "until"}), "ending on"),
)
"""How a record is told by a date that is not when it happened: "my invoice due on 2025-09-11",
"my subscription ending on ...", not "my invoice from" a day to come."""


def _date_preposition(words: set[str]) -> str:
    return next((said for names, said in _DATE_PREPOSITIONS if names & words), "from")


class CallLike(Protocol):
    """A call with its arguments' provenance (a chain step or an attempt)."""

    name: str
    arguments: dict[str, Any]
    sources: dict[str, ArgumentSource]
    picks: dict[str, Pick]


class RequestWriter:
    """Writes the user's requests for the goals of tasks in one world."""

    def __init__(self, world: World, people: People) -> None:
        self.world = world
        self.people = people
        self.bindings = {b.name: b for b in world.tools}
        self._entities = {t.name: _words(t.entity or t.name) for t in world.tables}
        self._me: tuple[str, Hashable] | None = None

    def for_user(self, persona: Persona | None) -> RequestWriter:
        """This writer for the requests of ``persona``, who names their own record "me"."""
        writer = copy.copy(self)
        writer._me = (persona.table, value_key(persona.key)) if persona is not None else None
        return writer

    def _is_me(self, table: str | None, value: Any) -> bool:
        """True when ``value`` is the user's own key: in their table, or a text id anywhere
        (a compute tool's ``passenger_id`` names no table)."""
        if self._me is None or value_key(value) != self._me[1]:
            return False
        return table == self._me[0] or (table is None and isinstance(value, str))

    def entity(self, table: str | None) -> str:
        return self._entities.get(table or "", "record")

    # --- references ---------------------------------------------------------------------------
    def _mine(self, table: str | None) -> str:
        if self._me is not None and table == self._me[0]:
            return "the"  # another person than the user (their own record is "me")
        return "my" if table is None or table in self.people.visible else "the"

    def _holder(
        self, call: CallLike, param: str, steps: Sequence[Any], omit: frozenset[Hashable]
    ) -> tuple[str, str]:
        """``(entity, phrase)`` of the record an output-fed value of ``param`` was read from,
        named as the user knows it ("my order from 2024-03-02", "the new booking")."""
        source = call.sources[param]
        step = steps[source.step] if source.step is not None and source.step < len(steps) else None
        table = step.table if step is not None else None
        pick = call.picks.get(param)
        if pick is not None and (pick.label is not None or pick.shared):
            return pick.entity, self._picked(pick, self._mine(table), omit)
        entity = pick.entity if pick is not None else self.entity(table)
        if step is not None and step.operation == "create":
            return entity, f"the new {entity}"
        mine = self._mine(table)
        if step is not None:
            # the record was read by an argument picked from a list: name it the same way
            for held in step.picks.values():
                if held.label is not None and _same_entity(held.entity, entity):
                    return entity, self._picked(held, mine, omit)
            for held in step.picks.values():
                if held.label is not None:
                    return entity, f"{mine} {entity} for {self._picked(held, mine, omit)}"
        return entity, f"{mine} {entity}"

    def _picked(self, pick: Pick, mine: str, omit: frozenset[Hashable]) -> str:
        """The record a list item was picked as, by the label that tells it apart."""
        entity = pick.entity
        if pick.label is not None and value_key(pick.label[1]) not in omit:
            field, label = pick.label
            words = set(split_identifier(field))
            if words & _DATE_WORDS:
                return f"{mine} {entity} {_date_preposition(words)} {_show(label)}"
            if words & _NAME_WORDS:
                return f"{mine} {entity} {_show(label)}"
            return f"{mine} {entity} with {_words(field)} {_show(label)}"
        if pick.shared:
            return f"{mine} {_plural_phrase(entity)}"
        return f"{mine} {entity}"

    def _reference(
        self,
        call: CallLike,
        param: str,
        table: str | None,
        steps: Sequence[Any],
        omit: frozenset[Hashable],
    ) -> str:
        """How the user names the record ``param`` designates, or for a value read from an
        output, the record it was read from."""
        value = call.arguments.get(param)
        source = call.sources.get(param)
        if self._is_me(table, value):
            return ME
        designated = self.entity(table) if table else _words(entity_of_parameter(param) or param)
        if source is not None and source.kind == "output":
            holder, phrase = self._holder(call, param, steps, omit)
            is_record = table is not None or entity_of_parameter(param) is not None
            if not is_record or _same_entity(designated, holder):
                return phrase
            return f"the {designated} of {phrase}"
        if value_key(value) in omit:
            return f"{self._mine(table)} {designated}"
        return f"{designated} {_show(value)}"

    # --- one call -----------------------------------------------------------------------------
    def _verb_object(self, binding: ToolBinding) -> tuple[str | None, str]:
        parts = split_identifier(binding.name)
        entity = self.entity(binding.table)
        if parts and parts[0] in READ_VERBS | WRITE_VERBS:
            verb = " ".join(w for w in (parts[0], preposition_of(parts[0])) if w)
            return verb, " ".join(parts[1:]) or entity
        return None, " ".join(parts) or entity

    def call_request(
        self,
        call: CallLike,
        steps: Sequence[Any] = (),
        omit: frozenset[Hashable] = frozenset(),
    ) -> str:
        """The user's words for one call (no opening, no trailing period); ``steps`` are the
        chain's steps its output-fed arguments point into."""
        binding = self.bindings.get(call.name)
        if binding is None:
            return _words(call.name)
        verb, obj = self._verb_object(binding)
        entity = self.entity(binding.table)
        key = binding.key_param
        target = None
        if key is not None and key in call.arguments and binding.operation != "create":
            target = self._reference(call, key, binding.table, steps, omit)
        refs: list[str] = []
        values: list[str] = []
        settings: list[str] = []
        span = self._span(call, binding, omit)
        if span is not None:
            start, end = span
            values.append(f"from {_show(call.arguments[start])} to {_show(call.arguments[end])}")
        for name, value in call.arguments.items():
            if (name == key and target is not None) or (span is not None and name in span):
                continue
            role = binding.param(name)
            source = call.sources.get(name)
            fed = source is not None and source.kind == "output"
            if fed or (role is not None and role.role == "reference"):
                ref = self._reference(call, name, role.table if role else None, steps, omit)
                if ref not in refs and ref not in (target, ME):
                    refs.append(ref)
                continue
            if value_key(value) in omit:
                continue
            kind = role.role if role is not None else "option"
            column = _words(role.column) if role is not None and role.column else _words(name)
            if binding.operation == "update" and kind in ("field", "fields"):
                if kind == "fields" and isinstance(value, dict):
                    settings.extend(f"the {_words(k)} to {_show(v)}" for k, v in value.items())
                else:
                    settings.append(f"the {column} to {_show(value)}")
            elif kind == "min":
                values.append(f"{column} from {_show(value)}")
            elif kind == "max":
                values.append(f"{column} up to {_show(value)}")
            elif kind == "text":
                values.append(f'matching "{_show(value).strip(chr(34))}"')
            elif kind == "limit":
                values.append(f"at most {_show(value)} of them")
            elif kind == "sort":
                values.append(f"sorted by {_show(value)}")
            elif kind == "children" and isinstance(value, list):
                values.append(f"{len(value)} {_words(name)}")
            else:
                values.append(f"{_words(name)} {_show(value)}")
        op = binding.operation
        extra = " ".join(w for w in obj.split() if w not in entity.split())
        if target == ME and op in ("get", "update", "transition", "delete"):
            base = self._own_record(op, verb, extra, settings)
            settings = [] if op == "update" and len(settings) == 1 else settings
        elif op == "get" and target is not None:
            base = f"check the {extra} of {target}" if extra else f"look up {target}"
        elif op in ("get", "search"):
            things = obj.split(" by ")[0] if obj else entity
            if verb in _VAGUE_VERBS or verb is None:
                base = (
                    f"find the {_plural_phrase(things)}" if op == "search" else f"find the {things}"
                )
            else:
                base = f"{verb} the {things}"
        elif op == "create":
            noun = obj if obj.split() and obj.split()[0] not in ("to", "for", "from") else entity
            base = f"{verb or 'create'} {with_article(noun)}"
        elif op == "update":
            what = target or f"the {entity}"
            if (
                settings
                and len(settings) == 1
                and verb in (None, "update", "change", "set", "edit", "modify")
            ):
                base = f"change {settings[0].replace(' to ', f' of {what} to ', 1)}"
                settings = []
            else:
                base = f"{verb if verb and verb not in ('update', 'set', 'edit', 'modify') else 'update'} {what}"
        elif op == "transition":
            base = f"{verb or 'update'} {target or 'the ' + entity}"
        elif op == "delete":
            base = f"{verb if verb in ('delete', 'remove', 'cancel') else 'remove'} {target or 'the ' + entity}"
        else:
            base = f"{verb or 'work out'} the {obj}"
        text = base
        if refs:
            text += " for " + _join(refs)
        if settings:
            text += ", setting " + _join(settings)
        if values:
            text += (" with " if op in ("create", "search", "get", "compute") else ", ") + _join(
                values
            )
        return text

    @staticmethod
    def _span(
        call: CallLike, binding: ToolBinding, omit: frozenset[Hashable]
    ) -> tuple[str, str] | None:
        """The arguments a start and its end give (``check_in_date`` / ``check_out_date``),
        said together as "from ... to ..."; None for an update (each is a setting)."""
        if binding.operation == "update":
            return None
        told = [
            name
            for name, value in call.arguments.items()
            if value_key(value) not in omit
            and (call.sources.get(name) is None or call.sources[name].kind != "output")
            and (binding.param(name) is None or binding.param(name).role in ("option", "field"))
        ]
        found = pairs_of(told)
        return found[0] if len(found) == 1 else None

    @staticmethod
    def _own_record(op: str, verb: str | None, extra: str, settings: list[str]) -> str:
        """A request about the user's own record: "check my loyalty tier", "change my meal
        preference to vegan", "update my preferences", "close my account"."""
        what = f"my {extra}" if extra else "my details" if op in ("get", "update") else "my account"
        if op == "get":
            return f"check {what}"
        if op == "update":
            if len(settings) == 1 and verb in (None, "update", "change", "set", "edit", "modify"):
                return f"change {settings[0].replace('the ', 'my ', 1)}"
            return f"update {what}"
        return f"{verb or ('update' if op == 'transition' else 'remove')} {what}"

    # --- goals and intents ----------------------------------------------------------------------
    def goal_request(
        self,
        calls: Sequence[CallLike],
        steps: Sequence[Any] = (),
        omit: frozenset[Hashable] = frozenset(),
    ) -> str:
        """The request of a goal whose principal calls are ``calls`` (joined with "and")."""
        clauses: list[str] = []
        for call in calls:
            clause = self.call_request(call, steps, omit)
            if clause not in clauses:
                clauses.append(clause)
        return _join(clauses)


_FIRST = ("You want to", "You would like to", "You need to")
_ALSO = ("You also want to", "After that, you want to", "Then you would like to")
_SECOND_PERSON = {"my": "your", "me": "you", "mine": "yours", "myself": "yourself", "I": "you"}
_FIRST_PERSON = re.compile(r"\b(" + "|".join(_SECOND_PERSON) + r")\b")


def second_person(request: str, keep: Sequence[str] = ()) -> str:
    """A request the user says ("change my meal preference") as the scenario tells it to
    them ("change your meal preference"); quoted values and the values in ``keep`` keep their
    words (a subject "Can I move my booking" stays as it is)."""
    kept = sorted({k for k in keep if k and k in request}, key=len, reverse=True)
    pattern = '("[^"]*"' + "".join(f"|{re.escape(k)}" for k in kept) + ")"
    parts = re.split(pattern, request)
    return "".join(
        part if index % 2 else _FIRST_PERSON.sub(lambda m: _SECOND_PERSON[m[1]], part)
        for index, part in enumerate(parts)
    )


def intent_text(
    goals: Sequence[TaskGoal],
    scenario: ScenarioKind,
    persona: Persona | None,
    rng: random.Random,
    keep: Sequence[str] = (),
) -> str:
    """The scenario in the second person, from the goals' requests (``keep``: values the
    requests quote, left as they are)."""
    parts = []
    if persona is not None and persona.name:
        parts.append(f"You are {persona.name}, {with_article(persona.entity)}.")
    for index, goal in enumerate(goals):
        opening = rng.choice(_FIRST if index == 0 else _ALSO)
        if goal.withdrawn is not None and goal.withdrawn_request:
            parts.append(
                f"{opening} {second_person(goal.withdrawn_request, keep)}, but when the agent asks "
                f"you to confirm, you change your mind and ask to {second_person(goal.request, keep)} "
                "instead."
            )
        else:
            parts.append(f"{opening} {second_person(goal.request, keep)}.")
    if scenario == "rule_refusal":
        parts.append("If the agent explains why it cannot be done, accept it.")
    return " ".join(parts)
