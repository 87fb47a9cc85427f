"""Worlds compiled from real external catalogs (BFCL stateful API classes, Seal-Tools fields)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from agentscaler import ingest
from agentscaler.worlds.checks.conformance import check_world
from agentscaler.worlds.compiler import compile_world


def _group_by_file(tools) -> dict[str, list]:
    groups = defaultdict(list)
    for tool in tools:
        groups[Path(tool.provenance[0].source).stem].append(tool)
    return groups


def test_bfcl_stateful_api_classes_compile_and_pass_conformance(external):
    folder = external("bfcl/multi_turn_func_doc")
    tools = ingest.import_sources([str(folder)]).tools
    groups = _group_by_file(tools)
    assert len(groups) >= 8
    failures = []
    table_tools = total = 0
    for name, members in sorted(groups.items()):
        world = compile_world(f"bfcl-{name}", name, members)
        report = check_world(world)
        if not report.passed:
            failures.append(f"{name}: {report.summary()}")
        total += len(world.world.tools)
        table_tools += sum(not b.fallback for b in world.world.tools)
    assert not failures, failures
    assert table_tools / total >= 0.5


def test_seal_tools_fields_compile_and_pass_conformance(external):
    path = external("seal-tools/tool.jsonl")
    tools = ingest.import_sources([str(path)]).tools
    by_field = defaultdict(list)
    import json

    fields = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        fields[record["api_name"]] = record["field"]
    for tool in tools:
        by_field[fields.get(tool.provenance[0].original_name, "?")].append(tool)
    chosen = sorted(by_field)[:: max(1, len(by_field) // 12)][:12]
    failures = []
    for field in chosen:
        world = compile_world(f"seal-{len(failures)}", field, by_field[field][:30])
        report = check_world(world)
        if not report.passed:
            failures.append(f"{field}: {report.summary()}")
    assert not failures, failures


def test_a_range_stated_in_a_real_arguments_description_is_enforced(external):
    """BFCL's ``archive_documents``: compression_level "ranging from 0 (no compression) to 9"
    with no bounds in its schema becomes two limit rules, and the world refuses 10."""
    path = external("bfcl/BFCL_v4_live_multiple.json")
    tools = [t for t in ingest.import_sources([str(path)]).tools if t.name == "archive_documents"]
    assert tools, "archive_documents is in BFCL live multiple"
    tool = tools[0]
    level = tool.parameters["properties"]["compression_level"]
    assert "maximum" not in level and "ranging from 0" in level.get("description", "")
    world = compile_world("bfcl-archive", "archive", [tool])
    checks = {r.check for r in world.spec.tools[tool.name].requires}
    assert {"$compression_level >= 0", "$compression_level <= 9"} <= checks
    env = world.make_env()
    arguments = {"document_ids": ["DOC-1"], "archive_format": "zip", "storage_path": "/a.zip"}
    refused = env.call(tool.name, **arguments, compression_level=10)
    assert refused.error_type == "precondition_failed", refused.observation
    assert refused.observation["error"]["rule"] == "at_most_compression_level"
