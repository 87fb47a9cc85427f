"""Scenarios: which conversation each walk aims at, and a finished chain as goals, facts and
what the agent must say.

:class:`ScenarioPlanner` chooses each walk's scenario kind so the kinds made follow the configured
mix (a kind that keeps failing in a world, e.g. refusals in a world without rules, is given up),
and the walk that serves it: chain length, read-only or not, and how it ends (a write the rules
refuse; a write with another one the user takes back).

:func:`shape` turns an executed chain into the parts of a task:

* goals: every write is an action the user asked for, and in a read-only chain every read whose
  output feeds nothing later is a question the user asked (at most three goals: earlier ones are
  folded into the first); reads before a goal's principal call identify the user and inspect;
* user facts with their roles: identity (who the user is: name, email, phone, their account
  number), request (what they ask for) and, for a missing-information scenario, one detail of the
  request held back until the agent asks;
* communicated facts: for an action, what changed (a new status, a new record's number) and what
  it costs; for a question, the fields asked for or the telling fields of the answer; for a
  refusal, the values that break the rule. Every one is read from a gold call's output.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from agentscaler.canonical import canonical_json, plain_text
from agentscaler.naming import entity_of_parameter, split_identifier, spoken
from agentscaler.records.task import (
    SCENARIO_KINDS,
    ArgumentSource,
    CommunicatedFact,
    Persona,
    RequestedCall,
    ScenarioKind,
    TaskGoal,
    UserFact,
)
from agentscaler.records.world import World
from agentscaler.tasks.config import TaskConfig
from agentscaler.tasks.execute import Attempt, Chain, Goal
from agentscaler.tasks.facts import facts_and_lookups, scalars
from agentscaler.tasks.grounding import output_fields, scalar_keys, value_key
from agentscaler.tasks.persona import People, persona_of
from agentscaler.tasks.requests import RequestWriter, intent_text
from agentscaler.tasks.steps import Pick, Step
from agentscaler.tasks.walks import WalkGraph, choose_length
from agentscaler.worlds.runtime.dbapi import Database

GIVE_UP_STREAK = 15
"""Failed walks in a row after which a scenario kind is no longer tried in a world."""
MAX_GOALS = 3
MAX_COMMUNICATED = 2
"""Values the agent must say per goal."""
MAX_FACT_CHARS = 60

_LENGTHS: dict[ScenarioKind, tuple[int, ...]] = {
    "one_goal": (2, 3),
    "multi_goal": (3, 4, 5),
    "rule_refusal": (2, 3),
    "missing_info": (2, 3, 4),
    "change_of_mind": (2, 3, 4),
}
_TELLING = (
    "status",
    "price",
    "datetime",
    "date",
    "time",
    "duration",
    "quantity",
    "rating",
    "percentage",
    "title",
    "label",
    "person_name",
    "category",
    "company",
    "city",
)
"""Column meanings worth telling the user, most telling first."""


# --- planning -------------------------------------------------------------------------------------
class ScenarioPlanner:
    """Chooses each walk's scenario kind (the kind furthest behind its share first) and goal."""

    def __init__(self, config: TaskConfig, graph: WalkGraph) -> None:
        self.config = config
        self.weights = dict(config.scenario_weights)
        kinds = set(graph.kinds.values())
        writes = "write" in kinds
        needs = {"rule_refusal": writes, "change_of_mind": writes}
        self.allowed: dict[ScenarioKind, bool] = {
            kind: self.weights.get(kind, 0.0) > 0 and needs.get(kind, True)
            for kind in SCENARIO_KINDS
        }
        if not any(self.allowed.values()):
            self.allowed["one_goal"] = bool(graph.tools)
            self.weights["one_goal"] = self.weights.get("one_goal") or 1.0
        self.made: Counter[str] = Counter()
        self.streak: Counter[str] = Counter()
        self.has_writes = writes
        self.has_reads = "read" in kinds

    def next(self, rng: random.Random) -> tuple[ScenarioKind, Goal] | None:
        usable = [k for k in SCENARIO_KINDS if self.allowed[k]]
        if not usable:
            return None
        total = sum(self.made.values()) + 1
        weight_sum = sum(self.weights[k] for k in usable)
        deficits = [(self.weights[k] / weight_sum * total - self.made[k], k) for k in usable]
        best = max(d for d, _ in deficits)
        kind = rng.choice([k for d, k in deficits if d == best])
        return kind, self._goal(kind, rng)

    def _goal(self, kind: ScenarioKind, rng: random.Random) -> Goal:
        cap = self.config.max_steps
        lengths = [n for n in _LENGTHS[kind] if n <= cap] or [min(cap, _LENGTHS[kind][0])]
        length = choose_length(lengths, [1.0] * len(lengths), rng)
        if kind == "rule_refusal":
            return Goal(read_only=True, length=max(1, min(length, cap)), end="refusal")
        if kind == "change_of_mind":
            return Goal(read_only=False, length=length, end="alternative")
        read_only = not self.has_writes or (
            self.has_reads and rng.random() < self.config.read_only_share
        )
        return Goal(read_only=read_only, length=length)

    def record(self, planned: ScenarioKind, made: ScenarioKind | None) -> None:
        """Count a walk aimed at ``planned`` that made a task of kind ``made`` (None: none);
        a kind whose walks never make it is given up after a streak of misses."""
        if made is not None:
            self.made[made] += 1
        if made == planned:
            self.streak[planned] = 0
            return
        self.streak[planned] += 1
        if self.streak[planned] >= GIVE_UP_STREAK and self.made[planned] == 0:
            self.allowed[planned] = False


