"""Random malformed and edge-case schemas: nothing escapes, bad records are rejected, good
neighbours are never lost, and whatever is kept is valid 2020-12 and stable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentscaler.ingest import import_sources, normalize_parameters, normalize_returns
from agentscaler.ingest.rejects import RejectReason
from agentscaler.records.tool import ToolSpec

TYPE_NAMES = st.sampled_from(
    [
        "string",
        "integer",
        "number",
        "boolean",
        "array",
        "object",
        "null",
        "dict",
        "float",
        "tuple",
        "any",
        "",
        "String",
        "HashMap",
        "ArrayList",
        "Boolean",
        "long",
        "char",
        "List<String>",
        "Map<String, Long>",
        "int[]",
        "Optional[str]",
        "Strng",
        "Customer",
    ]
) | st.text(max_size=6)
KEYWORDS = st.sampled_from(
    [
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "default",
        "description",
        "$ref",
        "$defs",
        "definitions",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "additionalProperties",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "multipleOf",
        "pattern",
        "format",
        "nullable",
        "title",
        "example",
        "examples",
        "prefixItems",
        "minLength",
        "maxItems",
        "const",
        "optional",
        "uniqueItems",
        "$comment",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
REFS = st.sampled_from(
    [
        "#",
        "#/$defs/a",
        "#/$defs/b",
        "#/definitions/a",
        "#/properties/x",
        "#/properties/x/items",
        "#/$defs/missing",
        "#/properties/~1odd",
        "other.json#/a",
        "#/$defs/a/properties/y",
    ]
) | st.text(max_size=5)
NAMES = st.sampled_from(["x", "y", "a", "b", "/odd", "~"]) | st.text(max_size=5)


def _schemas(children):
    structured = st.fixed_dictionaries(
        {},
        optional={
            "type": TYPE_NAMES | st.lists(TYPE_NAMES, max_size=3) | SCALARS,
            "properties": st.dictionaries(NAMES, children, max_size=4) | SCALARS,
            "required": st.lists(NAMES | SCALARS, max_size=3) | SCALARS,
            "items": children | st.lists(children, max_size=2),
            "$ref": REFS | SCALARS,
            "$defs": st.dictionaries(st.sampled_from(["a", "b"]), children, max_size=2),
            "enum": st.lists(SCALARS, max_size=3) | SCALARS,
            "description": st.text(max_size=10) | SCALARS,
            "anyOf": st.lists(children, max_size=2) | SCALARS,
            "allOf": st.lists(children, max_size=2),
            "additionalProperties": children,
            "minimum": SCALARS,
            "pattern": st.sampled_from(["^[a-z]+$", "([", "\\d{2}"]) | SCALARS,
        },
    )
    loose = st.dictionaries(
        KEYWORDS | st.text(max_size=4), children | TYPE_NAMES | REFS, max_size=5
    )
    return structured | loose | st.lists(children, max_size=3)


SCHEMAS = st.recursive(
    SCALARS | st.fixed_dictionaries({"type": TYPE_NAMES}), _schemas, max_leaves=20
)
PARAMETERS = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["object", "dict", "HashMap"]),
        "properties": st.dictionaries(NAMES, SCHEMAS, max_size=5),
    },
    optional={
        "required": st.lists(NAMES, max_size=3) | SCALARS,
        "$defs": st.dictionaries(st.sampled_from(["a", "b"]), SCHEMAS, max_size=2),
        "optional": st.lists(NAMES, max_size=2),
    },
)
TOOL_NAMES = st.sampled_from(
    ["get_order", "math.sqrt", "find flights", "天气查询", "x" * 70, "lone\ud800surrogate"]
) | st.text(max_size=20)
FUNCTIONS = st.fixed_dictionaries(
    {"name": TOOL_NAMES, "parameters": PARAMETERS | PARAMETERS | PARAMETERS | SCHEMAS},
    optional={"description": st.text(max_size=20) | SCALARS, "returns": SCHEMAS},
)
RECORDS = st.one_of(
    FUNCTIONS,
    FUNCTIONS.map(lambda f: {"type": "function", "function": f}),
    FUNCTIONS.map(lambda f: {"type": "function", "function": f}),
    FUNCTIONS.map(lambda f: {"type": "function", "function": f}),
    st.fixed_dictionaries({"type": st.text(max_size=8), "function": SCALARS | FUNCTIONS}),
    st.fixed_dictionaries({"name": SCALARS}, optional={"parameters": SCHEMAS}),
    SCHEMAS,
)
LINES = st.one_of(
    RECORDS.map(json.dumps),
    RECORDS.map(json.dumps),
    RECORDS.map(json.dumps),
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs",),
            blacklist_characters="\n",
        ),
        max_size=30,
    ),
)

GOOD_BEFORE = {
    "type": "function",
    "function": {
        "name": "good_before",
        "description": "Look up an order.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
}
GOOD_AFTER = {
    "name": "good_after",
    "description": "Cancel an order.",
    "parameters": {
        "type": "dict",
        "properties": {"order_id": {"type": "String"}, "reason": {"type": "any"}},
    },
}


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hypothesis-catalogs")


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(line=LINES)
def test_random_record_between_two_good_ones(line, work_dir, metaschema):
    path = work_dir / "catalog.jsonl"
    path.write_text(
        json.dumps(GOOD_BEFORE) + "\n" + line + "\n" + json.dumps(GOOD_AFTER) + "\n",
        encoding="utf-8",
    )
    result = import_sources([str(path)])

    names = {t.name for t in result.tools}
    assert {"good_before", "good_after"} <= names, result.rejects
    summary = result.summary
    assert summary.records_read in (2, 3)
    assert summary.kept + summary.merged + summary.rejected == summary.records_read
    for reject in result.rejects:
        assert reject.reason != RejectReason.INTERNAL_ERROR, str(reject)
        assert reject.source == str(path)
        assert reject.index == 2 and reject.message
    for tool in result.tools:
        if tool.name in ("good_before", "good_after"):
            continue
        metaschema(tool.parameters)
        if tool.returns is not None:
            metaschema(tool.returns)
        again = ToolSpec.compute_id(
            tool.name,
            tool.description,
            normalize_parameters(tool.parameters),
            normalize_returns(tool.returns),
        )
        assert again == tool.id, "normalization is not idempotent"
