"""How well recovered domains match known API classes: NMI and ARI on labeled tool sets.

Labeled sets built from public benchmark data (``../shared/external``):

* **BFCL** multi-turn tool docs: the 8 stateful API classes ``gorilla_file_system``, ``math_api``,
  ``message_api``, ``posting_api``, ``ticket_api``, ``trading_bot``, ``travel_booking``,
  ``vehicle_control``; label = file. Every description opens with sentences naming the class
  ("This tool belongs to the ticketing system ... Tool description: "), which would give the
  labels away: they are stripped.
* **ACEBench** agent scenarios (``data_agent_*.json``). Every phone scenario lists the same 15
  functions, so membership is worked out from the gold data: (1) functions of a scenario with a
  single involved class belong to it (``Travel``); (2) otherwise a function's candidates are the
  classes involved in every scenario whose gold milestones call it (all phone classes when it is
  never called); (3) one candidate left: that class; else the app class whose name words appear in
  the function name (``add_reminder`` -> ``ReminderApi``); else, when the candidates are the
  device base class ``BaseApi`` (involved in every phone scenario) and one app class whose name
  the function does not use, ``BaseApi`` (``login_device``); (4) anything else is ambiguous and
  left out (``get_products``, ``check_balance``).
* **built-in catalog**: label = the ``vertical:`` tag.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agentscaler.naming import singular, split_identifier
from agentscaler.records.tool import ToolSpec

BFCL_CLASSES = (
    "gorilla_file_system",
    "math_api",
    "message_api",
    "posting_api",
    "ticket_api",
    "trading_bot",
    "travel_booking",
    "vehicle_control",
)
_BFCL_PREAMBLE = re.compile(r"^\s*This tool belongs to .*?Tool description:\s*", re.DOTALL)
_CALL = re.compile(r"([A-Za-z_]\w*)\(")
BASE_CLASS = "BaseApi"


@dataclass(frozen=True)
class LabeledSet:
    name: str
    tools: list[ToolSpec]
    labels: list[str]
    """Class of each tool, aligned with ``tools``."""

    def __post_init__(self) -> None:
        if len(self.tools) != len(self.labels):
            raise ValueError("one label per tool")

    def labels_for(self, tools: Sequence[ToolSpec]) -> list[str]:
        """The class of each of ``tools`` (tools of this set, in any order)."""
        label_of = {t.id: label for t, label in zip(self.tools, self.labels, strict=True)}
        return [label_of[t.id] for t in tools]


def score(labels: Sequence[str], communities: Sequence[Sequence[int]]) -> tuple[float, float]:
    """``(NMI, ARI)`` of ``communities`` (lists of indices into ``labels``) against ``labels``."""
    import igraph

    classes = {c: i for i, c in enumerate(sorted(set(labels)))}
    truth = [classes[c] for c in labels]
    found = [0] * len(labels)
    for index, members in enumerate(communities):
        for m in members:
            found[m] = index
    nmi = igraph.compare_communities(truth, found, method="nmi")
    ari = igraph.compare_communities(truth, found, method="adjusted_rand")
    return float(nmi), float(ari)


def score_discovery(
    labeled: LabeledSet, tools: Sequence[ToolSpec], communities
) -> tuple[float, float]:
    """:func:`score` of communities over ``tools`` (the discovery's order) against ``labeled``."""
    return score(labeled.labels_for(tools), communities)


def nearest_neighbour_ceiling(labels: Sequence[str], vectors: np.ndarray) -> tuple[float, float]:
    """``(NMI, accuracy)`` of labelling each tool with the class of its most similar other tool.

    A leave-one-out 1-nearest-neighbour classifier that is *given* every other tool's true class:
    it shows what the similarity itself tells apart, whatever clustering runs on it. When domains
    recovered without labels score about as well, community detection has little left to recover
    from that similarity. Not a strict bound: a community draws on all its members' links, not
    on one neighbour. Dense (``n x n``): for labeled sets, not for whole pools.
    """
    names = np.asarray(labels)
    if len(names) < 2:
        raise ValueError("need at least two labeled tools")
    sim = vectors @ vectors.T
    np.fill_diagonal(sim, -np.inf)
    guessed = names[sim.argmax(axis=1)]
    groups: dict[str, list[int]] = {}
    for index, label in enumerate(guessed):
        groups.setdefault(str(label), []).append(index)
    nmi, _ = score([str(x) for x in names], list(groups.values()))
    return nmi, float((guessed == names).mean())


def strip_bfcl_preamble(description: str) -> str:
    """The part of a BFCL multi-turn description after "... Tool description: "."""
    return _BFCL_PREAMBLE.sub("", description, count=1)


def _import(paths: Sequence[Path]) -> list[ToolSpec]:
    from agentscaler.ingest import import_sources

    return import_sources([str(p) for p in paths]).tools


def bfcl_set(external: Path) -> LabeledSet:
    """The 8 BFCL multi-turn API classes, class-naming preambles stripped."""
    tools: list[ToolSpec] = []
    labels: list[str] = []
    for label in BFCL_CLASSES:
        for tool in _import([external / "bfcl" / "multi_turn_func_doc" / f"{label}.json"]):
            description = strip_bfcl_preamble(tool.description)
            tools.append(
                ToolSpec.create(
                    name=tool.name,
                    description=description,
                    parameters=tool.parameters,
                    returns=tool.returns,
                    provenance=tool.provenance,
                    tags=tool.tags,
                    service=tool.service,
                )
            )
            labels.append(label)
    return LabeledSet("BFCL multi-turn (8 classes)", tools, labels)


def _class_words(name: str) -> set[str]:
    return {singular(w) for w in split_identifier(name)} - {"api"}


def acebench_classes(data_dir: Path) -> dict[str, str]:
    """Function name -> class of the ACEBench agent functions (rules in the module docstring)."""
    scenarios: list[tuple[set[str], set[str], set[str]]] = []
    for path in sorted(data_dir.glob("data_agent_*.json")):
        answers = {}
        for line in (
            (data_dir / "possible_answer" / path.name).read_text(encoding="utf-8").splitlines()
        ):
            if line.strip():
                record = json.loads(line)
                answers[record["id"]] = record
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            names = {f["name"] for f in record["function"]}
            gold = json.dumps(answers.get(record["id"], {}).get("mile_stone", []))
            called = set(_CALL.findall(gold)) & names
            scenarios.append((set(record["involved_classes"]), names, called))
    labels: dict[str, str] = {}
    for classes, names, _ in scenarios:
        if len(classes) == 1:
            (only,) = classes
            for name in names:
                labels.setdefault(name, only)
    phone = {c for classes, _, _ in scenarios if len(classes) > 1 for c in classes}
    functions = {n for classes, names, _ in scenarios if len(classes) > 1 for n in names}
    for name in sorted(functions - labels.keys()):
        candidates = set(phone)
        for classes, _, called in scenarios:
            if name in called:
                candidates &= classes
        words = {singular(w) for w in split_identifier(name)}
        named = [c for c in candidates if c != BASE_CLASS and _class_words(c) & words]
        if len(candidates) == 1:
            labels[name] = next(iter(candidates))
        elif len(named) == 1:
            labels[name] = named[0]
        elif not named and BASE_CLASS in candidates and len(candidates) == 2:
            labels[name] = BASE_CLASS
    return labels


def acebench_set(external: Path) -> LabeledSet:
    data_dir = external / "acebench" / "data_en"
    classes = acebench_classes(data_dir)
    tools: list[ToolSpec] = []
    labels: list[str] = []
    seen: set[str] = set()
    for tool in _import(sorted(data_dir.glob("data_agent_*.json"))):
        label = classes.get(tool.name)
        if label is not None and tool.name not in seen:
            seen.add(tool.name)
            tools.append(tool)
            labels.append(label)
    return LabeledSet(f"ACEBench agent ({len(set(labels))} classes)", tools, labels)


def builtin_set() -> LabeledSet:
    from agentscaler.catalog import builtin_tools

    tools = [t for t in builtin_tools() if t.tag_value("vertical")]
    labels = [t.tag_value("vertical") or "" for t in tools]
    return LabeledSet(f"built-in catalog ({len(set(labels))} verticals)", tools, labels)
