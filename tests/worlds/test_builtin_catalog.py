"""Every world compiled from the built-in catalog passes conformance (by vertical and by domain)."""

from __future__ import annotations

import pytest

from agentscaler import catalog, graph
from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.compiler import compile_world


def _verticals() -> list[str]:
    return catalog.verticals()


def test_the_catalog_is_large_enough_to_matter():
    assert len(catalog.builtin_tools()) >= 300


@pytest.mark.parametrize("vertical", _verticals())
def test_every_builtin_vertical_compiles_and_passes_conformance(vertical):
    tools = [t for t in catalog.builtin_tools() if t.tag_value("vertical") == vertical]
    world = compile_world(f"v-{vertical}", vertical, tools)
    report = check_world(world)
    assert report.passed, "; ".join(f"{f.check} [{f.tool}] {f.detail}" for f in report.failures)
    bindings = world.world.tools
    real = sum(not b.fallback for b in bindings)
    assert real / len(bindings) >= 0.75, (
        f"only {real} of {len(bindings)} tools are table operations"
    )


@pytest.mark.slow
@pytest.mark.parametrize("embedder", ["hash", "default"])
def test_every_discovered_builtin_domain_passes_conformance(embedder):
    config = graph.GraphConfig(embedder="hash") if embedder == "hash" else graph.GraphConfig()
    tools = catalog.builtin_tools()
    by_id = {t.id: t for t in tools}
    discovery = graph.discover_domains(tools, config)
    failures = []
    for domain in discovery.domains:
        world = compile_world(domain.id, domain.name, [by_id[m.tool_id] for m in domain.members])
        report = check_world(world)
        if not report.passed:
            failures.append(f"{domain.id}: {report.summary()}")
    assert not failures, failures
