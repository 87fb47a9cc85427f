"""Directed dependency edges inside a domain, for task walks.

Two kinds:

* ``output_input``: ``A -> B`` when a field A returns can be passed to a parameter of B: the field
  and the parameter have the same canonical name (``orders[].order_id`` -> ``order_id``; an ``id``
  field takes the name of its parent, ``orders[].id`` -> ``order_id``, or at the top level of the
  tool's entity, ``create_ticket`` returning ``id`` -> ``ticket_id``), or their embedded names are
  at least ``threshold`` apart in cosine; and their types are compatible (numbers with numbers,
  identifiers across string/integer, an array with its element).
* ``read_before_write``: ``R -> W`` when W writes an entity it addresses by an identifier
  parameter (``cancel_order(order_id)``) and R reads the same entity (``get_order``,
  ``list_orders(user_id) -> orders[].order_id``).

Generic result fields (``status``, ``message``, ``result``...) never create an edge on their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from agentscaler.graph.texts import schema_fields
from agentscaler.naming import (
    READ_VERBS,
    WRITE_VERBS,
    classify_tool,
    entity_of_parameter,
    singular,
    split_identifier,
)
from agentscaler.records.domain import DependencyEdge
from agentscaler.records.tool import ToolSpec

GENERIC_FIELDS = frozenset(
    """result results status success message messages error errors data response output value
    values count total ok code info detail details items item list text content type""".split()
)
_ID_WORDS = frozenset({"id", "ids", "uuid", "uuids"})
_NUMERIC = frozenset({"integer", "number"})
_SCALAR = frozenset({"string", "integer", "number"})


@dataclass(frozen=True)
class Port:
    """A field a tool returns (output) or takes (input), with its canonical name."""

    path: str
    key: str
    type: str

    @property
    def id_like(self) -> bool:
        return self.key.endswith("_id") or self.key == "id"

    @property
    def text(self) -> str:
        """What is embedded for similarity: the words of the canonical name."""
        return self.key.replace("_", " ")


def canonical_key(words: Sequence[str]) -> str:
    out = [singular(w) if w not in _ID_WORDS else "id" for w in words]
    return "_".join(out)


def name_nouns(name: str) -> list[str]:
    """Words of a tool name after its leading verb(s): ``cancel_order`` -> ``['order']``."""
    words = list(split_identifier(name))
    while len(words) > 1 and (words[0] in READ_VERBS or words[0] in WRITE_VERBS):
        words.pop(0)
    return [w for w in words if not w.isdigit()]


def tool_entity(tool: ToolSpec) -> str | None:
    """The entity a tool's name is about: its last noun, singular (``list_orders`` -> order)."""
    words = [w for w in name_nouns(tool.name) if w not in _ID_WORDS]
    return singular(words[-1]) if words else None


def output_ports(tool: ToolSpec) -> list[Port]:
    ports: list[Port] = []
    entity = tool_entity(tool)
    for field in schema_fields(tool.returns, limit=64):
        words = list(split_identifier(field.name))
        if not words:
            continue
        if len(words) == 1 and words[0] in _ID_WORDS:
            parents = [p for p in field.path.replace("[]", "").split(".")[:-1] if p]
            owner = singular(split_identifier(parents[-1])[-1]) if parents else entity
            if not owner:
                continue
            words = [owner, "id"]
        ports.append(Port(field.path, canonical_key(words), field.type))
    return ports


def input_ports(tool: ToolSpec) -> list[Port]:
    ports = []
    properties = (tool.parameters or {}).get("properties") or {}
    types = {f.path: f.type for f in schema_fields(tool.parameters, limit=64)}
    for name in properties:
        words = split_identifier(str(name))
        if words:
            ports.append(Port(str(name), canonical_key(words), types.get(str(name), "")))
    return ports


