"""Property: no call, however malformed, crashes the runtime or changes the state when it fails."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import compiled_vertical

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

WORLD = compiled_vertical("shop")
ENV = WORLD.make_env()
SNAPSHOT = ENV.snapshot()
HASH = ENV.state_hash()
TOOLS = sorted(WORLD.tools)
PARAMS = sorted({p for t in WORLD.tools.values() for p in t.parameters.get("properties", {})})


def arguments():
    keys = st.sampled_from(PARAMS) | st.text(max_size=10)
    return st.dictionaries(keys, JSON, max_size=4) | JSON


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tool=st.sampled_from([*TOOLS, "nope", ""]), args=arguments(), as_text=st.booleans())
def test_random_calls_are_typed_and_failed_calls_leave_the_state(tool, args, as_text):
    ENV.restore(SNAPSHOT)
    payload = json.dumps(args) if as_text else args
    result = ENV.step({"name": tool, "arguments": payload})
    assert result.info["world_bug"] is None, result.info["world_bug"]
    json.loads(result.content)
    if not result.ok:
        assert result.error_type in {
            "unknown_tool",
            "invalid_argument",
            "not_found",
            "precondition_failed",
        }
        assert set(result.observation["error"]) == {"type", "message"}
        assert ENV.state_hash() == HASH
    elif WORLD.tools[tool].kind == "read":
        assert ENV.state_hash() == HASH


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=40))
def test_malformed_argument_text_is_an_invalid_argument(text):
    ENV.restore(SNAPSHOT)
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    result = ENV.step({"name": "get_order", "arguments": text})
    if value is None or not isinstance(value, dict):
        assert result.error_type == "invalid_argument"
    assert ENV.state_hash() == HASH
