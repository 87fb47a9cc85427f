"""The normal form: dialect types mapped, $ref inlined (cycles cut), valid 2020-12, idempotent."""

from __future__ import annotations

import json

import pytest

from agentscaler.errors import RecordRejected
from agentscaler.ingest import IngestConfig, normalize_parameters, normalize_returns
from agentscaler.ingest.rejects import RejectReason


def params(**properties):
    return {"type": "dict", "properties": properties, "required": list(properties)}


def normalized_type(type_name):
    out = normalize_parameters(params(p={"type": type_name}))
    return out["properties"]["p"]


@pytest.fixture
def normal(metaschema):
    """Normalize parameters, check 2020-12 validity and idempotence, return the result."""

    def run(raw, **kwargs):
        out = normalize_parameters(raw, **kwargs)
        metaschema(out)
        assert normalize_parameters(out) == out, "normalizing the normal form changed it"
        assert set(out) == {"type", "properties", "required"}
        return out

    return run


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("dict", "object"),
        ("HashMap", "object"),
        ("object", "object"),
        ("float", "number"),
        ("double", "number"),
        ("number", "number"),
        ("long", "integer"),
        ("int", "integer"),
        ("integer", "integer"),
        ("short", "integer"),
        ("byte", "integer"),
        ("str", "string"),
        ("String", "string"),
        ("char", "string"),
        ("tuple", "array"),
        ("list", "array"),
        ("Array", "array"),
        ("ArrayList", "array"),
        ("bool", "boolean"),
        ("Boolean", "boolean"),
    ],
)
def test_dialect_type_names(dialect, expected, metaschema):
    schema = normalized_type(dialect)
    assert schema["type"] == expected
    metaschema(schema)


@pytest.mark.parametrize("name", ["any", "", "Any"])
def test_any_has_no_type_restriction(name):
    assert "type" not in normalized_type(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("String[]", {"type": "array", "items": {"type": "string"}}),
        ("List<Long>", {"type": "array", "items": {"type": "integer"}}),
        ("list[str]", {"type": "array", "items": {"type": "string"}}),
        ("Map<String, Integer>", {"type": "object", "additionalProperties": {"type": "integer"}}),
        ("Optional[int]", {"type": ["integer", "null"]}),
    ],
)
def test_generic_type_names(name, expected):
    assert normalized_type(name) == expected


def test_unknown_type_is_rejected_naming_the_field():
    with pytest.raises(RecordRejected) as info:
        normalize_parameters(params(city={"type": "Strng"}), field="/function/0/parameters")
    assert info.value.reason == RejectReason.UNKNOWN_TYPE
    assert info.value.field == "/function/0/parameters/properties/city/type"
    assert "Strng" in str(info.value)


def test_unknown_type_can_be_treated_as_any():
    out = normalize_parameters(
        params(city={"type": "Strng"}), config=IngestConfig(unknown_types="any")
    )
    assert out["properties"]["city"] == {}


def test_enums_defaults_and_constraints_are_kept(normal):
    raw = params(
        unit={"type": "String", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
        days={"type": "int", "minimum": 1, "maximum": 14, "default": 3},
    )
    out = normal(raw)
    assert out["properties"]["unit"] == {
        "type": "string",
        "enum": ["celsius", "fahrenheit"],
        "default": "celsius",
    }
    assert out["properties"]["days"]["minimum"] == 1
    assert out["properties"]["days"]["maximum"] == 14


def test_an_enum_of_item_values_on_an_array_moves_into_items(normal):
    from jsonschema import Draft202012Validator

    # as published in ACEBench: as written, no array equals one of these strings
    raw = params(
        metrics={"type": "array", "items": {"type": "string"}, "enum": ["trust", "buzz"]},
        tags={"type": "list", "enum": ["a", "b"]},
        pairs={"type": "array", "enum": [["x", 1], ["y", 2]]},  # whole arrays: kept
    )
    out = normal(raw)
    metrics = out["properties"]["metrics"]
    assert metrics == {"type": "array", "items": {"type": "string", "enum": ["trust", "buzz"]}}
    assert Draft202012Validator(metrics).is_valid(["trust", "buzz"])
    assert not Draft202012Validator(metrics).is_valid(["nope"])
    assert out["properties"]["tags"] == {"type": "array", "items": {"enum": ["a", "b"]}}
    assert out["properties"]["pairs"]["enum"] == [["x", 1], ["y", 2]]


def test_nested_objects_and_arrays_are_normalized_recursively(normal):
    raw = params(
        order={
            "type": "dict",
            "properties": {
                "lines": {
                    "type": "ArrayList",
                    "items": {
                        "type": "HashMap",
                        "properties": {"qty": {"type": "long"}, "sku": {"type": "String"}},
                        "required": ["sku", "missing"],
                    },
                }
            },
        }
    )
    out = normal(raw)
    line = out["properties"]["order"]["properties"]["lines"]["items"]
    assert line["type"] == "object"
    assert line["properties"]["qty"] == {"type": "integer"}
    assert line["required"] == ["sku"]


def test_required_lists_only_existing_properties_once_in_given_order(normal):
    raw = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}},
        "required": ["c", "ghost", "a", "c"],
    }
    assert normal(raw)["required"] == ["c", "a"]


