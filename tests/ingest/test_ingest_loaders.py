"""Each dialect loads: OpenAI, MCP (live server), OpenAPI, BFCL, Seal-Tools, ACEBench."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from agentscaler.ingest import SourceFormat, import_sources
from agentscaler.ingest.rejects import RejectReason
from agentscaler.ingest.type_names import JSON_TYPES


def by_name(result):
    return {t.name: t for t in result.tools}


def all_types(schema):
    """Every ``type`` value inside a normalized schema."""
    found = []
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind is not None:
            found.extend(kind if isinstance(kind, list) else [kind])
        for key, value in schema.items():
            if key == "properties":
                for sub in value.values():
                    found.extend(all_types(sub))
            elif key in ("items", "additionalProperties", "not"):
                found.extend(all_types(value))
            elif key in ("prefixItems", "anyOf", "oneOf", "allOf"):
                for sub in value:
                    found.extend(all_types(sub))
    return found


# --- OpenAI ------------------------------------------------------------------------------------


def test_openai_shapes(write, make_tool):
    wrapped = make_tool("get_order", order_id=None)
    bare = make_tool("cancel_order", order_id=None, reason=None)["function"]
    flat = {"type": "function", **make_tool("track_parcel", tracking=None)["function"]}
    paths = [
        write("list.json", [wrapped]),
        write("object.json", {"tools": [bare]}),
        write("lines.jsonl", [flat]),
        write(
            "legacy.json",
            {"functions": [make_tool("refund", amount={"type": "number"})["function"]]},
        ),
    ]
    result = import_sources([str(p) for p in paths])
    assert sorted(by_name(result)) == ["cancel_order", "get_order", "refund", "track_parcel"]
    assert {t.provenance[0].dialect for t in result.tools} == {"openai"}
    pointers = {t.name: t.provenance[0].pointer for t in result.tools}
    assert pointers == {
        "get_order": "/0",
        "cancel_order": "/tools/0",
        "track_parcel": "",
        "refund": "/functions/0",
    }
    assert result.rejects == []


def test_openai_returns_key_is_read(write, make_tool):
    tool = make_tool("get_order", order_id=None)
    tool["function"]["returns"] = {"type": "object", "properties": {"total": {"type": "float"}}}
    result = import_sources([str(write("t.json", [tool]))])
    assert result.tools[0].returns == {
        "type": "object",
        "properties": {"total": {"type": "number"}},
    }


def test_openai_non_function_tools_are_rejected(write, make_tool):
    path = write("t.json", [{"type": "web_search"}, make_tool("ok_tool", q=None), {"oops": 1}])
    result = import_sources([str(path)], format="openai")
    assert [t.name for t in result.tools] == ["ok_tool"]
    assert [(r.index, r.reason) for r in result.rejects] == [
        (0, RejectReason.NOT_A_TOOL),
        (2, RejectReason.NOT_A_TOOL),
    ]
    assert "web_search" in result.rejects[0].message


# --- MCP ---------------------------------------------------------------------------------------


async def _mcp_tools_list() -> dict:
    """``tools/list`` of a ``mcp-server-time`` process started here, through the ``mcp`` SDK's
    stdio client, as the JSON-RPC response a client receives."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    server = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_server_time", "--local-timezone", "UTC"]
    )
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        result = await session.list_tools()
        answer = await session.call_tool("get_current_time", {"timezone": "Europe/Paris"})
    assert not answer.is_error and answer.structured_content["timezone"] == "Europe/Paris"
    listed = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {"jsonrpc": "2.0", "id": 2, "result": listed}


def _check_time_tools(result, metaschema):
    tools = by_name(result)
    assert {"get_current_time", "convert_time"} <= set(tools)
    assert result.rejects == []
    convert = tools["convert_time"]
    assert convert.provenance[0].dialect == "mcp"
    assert convert.provenance[0].pointer.startswith("/result/tools/")
    assert convert.parameters["required"] == ["source_timezone", "time", "target_timezone"]
    assert convert.tags == ("kind:read",)
    # outputSchema with $ref to $defs is inlined into returns
    assert convert.returns is not None
    source = convert.returns["properties"]["source"]
    assert source["type"] == "object" and "datetime" in source["properties"]
    assert "$ref" not in json.dumps(convert.returns)
    for tool in result.tools:
        metaschema(tool.parameters)
        metaschema(tool.returns)


def test_mcp_tools_list_from_a_live_server(tmp_path, metaschema):
    """A real MCP server process (the dev dependency ``mcp-server-time``), asked by the SDK."""
    response = asyncio.run(asyncio.wait_for(_mcp_tools_list(), timeout=60))
    path = tmp_path / "time_tools.json"
    path.write_text(json.dumps(response))
    _check_time_tools(import_sources([str(path)]), metaschema)


