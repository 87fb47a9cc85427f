"""Walks on a domain's directed tool-dependency graph.

The graph holds the domain's :class:`~agentscaler.records.DependencyEdge` records restricted to
the world's tools (parallel edges merged, self-loops dropped). A walk

* starts at a random tool, weighted toward tools that open chains: searches and lookups a user
  can call with what they know, tools with somewhere to go (out-degree) and few prerequisites
  (in-degree);
* picks a target length from the configured length distribution and follows out-edges, edge
  score as weight, until it has that many steps or reaches a sink;
* never repeats a call, never reads again right after the identical read, and never keeps a
  write that changes nothing, brings the state back to what it was before an earlier write, or
  overwrites exactly what the write before it wrote.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from agentscaler.canonical import canonical_json
from agentscaler.naming import split_identifier
from agentscaler.records.domain import DependencyEdge
from agentscaler.records.world import StateChange
from agentscaler.tasks.persona import PERSON_SEMANTICS, is_people
from agentscaler.tasks.steps import Step
from agentscaler.worlds.runtime.loader import CompiledWorld

OPENER_WEIGHT = {
    "search": 3.0,
    "get": 2.0,
    "compute": 1.5,
    "create": 1.5,
    "update": 1.0,
    "transition": 1.0,
    "delete": 0.7,
}
"""How naturally a task starts with a tool of each operation (users search and look up first)."""
IDENTIFY_WEIGHT = 3.0
DECISIONS = frozenset("approve reject deny grade adjudicate".split())
"""Verbs of a write the service makes on a user's request, not one a user asks for: a customer
does not ask to approve their own return, nor an employee their own leave (a passenger may ask
to be assigned a seat: ``assign`` is not among them)."""


def users_ask_for(name: str, kind: str) -> bool:
    """Whether a user would ask the agent to make this call (not a decision of the service)."""
    words = split_identifier(name)
    return kind != "write" or not words or words[0] not in DECISIONS


"""Extra start weight of reads that find a person by what they know (email, phone, name)."""


@dataclass(frozen=True)
class Edge:
    """A merged directed edge of the walk graph."""

    target: str
    score: float
    via: tuple[tuple[str, str], ...]
    """``(output field, parameter)`` pairs the edge carries (empty for shared-entity edges)."""


def _via_pairs(edge: DependencyEdge) -> list[tuple[str, str]]:
    """``(output field name, parameter)`` of an edge; ``orders[].order_id`` names ``order_id``."""
    pairs = []
    for item in edge.via:
        if "->" in item:
            field, param = item.split("->", 1)
            name = field.strip().rsplit(".", 1)[-1].replace("[]", "")
            pairs.append((name, param.strip()))
    return pairs


def empty_result(output: object) -> bool:
    """A search that found nothing (every list in its output is empty): a walk cannot go on."""
    if isinstance(output, list):
        return not output
    if isinstance(output, dict):
        lists = [v for v in output.values() if isinstance(v, list)]
        return bool(lists) and not any(lists)
    return False


class WalkGraph:
    """The directed graph a domain's walks follow."""

    def __init__(self, compiled: CompiledWorld, edges: Sequence[DependencyEdge]) -> None:
        asked = [b for b in compiled.world.tools if users_ask_for(b.name, b.kind)]
        self.tools: list[str] = [b.name for b in asked or compiled.world.tools]
        walked = self.walked = frozenset(self.tools)
        """The tools a walk may call (no decision of the service)."""
        self.kinds = {b.name: b.kind for b in compiled.world.tools}
        self.operations = {b.name: b.operation for b in compiled.world.tools}
        person_columns = {
            (t.name, c.name)
            for t in compiled.world.tables
            if is_people(t)
            for c in t.columns
            if c.semantic in PERSON_SEMANTICS
        }
        self.identifies = frozenset(
            b.name
            for b in compiled.world.tools
            if b.kind == "read"
            and any(
                p.column and (b.table, p.column) in person_columns and p.role in ("filter", "text")
                for p in b.params
            )
        )
        """Reads that find a person by their email, phone or name."""
        merged: dict[tuple[str, str], tuple[float, set[tuple[str, str]]]] = {}
        for edge in edges:
            if edge.source == edge.target:
                continue
            if edge.source not in walked or edge.target not in walked:
                continue
            key = (edge.source, edge.target)
            score, via = merged.get(key, (0.0, set()))
            merged[key] = (max(score, edge.score), via | set(_via_pairs(edge)))
        self.out: dict[str, list[Edge]] = {name: [] for name in self.tools}
        self.in_degree: dict[str, int] = dict.fromkeys(self.tools, 0)
        for (source, target), (score, via) in sorted(merged.items()):
            self.out[source].append(Edge(target, score, tuple(sorted(via))))
            self.in_degree[target] += 1
        self.edge_count = len(merged)

    # --- starts -----------------------------------------------------------------------------
    def start_weights(self, *, read_only: bool) -> list[tuple[str, float]]:
        """``(tool, weight)`` of every tool a walk may start at."""
        degrees = [d for d in self.in_degree.values() if d] or [1]
        mean_in = sum(degrees) / len(degrees)
        weights = []
        for name in self.tools:
            if read_only and self.kinds[name] != "read":
                continue
            opener = OPENER_WEIGHT.get(self.operations[name], 1.0)
            reach = 1.0 + min(len(self.out[name]), 4)
            prerequisites = 1.0 + self.in_degree[name] / mean_in
            identify = IDENTIFY_WEIGHT if name in self.identifies else 1.0
            weights.append((name, opener * reach * identify / prerequisites))
        return weights

    def successors(self, tool: str, *, read_only: bool) -> list[Edge]:
        """Out-edges of ``tool`` a walk may follow (reads only in a read-only walk)."""
        edges = self.out.get(tool, [])
        if read_only:
            return [e for e in edges if self.kinds[e.target] == "read"]
        return list(edges)

    def via(self, source: str, target: str) -> tuple[tuple[str, str], ...]:
        return next((e.via for e in self.out.get(source, []) if e.target == target), ())