def test_property_level_required_and_optional_flags(normal):
    raw = {
        "type": "dict",
        "properties": {
            "a": {"type": "string", "required": True},
            "b": {"type": "string", "optional": True},
        },
        "optional": ["b"],
    }
    out = normal(raw)
    assert out["required"] == ["a"]
    assert out["properties"]["b"] == {"type": "string"}


@pytest.mark.parametrize("raw", [None, {}, {"type": "object"}, {"type": "dict", "properties": {}}])
def test_no_parameters_gives_the_empty_form(raw, normal):
    assert normal(raw) == {"type": "object", "properties": {}, "required": []}


def test_refs_and_defs_are_inlined_with_sibling_overrides(normal):
    raw = {
        "type": "object",
        "properties": {
            "home": {"$ref": "#/$defs/Address", "description": "Home address."},
            "work": {"$ref": "#/definitions/Address"},
        },
        "$defs": {
            "Address": {
                "type": "object",
                "description": "A postal address.",
                "properties": {"city": {"type": "string"}},
            }
        },
        "definitions": {"Address": {"$ref": "#/$defs/Address"}},
    }
    out = normal(raw)
    assert out["properties"]["home"]["description"] == "Home address."
    assert out["properties"]["home"]["properties"] == {"city": {"type": "string"}}
    assert out["properties"]["work"]["description"] == "A postal address."
    assert "$ref" not in json.dumps(out) and "$defs" not in json.dumps(out)


@pytest.mark.parametrize("ref", ["#/$defs/Node", "#"])
def test_ref_cycles_are_cut_with_a_marker(ref, normal):
    raw = {
        "type": "object",
        "description": "A tree.",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Node": {
                "type": "object",
                "description": "A node.",
                "properties": {
                    "value": {"type": "integer"},
                    "children": {"type": "array", "items": {"$ref": ref}},
                },
            }
        },
    }
    out = normal(raw)
    text = json.dumps(out)
    assert "$ref" not in text
    assert text.count("recursive reference") == 1
    children = out["properties"]["root"]["properties"]["children"]["items"]
    if ref == "#/$defs/Node":
        assert children == {
            "$comment": "recursive reference #/$defs/Node not expanded",
            "type": "object",
            "description": "A node.",
        }


def test_mutually_recursive_refs_terminate(normal):
    raw = {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A"}},
        "$defs": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
            "B": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}},
        },
    }
    out = normal(raw)
    assert out["properties"]["a"]["properties"]["b"]["properties"]["a"]["$comment"].startswith(
        "recursive reference"
    )


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("#/$defs/Missing", RejectReason.UNRESOLVED_REF),
        ("other.json#/A", RejectReason.UNRESOLVED_REF),
    ],
)
def test_unresolvable_refs_are_rejected(ref, reason):
    with pytest.raises(RecordRejected) as info:
        normalize_parameters({"type": "object", "properties": {"x": {"$ref": ref}}})
    assert info.value.reason == reason
    assert info.value.field == "/parameters/properties/x/$ref"


def test_openapi_and_draft4_spellings(normal):
    raw = {
        "type": "object",
        "properties": {
            "note": {"type": "string", "nullable": True, "example": "fragile", "title": "Note"},
            "weight": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
            "pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
            "code": {"type": "string", "pattern": "([unclosed", "minLength": "3"},
            "x_vendor": {"type": "string", "x-internal": True, "$schema": "draft-04"},
        },
    }
    out = normal(raw)["properties"]
    assert out["note"] == {
        "type": ["string", "null"],
        "examples": ["fragile"],
        "description": "Note",
    }
    assert out["weight"] == {"type": "number", "exclusiveMinimum": 0}
    assert out["pair"]["prefixItems"] == [{"type": "string"}, {"type": "integer"}]
    assert out["code"] == {"type": "string"}
    assert out["x_vendor"] == {"type": "string"}