def test_mcp_tools_list_captured_from_stdio(data_dir, metaschema):
    """The same server's answer captured over raw stdio JSON-RPC (see data/README.md)."""
    _check_time_tools(import_sources([str(data_dir / "mcp_time_tools_list.json")]), metaschema)


def test_mcp_result_and_bare_list_shapes(write):
    tool = {
        "name": "echo",
        "title": "Echo text back",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
    }
    result = import_sources(
        [str(write("a.json", {"tools": [tool]})), str(write("b.json", [dict(tool, name="echo2")]))]
    )
    assert sorted(by_name(result)) == ["echo", "echo2"]
    assert by_name(result)["echo"].description == "Echo text back"


# --- OpenAPI -----------------------------------------------------------------------------------


def test_openapi_yaml_pet_clinic(data_dir, metaschema):
    result = import_sources([str(data_dir / "petclinic.yaml")])
    tools = by_name(result)
    assert result.rejects == []
    assert set(tools) == {
        "listOwners",
        "createOwner",
        "getOwner",
        "updateOwner",
        "addPet",
        "listVisits",
        "scheduleVisit",
        "get_vets",
    }
    assert {t.provenance[0].dialect for t in result.tools} == {"openapi"}
    # query parameters from component $refs; header parameters left out
    assert set(tools["listOwners"].parameters["properties"]) == {"lastName", "page"}
    assert tools["listOwners"].parameters["properties"]["page"]["default"] == 1
    # path-level parameter + flattened body from a $ref, required names kept
    add_pet = tools["addPet"].parameters
    assert set(add_pet["properties"]) == {"ownerId", "name", "species", "birth_date"}
    assert add_pet["required"] == ["ownerId", "name", "species"]
    assert add_pet["properties"]["species"]["enum"] == ["dog", "cat", "bird", "rabbit", "reptile"]
    assert add_pet["properties"]["birth_date"]["examples"] == [
        "2021-06-01"
    ]  # YAML date kept as text
    # allOf body merged
    update = tools["updateOwner"].parameters
    assert set(update["properties"]) == {"ownerId", "email", "telephone", "preferred_contact"}
    assert update["required"] == ["ownerId", "email"]
    # arrays of objects, nullable
    visit = tools["scheduleVisit"].parameters["properties"]
    assert visit["procedures"]["items"]["required"] == ["code"]
    assert visit["vet_id"]["type"] == ["integer", "null"]
    # returns through a $ref'd response; the Pet <-> Owner cycle is cut
    owner = tools["getOwner"].returns
    assert owner["type"] == "object" and "pets" in owner["properties"]
    assert "recursive reference" in json.dumps(owner)
    assert tools["getOwner"].tags == ("kind:read", "category:owners")
    assert tools["createOwner"].tags[0] == "kind:write"
    assert tools["get_vets"].provenance[0].original_name == "get /vets"
    for tool in result.tools:
        metaschema(tool.parameters)
        if tool.returns is not None:
            metaschema(tool.returns)