# --- shaping --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shaped:
    """The parts of a task made from an executed chain."""

    chain: Chain
    """The chain the task is made of (reads that serve no goal left out)."""
    scenario: ScenarioKind
    goals: tuple[TaskGoal, ...]
    user_facts: tuple[UserFact, ...]
    agent_lookups: tuple[str, ...]
    communicate: tuple[CommunicatedFact, ...]
    persona: Persona | None
    intent: str


def _ancestors(steps: Sequence[Step], roots: set[int]) -> set[int]:
    """``roots`` and every step whose output feeds them, directly or not."""
    keep = set()
    todo = sorted(roots, reverse=True)
    while todo:
        index = todo.pop()
        if index in keep or not 0 <= index < len(steps):
            continue
        keep.add(index)
        todo.extend(
            s.step
            for s in steps[index].sources.values()
            if s.kind == "output" and s.step is not None
        )
    return keep


def _fed_steps(sources: dict[str, ArgumentSource]) -> set[int]:
    return {s.step for s in sources.values() if s.kind == "output" and s.step is not None}


def prune(chain: Chain) -> Chain:
    """The chain without the reads that serve no goal: in a chain with writes (or a refused
    write), reads whose outputs feed none of them, directly or not (and are not the last
    call). Reads change nothing, so the gold final state stays the same."""
    steps = chain.steps
    writes = {i for i, s in enumerate(steps) if s.kind == "write"}
    if chain.refused is not None:
        roots = _fed_steps(chain.refused.sources)
        if chain.refused.refusal is not None:
            roots |= {r.step for r in chain.refused.refusal.reasons}
    elif writes:
        roots = set(writes)
        if steps[-1].kind == "read":
            roots.add(len(steps) - 1)
    else:
        return chain
    if chain.withdrawn is not None:
        roots |= _fed_steps(chain.withdrawn.sources)
    keep = _ancestors(steps, roots)
    if len(keep) == len(steps) or not keep:
        return chain
    new = {old: position for position, old in enumerate(sorted(keep))}

    def sources(mapping: dict[str, ArgumentSource]) -> dict[str, ArgumentSource]:
        return {
            name: source.model_copy(update={"step": new[source.step]})
            if source.kind == "output" and source.step is not None
            else source
            for name, source in mapping.items()
        }

    def picks(mapping: dict[str, Pick]) -> dict[str, Pick]:
        return {name: replace(pick, step=new[pick.step]) for name, pick in mapping.items()}

    kept = tuple(
        replace(steps[old], sources=sources(steps[old].sources), picks=picks(steps[old].picks))
        for old in sorted(keep)
    )
    refused = withdrawn = None
    if chain.refused is not None:
        refusal = chain.refused.refusal
        if refusal is not None:
            refusal = replace(
                refusal,
                reasons=tuple(replace(r, step=new[r.step]) for r in refusal.reasons),
            )
        refused = replace(
            chain.refused,
            sources=sources(chain.refused.sources),
            picks=picks(chain.refused.picks),
            refusal=refusal,
        )
    if chain.withdrawn is not None:
        withdrawn = replace(
            chain.withdrawn,
            sources=sources(chain.withdrawn.sources),
            picks=picks(chain.withdrawn.picks),
        )
    return replace(chain, steps=kept, refused=refused, withdrawn=withdrawn)


