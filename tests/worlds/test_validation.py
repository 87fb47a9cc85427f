"""Argument validation: clear messages, and the fast path never disagrees with jsonschema."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from agentscaler.errors import InvalidArgument
from agentscaler.worlds.runtime.validation import ArgumentValidator, fast_checker

PARAMS = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string", "pattern": "^ORD-[0-9]{6}$"},
        "count": {"type": "integer", "minimum": 1, "maximum": 10},
        "mode": {"type": "string", "enum": ["fast", "slow"]},
        "flag": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["order_id"],
}


def test_messages_name_the_argument_and_the_expectation():
    validator = ArgumentValidator("get_order", PARAMS)
    cases = {
        "missing required argument 'order_id'": {},
        "unexpected argument 'colour'": {"order_id": "ORD-000001", "colour": "red"},
        "'count' must be an integer": {"order_id": "ORD-000001", "count": "3"},
        '\'mode\' must be one of "fast", "slow"': {"order_id": "ORD-000001", "mode": "medium"},
        "does not match": {"order_id": "ORD-1"},
        "'flag' must be true or false": {"order_id": "ORD-000001", "flag": 1},
        "'tags' at [1] must be a string": {"order_id": "ORD-000001", "tags": ["a", 2]},
        "must be a JSON object": ["ORD-000001"],
    }
    for expected, arguments in cases.items():
        with pytest.raises(InvalidArgument) as info:
            validator.validate(arguments)
        assert expected in str(info.value), (expected, str(info.value))
        assert str(info.value).startswith("get_order: ")


def test_integral_floats_become_ints_and_nulls_are_absent():
    validator = ArgumentValidator("get_order", PARAMS)
    assert validator.validate({"order_id": "ORD-000001", "count": 3.0, "mode": None}) == {
        "order_id": "ORD-000001",
        "count": 3,
    }


SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-5, 20)
    | st.floats(-5, 20, allow_nan=False)
    | st.text(max_size=5)
)
FLAT = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(
            ["string", "integer", "number", "boolean", ["string", "null"], "array"]
        ),
        "enum": st.lists(SCALAR, min_size=1, max_size=3),
        "minimum": st.integers(-2, 5),
        "maximum": st.integers(3, 15),
        "pattern": st.sampled_from(["^a", "[0-9]", "^$"]),
        "maxLength": st.integers(0, 4),
    },
)


@settings(max_examples=400, deadline=None)
@given(
    schemas=st.dictionaries(st.sampled_from("abc"), FLAT, min_size=1),
    values=st.dictionaries(st.sampled_from("abcd"), SCALAR | st.lists(SCALAR, max_size=2)),
)
def test_the_fast_path_agrees_with_jsonschema(schemas, values):
    parameters = {"type": "object", "properties": schemas, "required": sorted(schemas)[:1]}
    check = fast_checker(parameters)
    assert check is not None
    truth = Draft202012Validator(parameters).is_valid(values) and set(values) <= set(schemas)
    if check(values):
        assert truth, (parameters, values)