def weighted_order(items: Sequence[tuple[str, float]], rng: random.Random) -> list[str]:
    """All items in a random order where heavier ones tend to come first (Efraimidis-Spirakis)."""
    keyed = []
    for name, weight in items:
        if weight <= 0:
            continue
        keyed.append((rng.random() ** (1.0 / weight), name))
    keyed.sort(reverse=True)
    return [name for _, name in keyed]


def choose_length(lengths: Sequence[int], weights: Sequence[float], rng: random.Random) -> int:
    return rng.choices(list(lengths), weights=list(weights), k=1)[0]


def call_key(name: str, arguments: dict) -> str:
    return name + canonical_json(arguments)


def repeats(steps: Sequence[Step], name: str, arguments: dict) -> bool:
    """True when the call was already made in this chain (including right before)."""
    same_tool = [s for s in steps if s.name == name]
    if not same_tool:
        return False
    key = call_key(name, arguments)
    return any(call_key(s.name, s.arguments) == key for s in same_tool)


def _cells(changes: Sequence[StateChange]) -> set[tuple[str, str, str | None]]:
    return {(c.table, canonical_json(c.key), c.column) for c in changes}


def pointless_write(
    steps: Sequence[Step], changes: Sequence[StateChange], after_hash: str
) -> str | None:
    """Why a successful write must not join the chain, or None when it is useful:
    ``no_effect`` (it changed nothing), ``undo`` (the state is back to what it was before an
    earlier write, e.g. a create then a delete of the same record), ``overwrite`` (it rewrites
    exactly what the write right before it wrote)."""
    if not changes:
        return "no_effect"
    writes = [s for s in steps if s.kind == "write"]
    if not writes:
        return None
    previous = writes[-1]
    if any(after_hash == s.before_hash for s in writes):
        return "undo"
    if (
        steps[-1] is previous
        and all(c.op == "update" for c in previous.changes)
        and _cells(previous.changes) <= _cells(changes)
    ):
        return "overwrite"
    return None