def test_all_of_objects_are_merged(normal):
    raw = {
        "type": "object",
        "properties": {
            "owner": {
                "allOf": [
                    {
                        "type": "object",
                        "properties": {"name": {"type": "string"}},
                        "required": ["name"],
                    },
                    {"type": "object", "properties": {"id": {"type": "integer"}}},
                ]
            }
        },
    }
    owner = normal(raw)["properties"]["owner"]
    assert owner == {
        "type": "object",
        "properties": {"name": {"type": "string"}, "id": {"type": "integer"}},
        "required": ["name"],
    }


@pytest.mark.parametrize(
    ("raw", "reason", "field"),
    [
        ({"type": "string"}, RejectReason.NOT_AN_OBJECT, "/parameters"),
        (
            {"type": "object", "properties": []},
            RejectReason.INVALID_FIELD,
            "/parameters/properties",
        ),
        (
            {"type": "object", "properties": {"a": "string"}},
            RejectReason.INVALID_FIELD,
            "/parameters/properties/a",
        ),
        (
            {"type": "object", "properties": {"a": {"enum": "x,y"}}},
            RejectReason.INVALID_FIELD,
            "/parameters/properties/a/enum",
        ),
        ({"type": "object", "required": "a"}, RejectReason.INVALID_FIELD, "/parameters/required"),
        (
            {"type": "object", "properties": {"a": {"type": 3}}},
            RejectReason.INVALID_FIELD,
            "/parameters/properties/a/type",
        ),
        (
            {"type": "object", "properties": {"a": {"description": ["x"]}}},
            RejectReason.INVALID_FIELD,
            "/parameters/properties/a/description",
        ),
        (
            {"type": "object", "properties": {"a": {"items": 5}}},
            RejectReason.INVALID_FIELD,
            "/parameters/properties/a/items",
        ),
    ],
)
def test_malformed_schemas_are_rejected_with_the_field(raw, reason, field):
    with pytest.raises(RecordRejected) as info:
        normalize_parameters(raw)
    assert info.value.reason == reason
    assert info.value.field == field


def test_too_deep_schemas_are_rejected():
    schema: dict = {"type": "string"}
    for _ in range(50):
        schema = {"type": "object", "properties": {"x": schema}}
    with pytest.raises(RecordRejected) as info:
        normalize_parameters(schema)
    assert info.value.reason == RejectReason.TOO_COMPLEX


def test_exponential_ref_expansion_is_bounded():
    defs = {"L0": {"type": "string"}}
    for i in range(1, 30):
        defs[f"L{i}"] = {
            "type": "object",
            "properties": {"a": {"$ref": f"#/$defs/L{i - 1}"}, "b": {"$ref": f"#/$defs/L{i - 1}"}},
        }
    raw = {"type": "object", "properties": {"top": {"$ref": "#/$defs/L29"}}, "$defs": defs}
    with pytest.raises(RecordRejected) as info:
        normalize_parameters(raw, config=IngestConfig(max_schema_depth=200))
    assert info.value.reason == RejectReason.TOO_COMPLEX


def test_properties_map_form_with_separate_required(normal):
    out = normal(
        {"city": {"type": "str"}, "days": {"type": "int"}},
        properties_map=True,
        required=["city", "nope"],
    )
    assert out["properties"] == {"city": {"type": "string"}, "days": {"type": "integer"}}
    assert out["required"] == ["city"]


def test_returns_forms(metaschema):
    assert normalize_returns(None) is None
    assert normalize_returns("float") == {"type": "number"}
    result = normalize_returns({"total": {"type": "float"}}, properties_map=True)
    assert result == {"type": "object", "properties": {"total": {"type": "number"}}}
    metaschema(result)
    with pytest.raises(RecordRejected) as info:
        normalize_returns(
            {"type": "dict", "properties": {"x": {"type": "mystery"}}}, field="/response"
        )
    assert info.value.field == "/response/properties/x/type"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ({"type": "any", "properties": {}}, "object"),
        ({"type": "any", "items": {}}, "array"),
        ({"type": "any", "properties": {"id": {"type": "string"}}}, "object"),
    ],
)
def test_a_type_that_says_nothing_is_read_from_the_schemas_shape_once(raw, kind):
    """``"type": "any"`` beside ``properties``: the first normalization already states the
    object, so normalizing again changes nothing (a tool's id stays the same)."""
    once = normalize_returns(raw)
    assert once["type"] == kind
    assert normalize_returns(once) == once
