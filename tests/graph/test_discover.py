"""Domain discovery end to end on small pools: grouping, determinism, awkward input."""

from __future__ import annotations

import logging

import pytest
from tests.graph.conftest import FILE_TOOLS, ORDER_TOOLS, WEATHER_TOOLS, tool

from agentscaler.errors import GraphError
from agentscaler.graph import GraphConfig, build_stage, discover_domains
from agentscaler.records import Domain
from agentscaler.workspace import Workspace

HASH = GraphConfig(embedder="hash", threshold=0.2, min_size=2)


def groups_by_name(discovery) -> set[frozenset[str]]:
    return {frozenset(m.name for m in d.members) for d in discovery.domains}


def test_three_apis_become_three_domains(pool, tmp_path):
    found = discover_domains(pool, HASH, graph_dir=tmp_path)
    assert groups_by_name(found) == {
        frozenset(t.name for t in ORDER_TOOLS),
        frozenset(t.name for t in WEATHER_TOOLS),
        frozenset(t.name for t in FILE_TOOLS),
    }
    orders = next(d for d in found.domains if "cancel_order" in d.tool_names)
    assert orders.name.startswith("order")
    assert orders.stats.reads == 2 and orders.stats.writes == 2
    assert {m.kind for m in orders.members if m.name == "cancel_order"} == {"write"}
    assert any(e.kind == "output_input" for e in orders.edges)
    assert orders.stats.dependency_edges == len(orders.edges)
    assert 0 < orders.stats.mean_similarity <= 1
    ids = [d.id for d in found.domains]
    assert ids == sorted(ids) and ids[0].startswith("d0000-")


def test_input_order_does_not_matter(pool, tmp_path):
    a = discover_domains(pool, HASH)
    b = discover_domains(list(reversed(pool)), HASH)
    assert [d.canonical_json() for d in a.domains] == [d.canonical_json() for d in b.domains]


@pytest.mark.parametrize("embedder", ["hash", "minilm"])
def test_same_input_and_seed_give_byte_identical_domains(pool, tmp_path, embedder):
    config = GraphConfig(embedder=embedder, min_size=2)
    outputs = []
    for run in ("first", "second"):
        workspace = Workspace(tmp_path / run)  # separate caches: both runs embed from scratch
        build_stage(workspace, pool, config)
        outputs.append(workspace.domains.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") >= 2


def test_stage_writes_its_files_and_marker(pool, tmp_path):
    workspace = Workspace(tmp_path / "run")
    result = build_stage(workspace, pool, HASH)
    assert (workspace.graph_dir / "edges.npz").exists()
    assert (workspace.graph_dir / "stats.json").exists()
    assert workspace.stage_done("domains", result.fingerprint)
    from agentscaler.jsonl import read_records

    assert read_records(workspace.domains, Domain) == result.domains
    members = sorted(m.tool_id for d in result.domains for m in d.members)
    assert members == sorted(t.id for t in pool)  # every tool in exactly one domain


def test_rerun_reuses_cached_embeddings(pool, tmp_path):
    first = discover_domains(pool, HASH, graph_dir=tmp_path)
    second = discover_domains(pool, HASH, graph_dir=tmp_path)
    assert first.counts["texts_embedded"] == len(pool)
    assert second.counts["texts_embedded"] == 0
    assert [d.canonical_json() for d in first.domains] == [
        d.canonical_json() for d in second.domains
    ]


def test_empty_pool_is_a_clear_error():
    with pytest.raises(GraphError, match=r"empty.*agentscaler tools import"):
        discover_domains([], HASH)


def test_single_tool_makes_one_domain_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        found = discover_domains([ORDER_TOOLS[1]], HASH)
    assert len(found.domains) == 1 and found.domains[0].tool_names == ("get_order",)
    assert any("single tool" in w for w in found.warnings)
    assert "single tool" in caplog.text


def test_tools_without_parameters_are_grouped_by_name_and_description():
    bare = [
        tool("get_login_status", {}, description="Whether the user is logged in."),
        tool("logout", {}, description="Log the user out."),
        tool("login", {}, description="Log the user in."),
    ]
    found = discover_domains([*bare, *WEATHER_TOOLS], HASH)
    assert found.counts["tools_without_parameters"] == 3
    assert sum(len(d.members) for d in found.domains) == 6


def test_duplicate_names_and_ids_warn_and_run_on():
    twin = tool("get_forecast", {"zip_code": "postal code"})
    found = discover_domains([*WEATHER_TOOLS, twin, WEATHER_TOOLS[0]], HASH)
    assert len(found.tools) == 4  # the repeated id is used once
    assert any("repeat an id" in w for w in found.warnings)
    assert any("get_forecast" in w and "rename" in w for w in found.warnings)


def test_threshold_above_every_pair_warns():
    found = discover_domains(WEATHER_TOOLS, GraphConfig(embedder="hash", threshold=0.99))
    assert any("Lower --threshold" in w for w in found.warnings)


def test_parameter_granularity_runs(pool):
    found = discover_domains(pool, HASH.model_copy(update={"granularity": "param"}))
    assert sum(len(d.members) for d in found.domains) == len(pool)