def test_openapi_json_orders_and_shipping(data_dir, metaschema):
    result = import_sources([str(data_dir / "orders_shipping.json")])
    tools = by_name(result)
    assert set(tools) == {
        "searchOrders",
        "createOrder",
        "getOrder",
        "cancelOrder",
        "createShipment",
        "trackShipment",
        "getCategory",
    }
    # the one broken operation is rejected alone, naming the field
    [reject] = result.rejects
    assert reject.reason == RejectReason.UNRESOLVED_REF
    assert reject.tool == "requestReturn"
    assert reject.pointer == "/paths/~1returns/post"
    assert "MissingItem" in reject.message and reject.field.startswith("/requestBody/")
    search = tools["searchOrders"].parameters["properties"]
    assert search["status"]["enum"] == [
        "pending",
        "processing",
        "shipped",
        "delivered",
        "cancelled",
    ]
    assert search["limit"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    create = tools["createOrder"].parameters
    assert create["required"] == ["customer_id", "items", "shipping_address"]
    assert create["properties"]["shipping_address"]["properties"]["country"]["maxLength"] == 2
    assert create["properties"]["items"]["items"]["required"] == ["product_id", "quantity"]
    assert create["properties"]["gift_message"]["type"] == ["string", "null"]
    shipment = tools["createShipment"].parameters["properties"]["packages"]["items"]
    assert shipment["properties"]["items"]["items"]["properties"]["quantity"]["minimum"] == 1
    assert tools["cancelOrder"].returns is None  # 204: no content
    assert tools["trackShipment"].returns["properties"]["events"]["type"] == "array"  # 2XX
    assert set(tools["trackShipment"].parameters["properties"]) == {"tracking_number"}
    children = tools["getCategory"].returns["properties"]["children"]["items"]
    assert children["$comment"] == "recursive reference #/components/schemas/Category not expanded"
    for tool in result.tools:
        metaschema(tool.parameters)
        if tool.returns is not None:
            metaschema(tool.returns)


# --- BFCL, Seal-Tools, ACEBench ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["BFCL_v4_simple_java.json", "BFCL_v4_simple_javascript.json"])
def test_bfcl_java_and_javascript_types(external, name, metaschema):
    path = external(f"bfcl/{name}")
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    result = import_sources([str(path)])
    assert result.rejects == []
    assert result.summary.records_read == sum(len(r["function"]) for r in records)
    assert all(t.provenance[0].dialect == "bfcl" for t in result.tools)
    seen = set()
    for tool in result.tools:
        metaschema(tool.parameters)
        seen.update(all_types(tool.parameters))
        assert tool.name == tool.provenance[0].original_name.replace(".", "_")
    assert seen <= set(JSON_TYPES)
    assert {"object", "array", "string"} <= seen


def test_bfcl_dialect_fixture(write):
    line = {
        "id": "x_0",
        "question": [[{"role": "user", "content": "hi"}]],
        "function": [
            {
                "name": "Store.put",
                "description": "Put a value.",
                "parameters": {
                    "type": "dict",
                    "properties": {
                        "key": {"type": "String"},
                        "value": {"type": "any"},
                        "pair": {"type": "tuple", "items": {"type": "float"}},
                        "options": {"type": "HashMap", "properties": {"ttl": {"type": "long"}}},
                        "tags": {"type": "ArrayList", "items": {"type": "char"}},
                    },
                    "required": ["key", "value"],
                },
            }
        ],
    }
    text = json.dumps(line) + "\n" + json.dumps(line) + "\n"
    result = import_sources([str(write("BFCL_v4_custom.json", text))])
    [tool] = result.tools
    assert tool.name == "Store_put"
    assert tool.parameters["properties"] == {
        "key": {"type": "string"},
        "value": {},
        "pair": {"type": "array", "items": {"type": "number"}},
        "options": {"type": "object", "properties": {"ttl": {"type": "integer"}}},
        "tags": {"type": "array", "items": {"type": "string"}},
    }
    assert [p.index for p in tool.provenance] == [1, 2]
    assert result.summary.exact_merged == 1


def test_bfcl_multi_turn_docs_carry_returns(external):
    path = external("bfcl/multi_turn_func_doc/math_api.json")
    raw = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    result = import_sources([str(path)])
    assert result.summary.records_read == len(raw)
    assert all(t.returns is not None and t.returns["type"] == "object" for t in result.tools)


def test_seal_tools_first_records(external, tmp_path):
    lines = external("seal-tools/tool.jsonl").read_text().splitlines()[:50]
    path = tmp_path / "tool.jsonl"
    path.write_text("\n".join(lines) + "\n")
    raw = [json.loads(line) for line in lines]
    result = import_sources([str(path)])
    assert result.summary.records_read == 50 and result.rejects == []
    tools = by_name(result)
    for record in raw:
        tool = tools[record["api_name"]]
        assert tool.provenance[0].dialect == "seal-tools"
        assert set(tool.parameters["properties"]) == set(record["parameters"])
        assert tool.parameters["required"] == [
            r for r in record["required"] if r in record["parameters"]
        ]
        assert set(tool.returns["properties"]) == set(record["responses"])
        assert f"category:{record['field']}" in tool.tags


def test_acebench_arguments_and_results(external):
    path = external("acebench/data_en/data_normal_atom_bool.json")
    result = import_sources([str(path)])
    assert result.rejects == []
    assert {t.provenance[0].dialect for t in result.tools} == {"acebench"}
    with_arguments = [
        f
        for line in path.read_text().splitlines()
        if line.strip()
        for f in json.loads(line)["function"]
        if "arguments" in f
    ]
    assert with_arguments, "the file uses ACEBench's arguments/results form"
    tools = {t.provenance[0].original_name: t for t in result.tools}
    for function in with_arguments:
        tool = tools[function["name"]]
        assert set(tool.parameters["properties"]) == set(function["arguments"]["properties"])
        assert tool.returns is not None
        assert any(tag.startswith("category:") for tag in tool.tags)


def test_format_forcing_changes_the_dialect(external, tmp_path):
    lines = external("acebench/data_en/data_normal_atom_bool.json").read_text().splitlines()[:3]
    path = tmp_path / "renamed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    forced = import_sources([str(path)], format=SourceFormat.BFCL)
    assert {t.provenance[0].dialect for t in forced.tools} == {"bfcl"}
    detected = import_sources([str(path)])
    assert {t.provenance[0].dialect for t in detected.tools} == {"acebench"}
    assert [t.id for t in forced.tools] == [t.id for t in detected.tools]