def _feeders(steps: Sequence[Step]) -> set[int]:
    """Indices of steps whose output feeds a later argument."""
    return {
        source.step
        for step in steps
        for source in step.sources.values()
        if source.kind == "output" and source.step is not None
    }


def goal_ends(steps: Sequence[Step]) -> list[int]:
    """The principal call of each goal: writes (and a read at the very end), or in a read-only
    chain the reads whose output feeds nothing later (not the first one, which identifies)."""
    count = len(steps)
    writes = [i for i, s in enumerate(steps) if s.kind == "write"]
    if writes:
        ends = list(writes)
        if writes[-1] < count - 1:
            ends.append(count - 1)
    else:
        feeders = _feeders(steps)
        ends = [i for i in range(count) if i not in feeders and (i > 0 or count == 1)]
        if count - 1 not in ends:
            ends.append(count - 1)
    return ends


def _goal_ranges(ends: list[int]) -> list[tuple[int, int, list[int]]]:
    """``(first call, last call, principal calls)`` of each goal, at most MAX_GOALS (earlier
    goals folded into the first)."""
    principal = [[e] for e in ends]
    while len(principal) > MAX_GOALS:
        principal[1] = principal[0] + principal[1]
        del principal[0]
    ranges = []
    start = 0
    for calls in principal:
        ranges.append((start, calls[-1], calls))
        start = calls[-1] + 1
    return ranges


def _identity(
    facts: Sequence[UserFact],
    identity: Sequence[UserFact],
    persona: Persona | None,
    people: People,
    first: Step,
    writer: RequestWriter,
) -> set[str]:
    """Names of the facts that say who the user is: the person's own values, or without a
    person, the ids of the user's records the first call is made with (an account or booking
    number they were given)."""
    if persona is not None:
        values = {canonical_json(f.value) for f in identity} | {canonical_json(persona.key)}
        key_column = people.keys.get(persona.table)
        return {
            f.name
            for f in facts
            if canonical_json(f.value) in values or (key_column and f.name.endswith(key_column))
        }
    binding = writer.bindings.get(first.name)
    ids = set()
    for name, value in first.arguments.items():
        role = binding.param(name) if binding is not None else None
        source = first.sources.get(name)
        if role is None or source is None or source.kind != "state":
            continue
        table = binding.table if role.role == "key" else role.table
        if table in people.visible and (role.role in ("key", "reference", "filter")):
            ids.add(canonical_json(value))
    return {f.name for f in facts if canonical_json(f.value) in ids}


def _semantics(world: World) -> dict[tuple[str, str], str]:
    return {
        (t.name, c.name): c.semantic or "" for t in world.tables for c in t.columns if c.semantic
    }


