"""Fixtures of the world tests: fixture tools grouped by vertical, compiled worlds, run folders."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from agentscaler.catalog import vertical_tools
from agentscaler.jsonl import write_records
from agentscaler.records import Domain, DomainMember, DomainStats, ToolSpec
from agentscaler.records.world import Column, Table, ToolBinding, World
from agentscaler.worlds.compiler import compile_world
from agentscaler.worlds.runtime.loader import CompiledWorld

DATA = Path(__file__).parent / "data"


def fixture_tools() -> list[ToolSpec]:
    """The fixture tools of tests/worlds/data/tools.json (tagged ``vertical:<name>``)."""
    tools = []
    for raw in json.loads((DATA / "tools.json").read_text()):
        tools.append(
            ToolSpec.create(
                name=raw["name"].replace(".", "_"),
                description=raw["description"],
                parameters=raw["parameters"],
                returns=raw.get("returns"),
                tags=(f"vertical:{raw['vertical']}",),
            )
        )
    return tools


def domains_by_vertical(tools: list[ToolSpec]) -> list[Domain]:
    """Domain records grouping tools by their ``vertical:`` tag."""
    from agentscaler.naming import classify_tool

    groups: dict[str, list[ToolSpec]] = defaultdict(list)
    for tool in tools:
        groups[tool.tag_value("vertical") or "misc"].append(tool)
    domains = []
    for index, (vertical, members) in enumerate(sorted(groups.items())):
        kinds = [classify_tool(t.name, t.tags) for t in members]
        domains.append(
            Domain(
                id=f"d{index:04d}-{vertical.replace('_', '-')}",
                name=vertical.replace("_", " "),
                members=tuple(
                    DomainMember(tool_id=t.id, name=t.name, kind=k)
                    for t, k in zip(members, kinds, strict=True)
                ),
                stats=DomainStats(
                    size=len(members),
                    reads=kinds.count("read"),
                    writes=kinds.count("write"),
                    internal_similarity_edges=0,
                    dependency_edges=0,
                    mean_similarity=0.0,
                ),
            )
        )
    return domains


def make_run_folder(root: Path, tools: list[ToolSpec]) -> Path:
    """A run folder with tools.jsonl and domains.jsonl (one domain per vertical)."""
    root.mkdir(parents=True, exist_ok=True)
    write_records(root / "tools.jsonl", tools)
    write_records(root / "domains.jsonl", domains_by_vertical(tools))
    return root


_COMPILED: dict[str, CompiledWorld] = {}


def compiled_vertical(vertical: str) -> CompiledWorld:
    """The fixture vertical compiled once per test session."""
    if vertical not in _COMPILED:
        tools = [t for t in fixture_tools() if t.tag_value("vertical") == vertical]
        _COMPILED[vertical] = compile_world(f"d-{vertical}", vertical, tools)
    return _COMPILED[vertical]


@pytest.fixture
def shop() -> CompiledWorld:
    return compiled_vertical("shop")


@pytest.fixture
def helpdesk() -> CompiledWorld:
    return compiled_vertical("helpdesk")


@pytest.fixture
def notes() -> CompiledWorld:
    return compiled_vertical("notes")


_BUILTIN: dict[str, CompiledWorld] = {}


def builtin_world(vertical: str) -> CompiledWorld:
    """The built-in catalog's vertical compiled once per test session."""
    if vertical not in _BUILTIN:
        _BUILTIN[vertical] = compile_world(f"v-{vertical}", vertical, vertical_tools(vertical))
    return _BUILTIN[vertical]


def set_row(env, table: str, key_column: str, key, **values) -> None:
    """Put a row into a known state (as a seeded state would be)."""
    assignments = ", ".join(f'"{c}" = ?' for c in values)
    env.db._conn.execute(
        f'UPDATE "{table}" SET {assignments} WHERE "{key_column}" = ?', (*values.values(), key)
    )
    env.restore(env.snapshot().data)  # drop cached table digests


def doc_tool(name: str, description: str, params: dict, required: list[str], returns: dict):
    """A tool as a service's docs give it: its parameters and the fields it returns."""
    return ToolSpec.create(
        name=name,
        description=description,
        parameters={"type": "object", "properties": params, "required": required},
        returns={"type": "object", "properties": returns},
    )


def replayed(world, calls):
    """The outputs of ``calls`` (``(name, arguments)`` pairs) replayed on an imported world
    from its initial state, and the final state in the data's shape."""
    from agentscaler.worlds.importing.replay import Call, replay, state_document

    *outputs, last = list(replay(world, [Call(n, a, i) for i, (n, a) in enumerate(calls)]))
    return outputs, state_document(world, last["final_state"])


def items_world(*columns: Column, name: str = "test") -> World:
    """A world of one ``items`` table (key ``item_id``, ``IT-001``...) with ``columns`` beside
    its key, and one tool that reads nothing."""
    table = Table(
        name="items",
        entity="item",
        primary_key="item_id",
        id_prefix="IT-",
        id_width=3,
        columns=(Column(name="item_id", type="TEXT", nullable=False, primary_key=True), *columns),
    )
    return World(
        id=f"w-{name}",
        domain_id=f"d-{name}",
        name=name,
        tables=(table,),
        tools=(ToolBinding(name="noop", tool_id="t", kind="read", operation="compute"),),
        code_hash="",
    )
