"""Domains over service units: services stay whole, similar ones merge, large ones split."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

from agentscaler.graph import GraphConfig, discover_domains
from agentscaler.graph.communities import detect_communities
from agentscaler.graph.units import unit_communities
from agentscaler.records import ToolSpec

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FILE_TOOLS, ORDER_TOOLS, WEATHER_TOOLS, tool


def _in(service: str, tools: list[ToolSpec]) -> list[ToolSpec]:
    return [t.model_copy(update={"service": service}) for t in tools]


def _domains_of(discovery) -> dict[str | None, set[str]]:
    by_id = {t.id: t for t in discovery.tools}
    found: dict[str | None, set[str]] = defaultdict(set)
    for domain in discovery.domains:
        for member in domain.members:
            found[by_id[member.tool_id].service].add(domain.id)
    return found


def _services_of(discovery) -> list[set[str | None]]:
    by_id = {t.id: t for t in discovery.tools}
    return [{by_id[m.tool_id].service for m in d.members} for d in discovery.domains]


def test_a_service_stays_whole_even_when_its_tools_look_like_another_service():
    # a shop service that also exposes a weather widget: flat grouping tears it apart
    shop = _in("mcp:shop.json", [*ORDER_TOOLS, WEATHER_TOOLS[0]])
    weather = _in("mcp:weather.json", WEATHER_TOOLS[1:])
    files = _in("mcp:files.json", FILE_TOOLS)
    config = GraphConfig(embedder="hash", min_size=1)
    found = discover_domains([*shop, *weather, *files], config)
    assert all(len(ids) == 1 for ids in _domains_of(found).values())
    flat = discover_domains([*shop, *weather, *files], config.model_copy(update={"units": "none"}))
    forecast = next(t for t in flat.tools if t.name == "get_forecast")
    shop_domains = {
        d.id for d in flat.domains for m in d.members if m.name in {t.name for t in ORDER_TOOLS}
    }
    assert not any(
        m.tool_id == forecast.id for d in flat.domains if d.id in shop_domains for m in d.members
    ), "the flat grouping should put the forecast with the weather tools"
    assert found.units is not None and found.units.services == 3
    stats = found.stats(config)["units"]
    assert stats["services_whole"] == 3 and stats["services_split"] == []


def test_dissimilar_services_do_not_share_a_domain_but_copies_of_one_service_do():
    orders_a = _in("openai:a.json", ORDER_TOOLS)
    orders_b = [
        t.model_copy(update={"service": "openai:b.json"})
        for t in (
            tool(f"{x.name}_v2", {k: v for k, v in x.parameters["properties"].items()})
            for x in ORDER_TOOLS
        )
    ]
    files = _in("openai:files.json", FILE_TOOLS)
    config = GraphConfig(embedder="hash", min_size=1, threshold=0.1)
    found = discover_domains([*orders_a, *orders_b, *files], config)
    groups = _services_of(found)
    assert {"openai:a.json", "openai:b.json"} in groups
    assert {"openai:files.json"} in groups
    # with an affinity no pair of services reaches, every service is a domain of its own
    strict = discover_domains(
        [*orders_a, *orders_b, *files], config.model_copy(update={"unit_affinity": 10.0})
    )
    assert sorted(map(sorted, _services_of(strict))) == [
        ["openai:a.json"],
        ["openai:b.json"],
        ["openai:files.json"],
    ]


def test_a_service_too_large_for_one_world_is_split_by_similarity_and_reported():
    big = _in("openapi:everything.yaml", [*ORDER_TOOLS, *WEATHER_TOOLS, *FILE_TOOLS])
    config = GraphConfig(embedder="hash", min_size=1, max_size=5)
    found = discover_domains(big, config)
    assert all(len(d.members) <= 5 for d in found.domains)
    assert found.units is not None
    (split,) = found.units.splits
    assert split.service == "openapi:everything.yaml" and split.tools == 11
    assert sum(split.parts) == 11 and len(split.parts) >= 3
    assert any("openapi:everything.yaml" in w and "split" in w for w in found.warnings)
    # the cut follows similarity: the weather tools are never torn from each other
    weather = {t.name for t in WEATHER_TOOLS}
    holding = [d for d in found.domains if weather & {m.name for m in d.members}]
    assert len(holding) == 1
    assert found.stats(config)["units"]["services_split"][0]["parts"] == list(split.parts)


def test_loose_tools_still_merge_with_the_service_they_resemble():
    service = _in("mcp:orders.json", ORDER_TOOLS[:3])
    loose = [ORDER_TOOLS[3], *WEATHER_TOOLS]
    found = discover_domains([*service, *loose], GraphConfig(embedder="hash", min_size=1))
    refund = next(t for t in found.tools if t.name == "refund_order")
    orders = next(d for d in found.domains if "cancel_order" in d.tool_names)
    assert refund.id in {m.tool_id for m in orders.members}
    assert not {t.name for t in WEATHER_TOOLS} & set(orders.tool_names)


def test_units_none_and_pools_without_services_are_the_flat_grouping(pool):
    config = GraphConfig(embedder="hash", min_size=1)
    flat = discover_domains(pool, config.model_copy(update={"units": "none"}))
    unserviced = discover_domains(pool, config)
    assert unserviced.units is None and flat.units is None
    assert unserviced.communities == flat.communities
    services = _in("mcp:x.json", pool)
    ignored = discover_domains(services, config.model_copy(update={"units": "none"}))
    assert ignored.communities == flat.communities
    assert detect_communities(flat.edges, min_size=1) == flat.communities


def test_unit_communities_are_deterministic_and_partition_the_pool(pool):
    tools = _in("mcp:a.json", pool[:4]) + _in("mcp:b.json", pool[4:7]) + pool[7:]
    found = discover_domains(tools, GraphConfig(embedder="hash", min_size=1))
    again, _ = unit_communities(found.edges, found.tools, min_size=1)
    assert again == found.communities
    members = sorted(i for c in found.communities for i in c)
    assert members == list(range(len(found.tools)))


def test_builtin_catalog_domains_are_its_verticals():
    from agentscaler.ingest import import_sources

    tools = import_sources(["builtin"]).tools
    assert all(t.service == f"vertical:{t.tag_value('vertical')}" for t in tools)
    found = discover_domains(tools, GraphConfig(embedder="hash"))
    services = _services_of(found)
    single = sum(1 for s in services if len(s) == 1)
    assert single >= 0.95 * len(services)
    assert all(len(ids) == 1 for ids in _domains_of(found).values()), "a vertical was split"


@pytest.fixture
def external_root(external) -> Path:
    return external("bfcl/multi_turn_func_doc").parents[1]


def test_benchmark_classes_and_scenarios_each_lie_within_one_domain(external_root):
    from agentscaler.ingest import import_sources

    bfcl = sorted((external_root / "bfcl" / "multi_turn_func_doc").glob("*.json"))
    agent = sorted((external_root / "acebench" / "data_en").glob("data_agent_*.json"))
    tools = import_sources([str(p) for p in [*bfcl, *agent]]).tools
    classes = {t.service for t in tools}
    assert {f"class:{p.stem}" for p in bfcl} <= classes
    assert "scenario:data_agent_multi_turn:Travel" in classes
    found = discover_domains(tools, GraphConfig(embedder="hash"))
    spread = {s: ids for s, ids in _domains_of(found).items() if len(ids) > 1}
    assert spread == {}
    # every ACEBench scenario's tool list (one line of the file) lies within one domain
    import json

    domain_of = {m.name: d.id for d in found.domains for m in d.members}
    for path in agent:
        for line in path.read_text(encoding="utf-8").splitlines():
            names = {f["name"] for f in json.loads(line)["function"]}
            assert len({domain_of[n] for n in names}) == 1, names