def _scalar(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return 0 < len(value.strip()) <= MAX_FACT_CHARS
    return isinstance(value, (int, float))


def _telling(
    step: Step,
    semantics: dict[tuple[str, str], str],
    known: set[Hashable],
    wanted: tuple[str, ...] = (),
    changed: set[str] | None = None,
    new_key: str | None = None,
) -> list[tuple[int, str, str, Any]]:
    """``(rank, path, field, value)`` of the output fields worth telling, best first: in the
    first item of a list output, named in ``wanted`` (words of the tool's name), changed by the
    call, the new record's key, or of a telling meaning; never ids the user knows or flags."""
    ranked = []
    for field in output_fields(step.output):
        if field.list_path is not None and field.index != 0:
            continue
        if field.path.endswith("]") and field.list_path is not None and "." not in field.path:
            continue
        value = field.value
        if not _scalar(value) or isinstance(value, list):
            continue
        name = field.name
        semantic = semantics.get((step.table or "", name), "")
        is_id = semantic == "id" or name == "id" or entity_of_parameter(name) is not None
        if new_key is not None and name == new_key and field.list_path is None:
            rank = 1
        elif is_id or (value_key(value) in known and (changed is None or name not in changed)):
            continue
        elif wanted and set(split_identifier(name)) & set(wanted):
            rank = 0
        elif changed is not None and name in changed:
            rank = 2 if semantic == "status" else 3
        elif semantic in _TELLING:
            rank = 4 + _TELLING.index(semantic)
        else:
            continue
        ranked.append((rank, field.path, name, value))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return ranked


def _communicate(
    steps: Sequence[Step],
    goal: int,
    principal: list[int],
    world: World,
    semantics: dict[tuple[str, str], str],
    known: set[Hashable],
    entities: dict[str, str],
) -> list[CommunicatedFact]:
    said: list[CommunicatedFact] = []
    seen: set[Hashable] = set()
    for index in principal:
        step = steps[index]
        if step.kind == "write":
            changed = {c.column for c in step.changes if c.op == "update" and c.column}
            inserted = any(c.op == "insert" and c.table == step.table for c in step.changes)
            key = next((t.primary_key for t in world.tables if t.name == step.table), None)
            ranked = _telling(
                step, semantics, known, changed=changed, new_key=key if inserted else None
            )
        else:
            words = tuple(
                w
                for w in split_identifier(step.name)[1:]
                if w not in split_identifier(entities.get(step.table or "", ""))
            )
            ranked = _telling(step, semantics, known, wanted=words)
        for _, path, name, value in ranked:
            if len(said) >= MAX_COMMUNICATED * len(principal) or len(said) >= MAX_COMMUNICATED + 1:
                break
            if value_key(value) in seen:
                continue
            seen.add(value_key(value))
            said.append(
                CommunicatedFact(
                    name=spoken(name),
                    value=value,
                    call=index,
                    path=path,
                    goal=goal,
                )
            )
            if len([s for s in said if s.call == index]) >= MAX_COMMUNICATED:
                break
    return said


def _requested(attempt: Attempt) -> RequestedCall:
    refusal = attempt.refusal
    return RequestedCall(
        name=attempt.name,
        arguments=attempt.arguments,
        rule=refusal.rule if refusal is not None else None,
        error=refusal.message if refusal is not None else None,
    )


def shape(
    chain: Chain,
    planned: ScenarioKind,
    writer: RequestWriter,
    people: People,
    world: World,
    db: Database,
    rng: random.Random,
) -> Shaped:
    """The goals, facts, communicated facts, persona and intent of an executed chain."""
    chain = prune(chain)
    steps = list(chain.steps)
    extra = [chain.refused] if chain.refused is not None else []
    extra += [chain.withdrawn] if chain.withdrawn is not None else []
    facts, lookups = facts_and_lookups([*steps, *(_as_step(a) for a in extra)])
    persona, identity = persona_of(people, world, db, steps)
    identity_names = _identity(facts, identity, persona, people, steps[0], writer)
    writer = writer.for_user(persona)
    roles: dict[str, str] = {f.name: "identity" for f in facts if f.name in identity_names}
    known_values = {canonical_json(f.value) for f in facts}
    facts = list(facts)
    taken = {f.name for f in facts}
    for fact in identity:  # who the user is, under a name no request fact holds
        if canonical_json(fact.value) in known_values:
            continue
        if fact.name in taken:  # the user's own email beside the new email they want
            names = (f"your_{fact.name}", *(f"your_{fact.name}_{n}" for n in range(2, 99)))
            fact = fact.model_copy(update={"name": next(n for n in names if n not in taken)})
        taken.add(fact.name)
        facts.append(fact)
    said = {plain_text(f.value) for f in facts}
    lookups = tuple(v for v in lookups if v not in said)
    semantics = _semantics(world)
    entities = {t.name: " ".join(split_identifier(t.entity or t.name)) for t in world.tables}
    known: set[Hashable] = {k for f in facts for k in scalar_keys(f.value)}

    if chain.refused is not None:
        ranges = [(0, len(steps) - 1, [])]
    else:
        ranges = _goal_ranges(goal_ends(steps))

    # who the user is is said when the agent asks, not in the request
    hidden = frozenset(value_key(f.value) for f in facts if f.name in identity_names)
    omit: frozenset[Hashable] = frozenset()
    # a detail held back (missing information): a value of the last goal's principal call the
    # user chose (not who they are)
    if planned == "missing_info" and chain.refused is None and chain.withdrawn is None:
        last = ranges[-1][2]
        seen = {k for step in steps[: min(last)] for k in scalar_keys(step.output)}
        candidates = [
            f
            for f in facts
            if f.name not in identity_names
            and _scalar(f.value)
            and value_key(f.value) not in seen  # the agent cannot find it, it must ask
            and any(
                value_key(v) == value_key(f.value)
                for i in last
                for n, v in steps[i].arguments.items()
                if steps[i].sources[n].kind in ("generated", "state")
            )
        ]
        if candidates:
            detail = rng.choice(candidates)
            omit = frozenset({value_key(detail.value)})
            for fact in facts:  # every fact with that value is held back
                if value_key(fact.value) in omit and fact.name not in identity_names:
                    roles[fact.name] = "detail"
    held = omit
    omit = omit | hidden

    goals: list[TaskGoal] = []
    communicate: list[CommunicatedFact] = []
    for number, (start, end, principal) in enumerate(ranges):
        calls = tuple(range(start, end + 1))
        if chain.refused is not None:
            refusal = chain.refused.refusal
            request = writer.goal_request([chain.refused], steps, omit)
            context = _context(writer, steps, calls, [], identity_names, facts, omit)
            goals.append(
                TaskGoal(
                    kind="refusal",
                    request=f"{request} ({context})" if context else request,
                    calls=calls,
                    refused=_requested(chain.refused),
                )
            )
            for reason in refusal.reasons if refusal is not None else ():
                communicate.append(
                    CommunicatedFact(
                        name=spoken(reason.column),
                        value=reason.value,
                        call=reason.step,
                        path=reason.path,
                        goal=number,
                    )
                )
            continue
        principal_steps = [steps[i] for i in principal]
        kind = "action" if any(s.kind == "write" for s in principal_steps) else "inquiry"
        request = writer.goal_request(principal_steps, steps, omit)
        context = _context(writer, steps, calls, principal, identity_names, facts, omit)
        if context:
            request = f"{request} ({context})"
        withdrawn = withdrawn_request = None
        if chain.withdrawn is not None and number == len(ranges) - 1:
            withdrawn = _requested(chain.withdrawn)
            withdrawn_request = writer.goal_request([chain.withdrawn], steps, omit)
        goals.append(
            TaskGoal(
                kind=kind,
                request=request,
                calls=calls,
                withdrawn=withdrawn,
                withdrawn_request=withdrawn_request or "",
            )
        )
        communicate.extend(
            _communicate(steps, number, principal, world, semantics, known, entities)
        )

    goals = _mention_all(goals, steps, facts, roles, omit)
    if chain.refused is not None:
        scenario: ScenarioKind = "rule_refusal"
    elif chain.withdrawn is not None:
        scenario = "change_of_mind"
    elif held:
        scenario = "missing_info"
    elif len(goals) > 1:
        scenario = "multi_goal"
    else:
        scenario = "one_goal"
    user_facts = tuple(
        f.model_copy(update={"role": roles.get(f.name, f.role)})
        if roles.get(f.name, f.role) != f.role
        else f
        for f in facts
    )
    quoted = [str(v) for step in steps for v in scalars(step.arguments) if isinstance(v, str)]
    quoted += [str(f.value) for f in user_facts]
    intent = intent_text(goals, scenario, persona, rng, quoted)
    return Shaped(
        chain=chain,
        scenario=scenario,
        goals=tuple(goals),
        user_facts=user_facts,
        agent_lookups=lookups,
        communicate=tuple(communicate),
        persona=persona,
        intent=intent,
    )


def _goal_values(goal: TaskGoal, steps: Sequence[Step]) -> set[Hashable]:
    values: set[Hashable] = set()
    for index in goal.calls:
        step = steps[index]
        for value in step.arguments.values():
            values.update(scalar_keys(value))
        values.update(value_key(p.label[1]) for p in step.picks.values() if p.label is not None)
    for attempt in (goal.refused, goal.withdrawn):
        if attempt is not None:
            for value in attempt.arguments.values():
                values.update(scalar_keys(value))
    return values


def _mention_all(
    goals: list[TaskGoal],
    steps: Sequence[Step],
    facts: Sequence[UserFact],
    roles: dict[str, str],
    omit: frozenset[Hashable],
) -> list[TaskGoal]:
    """The goals with every value the user asks with said in some goal's request: a value the
    phrasing left out (the label of a record picked on the way) is added to the goal whose calls
    use it."""
    texts = " ".join(g.request + " " + g.withdrawn_request for g in goals)
    extra: dict[int, list[str]] = {}
    for fact in facts:
        if roles.get(fact.name, fact.role) != "request" or value_key(fact.value) in omit:
            continue
        shown = _shown_value(fact.value)
        if shown in texts:
            continue
        key = value_key(fact.value)
        number = next(
            (i for i, g in enumerate(goals) if key in _goal_values(g, steps)), len(goals) - 1
        )
        name = spoken(fact.name)
        extra.setdefault(number, []).append(f"the {name} is {shown}")
    if not extra:
        return goals
    return [
        g.model_copy(update={"request": f"{g.request}; {', '.join(extra[i])}"}) if i in extra else g
        for i, g in enumerate(goals)
    ]


def _shown_value(value: Any) -> str:
    from agentscaler.tasks.intent import _show

    return _show(value).strip('"')


def _context(
    writer: RequestWriter,
    steps: Sequence[Step],
    calls: tuple[int, ...],
    principal: list[int],
    identity: set[str],
    facts: Sequence[UserFact],
    omit: frozenset[Hashable],
) -> str:
    """What else the user says for a goal: the values of its inspecting calls that are not who
    the user is (a search's filters), so every value the user knows is said."""
    identity_values = {value_key(f.value) for f in facts if f.name in identity}
    parts = []
    for index in calls:
        if index in principal:
            continue
        step = steps[index]
        own = {
            n: v
            for n, v in step.arguments.items()
            if step.sources[n].kind != "output" and value_key(v) not in identity_values
        }
        if not own:
            continue
        clause = writer.call_request(
            _Partial(step.name, own, {n: step.sources[n] for n in own}, {}), steps, omit
        )
        if clause not in parts:
            parts.append(clause)
    return "; ".join(f"first {p}" if i == 0 else p for i, p in enumerate(parts))


@dataclass(frozen=True)
class _Partial:
    name: str
    arguments: dict[str, Any]
    sources: dict[str, Any]
    picks: dict[str, Any]


def _as_step(attempt: Attempt) -> Step:
    """An attempt as a step (for the facts its arguments hold)."""
    return Step(
        name=attempt.name,
        kind="write",
        operation="",
        table=None,
        arguments=attempt.arguments,
        sources=attempt.sources,
        output=None,
        changes=(),
        before_hash="",
        after_hash="",
        picks=attempt.picks,
    )
