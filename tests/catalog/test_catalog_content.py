"""Size, balance and schema validity of the built-in catalog."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator

from agentscaler.catalog import verticals
from agentscaler.naming import classify_tool

OPENAI_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def test_catalog_is_large_and_covers_the_everyday_verticals(catalog, by_vertical):
    assert len(catalog) >= 400
    assert len(verticals()) >= 30
    assert sorted(by_vertical) == sorted(verticals())
    required = {
        "retail_orders", "airline", "hotels", "restaurants", "banking", "telecom", "calendar",
        "email", "messaging", "project_management", "ride_hailing", "food_delivery", "clinics",
        "insurance_claims", "real_estate", "hr", "it_helpdesk", "courses", "library", "events",
        "car_rental", "gyms", "pharmacy", "utilities", "shipping", "crm", "returns", "visas",
        "parking", "pet_care",
    }  # fmt: skip
    assert required <= set(verticals())


def test_every_vertical_mixes_reads_and_writes(by_vertical, walk):
    for slug, tools in by_vertical.items():
        kinds = [walk.kind_of(t) for t in tools]
        assert len(tools) >= 10, f"{slug}: only {len(tools)} tools"
        assert 0.2 <= kinds.count("write") / len(kinds) <= 0.8, f"{slug}: unbalanced {kinds}"


def test_writes_are_at_least_35_percent(catalog, walk):
    writes = sum(walk.kind_of(t) == "write" for t in catalog)
    assert writes / len(catalog) >= 0.35


def test_name_based_classification_agrees_with_kind_tags(catalog, walk):
    disagree = [t.name for t in catalog if classify_tool(t.name) != walk.kind_of(t)]
    assert len(disagree) <= 0.05 * len(catalog), f"classify_tool disagrees on {disagree}"


def test_every_tool_has_a_returns_schema_and_a_description(catalog):
    for tool in catalog:
        assert tool.returns and tool.returns.get("type") == "object", tool.name
        assert tool.returns.get("properties"), f"{tool.name}: returns lists no fields"
        assert len(tool.description.split()) >= 8, f"{tool.name}: description too short"


def test_schemas_pass_the_2020_12_metaschema(catalog):
    for tool in catalog:
        Draft202012Validator.check_schema(tool.parameters)
        Draft202012Validator.check_schema(tool.returns)


def test_parameters_are_in_normal_form(catalog):
    for tool in catalog:
        params = tool.parameters
        assert set(params) == {"type", "properties", "required"}, tool.name
        assert params["type"] == "object"
        names = list(params["properties"])
        assert params["required"] == [n for n in names if n in params["required"]], tool.name
        assert len(set(params["required"])) == len(params["required"])


def test_every_property_is_typed_and_described_at_every_depth(catalog, walk):
    types = {"string", "integer", "number", "boolean", "array", "object"}
    for tool in catalog:
        for schema in (tool.parameters, tool.returns):
            for where, _, prop in walk.walk_properties(schema):
                at = f"{tool.name}{where}"
                assert prop.get("type") in types, f"{at}: type {prop.get('type')!r}"
                assert str(prop.get("description", "")).strip(), f"{at}: no description"
                if prop["type"] == "array":
                    assert isinstance(prop.get("items"), dict), f"{at}: array without items"
                if prop["type"] == "object":
                    required = prop.get("required", [])
                    assert set(required) <= set(prop.get("properties", {})), at
                if "default" in prop:
                    assert Draft202012Validator(prop).is_valid(prop["default"]), at
                if "enum" in prop:
                    assert len(set(prop["enum"])) == len(prop["enum"]), at
                    plain = Draft202012Validator({k: v for k, v in prop.items() if k != "enum"})
                    wrong = [v for v in prop["enum"] if not plain.is_valid(v)]
                    assert not wrong, f"{at}: enum values {wrong} do not fit the type"


def test_names_and_ids_are_valid_and_unique(catalog):
    names = [t.name for t in catalog]
    ids = [t.id for t in catalog]
    assert all(OPENAI_NAME.match(n) for n in names)
    assert len(set(names)) == len(names)
    assert len(set(ids)) == len(ids)


def test_provenance_and_tags(catalog):
    for index, tool in enumerate(catalog):
        (prov,) = tool.provenance
        slug = tool.tag_value("vertical")
        assert prov.source == "builtin" and prov.dialect == "builtin"
        assert prov.index == index
        assert prov.original_name == tool.name
        assert prov.pointer == f"verticals/{slug}.yaml#{tool.name}"
        assert all(re.match(r"^[a-z_]+:[a-z0-9_]+$", tag) for tag in tool.tags), tool.tags


def test_tools_export_to_the_openai_format(catalog):
    for tool in catalog:
        function = tool.openai_tool()["function"]
        assert function["name"] == tool.name
        assert function["parameters"]["type"] == "object"


def test_ingestion_keeps_every_builtin_tool_unchanged(catalog):
    """The catalog is already in ingestion's normal form: importing it changes no id."""
    from agentscaler import ingest

    result = ingest.import_sources(["builtin"])
    assert not result.rejects
    assert sorted(t.id for t in result.tools) == sorted(t.id for t in catalog)
