"""The service each imported tool belongs to, by dialect, through merging and pools."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from agentscaler.errors import SchemaVersionError
from agentscaler.ingest import import_sources, load_pool, write_pool
from agentscaler.records import ToolSpec


def test_catalog_files_are_services(data_dir, write, make_tool):
    mcp = data_dir / "mcp_time_tools_list.json"
    openai = write("agent_tools.json", [make_tool("get_order", order_id=None), make_tool("ping")])
    openapi = data_dir / "orders_shipping.json"
    tools = import_sources([str(mcp), str(openai), str(openapi)]).tools
    services = Counter(t.service for t in tools)
    assert set(services) == {f"mcp:{mcp}", f"openai:{openai}", f"openapi:{openapi}"}
    assert all(count > 1 for count in services.values())


def test_builtin_tools_belong_to_their_vertical():
    tools = import_sources(["builtin"]).tools
    verticals = {t.tag_value("vertical") for t in tools}
    assert {t.service for t in tools} == {f"vertical:{v}" for v in verticals}
    assert len(verticals) == 35


def test_benchmark_files_give_classes_scenarios_or_loose_tools(external_root):
    bfcl = external_root / "bfcl"
    classes = import_sources([str(bfcl / "multi_turn_func_doc" / "ticket_api.json")]).tools
    assert {t.service for t in classes} == {"class:ticket_api"}
    questions = import_sources([str(bfcl / "BFCL_v4_multiple.json")]).tools
    assert {t.service for t in questions} == {None}
    ace = external_root / "acebench" / "data_en"
    agent = import_sources([str(ace / "data_agent_multi_turn.json")]).tools
    by_name = {t.name: t.service for t in agent}
    assert by_name["reserve_flight"] == by_name["find_transfer_flights"]
    assert by_name["reserve_flight"] == "scenario:data_agent_multi_turn:Travel"
    assert by_name["send_message"].startswith("scenario:data_agent_multi_turn:BaseApi")
    assert by_name["send_message"] == by_name["get_products"]
    normal = import_sources([str(ace / "data_normal_single_turn_single_function.json")]).tools
    assert {t.service for t in normal} == {None}
    seal = import_sources([str(external_root / "seal-tools" / "tool.jsonl")]).tools
    assert {t.service for t in seal} == {None}


def test_a_tool_read_loose_then_in_a_service_belongs_to_the_service(write, make_tool):
    tool = make_tool("get_order", order_id=None)
    loose = write("loose.jsonl", [{"function": [tool["function"]], "question": "?"}])
    service = write("shop.json", [tool, make_tool("cancel_order", order_id=None)])
    result = import_sources([str(loose), str(service)], format=None)
    (merged,) = [t for t in result.tools if t.name == "get_order"]
    assert merged.service == f"openai:{service}"
    assert len(merged.provenance) == 2


def test_pools_keep_services_and_old_pools_read_without_them(tmp_path, data_dir):
    source = data_dir / "petclinic.yaml"
    tools = import_sources([str(source)]).tools
    pool = tmp_path / "tools.jsonl"
    write_pool(pool, tools, [])
    again = import_sources([str(pool)]).tools
    assert (
        [t.service for t in again]
        == [t.service for t in tools]
        == [f"openapi:{source}"] * len(tools)
    )
    # a version 1 record (written before services) reads as a version 2 record with no service
    old = tools[0].to_json_dict()
    del old["service"]
    old["schema_version"] = 1
    (tmp_path / "old.jsonl").write_text(json.dumps(old) + "\n", encoding="utf-8")
    (read,) = load_pool(tmp_path / "old.jsonl")
    assert read.service is None and read.schema_version == ToolSpec.SCHEMA_VERSION == 2
    assert read.id == tools[0].id
    future = {**old, "schema_version": 3}
    with pytest.raises(SchemaVersionError, match=r"schema_version 3.*reads version 1 or 2"):
        ToolSpec.from_json_dict(future, where="tools.jsonl:1")


def test_a_world_is_called_by_the_service_its_tools_come_from():
    from agentscaler.ingest.services import main_service, service_title

    assert service_title("vertical:real_estate") == "real estate"
    assert service_title("class:gorilla_file_system") == "gorilla file system"
    assert service_title("scenario:data_multi:FoodPlatform+MessageApi") == (
        "food platform and message api"
    )
    assert service_title("mcp:specs/github.json") == "github"
    assert main_service(["vertical:hotels"] * 9 + [None]) == "vertical:hotels"
    assert main_service(["vertical:hotels"] * 3 + ["vertical:airline"] * 2) is None  # mixed
    assert main_service([None, None]) is None