def compatible(out: Port, inp: Port) -> bool:
    a, b = out.type, inp.type
    if not a or not b or a == b:
        return True
    if a in _NUMERIC and b in _NUMERIC:
        return True
    if out.id_like and inp.id_like and a in _SCALAR and b in _SCALAR:
        return True
    return "array" in (a, b) and out.key == inp.key


def port_texts(tools: Sequence[ToolSpec]) -> list[str]:
    """Every distinct field-name text of ``tools`` (to embed once for the whole pool)."""
    texts = {p.text for t in tools for p in (*output_ports(t), *input_ports(t))}
    return sorted(texts)


def _entities(tool: ToolSpec, outputs: Sequence[Port]) -> set[str]:
    """Entities a tool reads: of its id parameters, of id fields it returns, of its name."""
    found = {
        e
        for name in (tool.parameters or {}).get("properties") or {}
        if (e := entity_of_parameter(str(name)))
    }
    found.update(p.key[: -len("_id")] for p in outputs if p.key.endswith("_id"))
    entity = tool_entity(tool)
    if entity:
        found.add(entity)
    return found


def dependency_edges(
    tools: Sequence[ToolSpec],
    *,
    vectors: Mapping[str, np.ndarray] | None = None,
    threshold: float = 0.8,
) -> list[DependencyEdge]:
    """Directed edges between ``tools`` (one domain), sorted by (source, target, kind)."""
    outputs = [output_ports(t) for t in tools]
    inputs = [input_ports(t) for t in tools]
    kinds = [classify_tool(t.name, t.tags) for t in tools]
    found: dict[tuple[str, str, str], tuple[set[str], float]] = {}

    def add(a: int, b: int, kind: str, via: str, score: float) -> None:
        key = (tools[a].name, tools[b].name, kind)
        vias, best = found.get(key, (set(), 0.0))
        vias.add(via)
        found[key] = (vias, max(best, score))

    sources: dict[str, list[tuple[int, Port]]] = {}
    sinks: dict[str, list[tuple[int, Port]]] = {}
    for a, outs in enumerate(outputs):
        for out in outs:
            if out.key not in GENERIC_FIELDS:
                sources.setdefault(out.key, []).append((a, out))
    for b, ins in enumerate(inputs):
        for inp in ins:
            if inp.key not in GENERIC_FIELDS:
                sinks.setdefault(inp.key, []).append((b, inp))

    def link(out_key: str, in_key: str, score: float) -> None:
        for a, out in sources[out_key]:
            for b, inp in sinks[in_key]:
                if a != b and compatible(out, inp):
                    add(a, b, "output_input", f"{out.path}->{inp.path}", score)

    for key in sources.keys() & sinks.keys():
        link(key, key, 1.0)
    if vectors is not None and sources and sinks:
        out_keys = sorted(k for k in sources if k.replace("_", " ") in vectors)
        in_keys = sorted(k for k in sinks if k.replace("_", " ") in vectors)
        if out_keys and in_keys:
            left = np.stack([vectors[k.replace("_", " ")] for k in out_keys])
            right = np.stack([vectors[k.replace("_", " ")] for k in in_keys])
            scores = left @ right.T
            for i, j in zip(*np.nonzero(scores >= threshold), strict=True):
                if out_keys[i] != in_keys[j]:
                    link(out_keys[i], in_keys[j], float(scores[i, j]))

    entities = [_entities(t, outputs[i]) for i, t in enumerate(tools)]
    for w, tool in enumerate(tools):
        if kinds[w] != "write":
            continue
        targets = {
            e
            for name in (tool.parameters or {}).get("properties") or {}
            if (e := entity_of_parameter(str(name)))
        }
        for r in range(len(tools)):
            if r == w or kinds[r] != "read":
                continue
            for entity in sorted(targets & entities[r]):
                add(r, w, "read_before_write", entity, 1.0)

    return [
        DependencyEdge(source=s, target=t, kind=k, via=tuple(sorted(v)), score=round(score, 4))  # type: ignore[arg-type]
        for (s, t, k), (v, score) in sorted(found.items())
    ]
