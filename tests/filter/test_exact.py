"""Exact match of read-only call sequences after argument normalization."""

from __future__ import annotations

import pytest

from agentscaler.filter.calls import episode_calls, is_error_observation, normalize_arguments
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.exact import match_gold
from agentscaler.records import GoldCall

SCHEMAS = {
    "search_orders": {
        "type": "object",
        "properties": {
            "customer_id": {"type": "string"},
            "status": {"type": "string"},
            "limit": {"type": "integer", "default": 10},
        },
        "required": ["customer_id"],
    },
    "get_order": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}},
        "required": ["order_id"],
    },
}
GOLD = (
    GoldCall(
        name="search_orders", arguments={"customer_id": "C1", "status": "pending"}, kind="read"
    ),
    GoldCall(name="get_order", arguments={"order_id": "O1"}, kind="read"),
)


def _calls(conversation, *pairs):
    conv = conversation().user("Show my pending orders.")
    for name, args in pairs:
        conv.calls((name, args)).result({"ok": True})
    return episode_calls(conv.say("Here they are.").episode().messages)


def test_exact_sequence_matches(conversation):
    calls = _calls(
        conversation,
        ("search_orders", {"status": "pending", "customer_id": "C1"}),
        ("get_order", {"order_id": "O1"}),
    )
    assert match_gold(calls, GOLD, SCHEMAS, FilterConfig()) is None


def test_normalization_whitespace_types_defaults(conversation):
    calls = _calls(
        conversation,
        ("search_orders", {"customer_id": " C1 ", "status": "pending", "limit": "10"}),
        ("get_order", {"order_id": "O1"}),
    )
    assert match_gold(calls, GOLD, SCHEMAS, FilterConfig()) is None


def test_one_wrong_argument_is_a_mismatch(conversation):
    calls = _calls(
        conversation,
        ("search_orders", {"customer_id": "C1", "status": "shipped"}),
        ("get_order", {"order_id": "O1"}),
    )
    detail = match_gold(calls, GOLD, SCHEMAS, FilterConfig())
    assert detail is not None and "call 1" in detail and "shipped" in detail


def test_missing_and_extra_calls(conversation):
    short = _calls(conversation, ("search_orders", {"customer_id": "C1", "status": "pending"}))
    assert "missing" in match_gold(short, GOLD, SCHEMAS, FilterConfig())
    longer = _calls(
        conversation,
        ("search_orders", {"customer_id": "C1", "status": "pending"}),
        ("get_order", {"order_id": "O1"}),
        ("get_order", {"order_id": "O2"}),
    )
    assert "extra" in match_gold(longer, GOLD, SCHEMAS, FilterConfig())


def test_order_insensitive_option(conversation):
    swapped = _calls(
        conversation,
        ("get_order", {"order_id": "O1"}),
        ("search_orders", {"customer_id": "C1", "status": "pending"}),
    )
    assert match_gold(swapped, GOLD, SCHEMAS, FilterConfig()) is not None
    relaxed = FilterConfig(exact_order_insensitive=True)
    assert match_gold(swapped, GOLD, SCHEMAS, relaxed) is None


def test_failed_calls_ignored_unless_strict(conversation):
    conv = conversation().user("Show my pending orders.")
    conv.call("get_order", order_id="O404").error()
    conv.call("search_orders", customer_id="C1", status="pending").result({"orders": []})
    conv.call("get_order", order_id="O1").result({"order_id": "O1"})
    calls = episode_calls(conv.say("Here.").episode().messages)
    assert match_gold(calls, GOLD, SCHEMAS, FilterConfig()) is None
    strict = FilterConfig(exact_include_failed_calls=True)
    assert match_gold(calls, GOLD, SCHEMAS, strict) is not None


def test_normalize_arguments_numbers_and_nesting():
    assert normalize_arguments({"a": 2.0, "b": {"y": "  x  y "}}) == {"a": 2, "b": {"y": "x y"}}
    assert normalize_arguments({"n": "3"}, {"properties": {"n": {"type": "integer"}}}) == {"n": 3}
    assert normalize_arguments({"n": "three"}, {"properties": {"n": {"type": "integer"}}}) == {
        "n": "three"
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"error": {"code": "not_found", "message": "no order o9"}}', True),
        ('{"error": "boom", "tool": "get_order"}', True),
        ('{"\\u0065rror": {"code": "not_found"}}', True),
        ('{"status": "error", "order": {"id": "o1"}}', False),
        ('{"id": "o1", "note": "an \\u00e9rror-free order"}', False),
        ('{"error": 1, "a": 2, "b": 3}', False),
        ("error: not found", False),
        ('{"error": ', False),
        ("", False),
    ],
)
def test_error_observations_are_recognised(content, expected):
    assert is_error_observation(content) is expected


def _reusing_ids(conversation, first_result, second_result):
    """Two turns whose calls a server numbered from 0 each time (both named ``call_0``)."""
    from agentscaler.records import Message, ToolCall, ToolCallFunction

    conv = conversation().user("Show order O1.")

    def turn(order_id, result):
        call = ToolCall(
            id="call_0",
            function=ToolCallFunction(name="get_order", arguments=f'{{"order_id": "{order_id}"}}'),
        )
        conv.messages.append(Message(role="assistant", tool_calls=(call,)))
        conv.messages.append(Message(role="tool", tool_call_id="call_0", content=result))

    turn("O9", first_result)
    turn("O1", second_result)
    return episode_calls(conv.say("Here it is.").episode().messages)


def test_results_pair_with_calls_by_position_when_ids_are_reused(conversation):
    error = '{"error": {"type": "not_found", "message": "no order O9"}}'
    calls = _reusing_ids(conversation, error, '{"order_id": "O1", "status": "pending"}')
    assert [c.errored for c in calls] == [True, False]
    assert calls[1].result == '{"order_id": "O1", "status": "pending"}'
    gold = (GoldCall(name="get_order", arguments={"order_id": "O1"}, kind="read"),)
    assert match_gold(calls, gold, SCHEMAS, FilterConfig()) is None
    # the other way round: the failing call comes second and must not borrow the first's result
    calls = _reusing_ids(conversation, '{"order_id": "O9"}', error)
    assert [c.errored for c in calls] == [False, True]


def test_results_in_another_order_pair_by_id_inside_one_message(conversation):
    from agentscaler.records import Message

    conv = conversation().user("Check O1 and O2.")
    conv.calls(("get_order", {"order_id": "O1"}), ("get_order", {"order_id": "O2"}))
    first, second = conv._pending
    conv.messages.append(Message(role="tool", tool_call_id=second, content='{"order_id": "O2"}'))
    conv.messages.append(Message(role="tool", tool_call_id=first, content='{"order_id": "O1"}'))
    calls = episode_calls(conv.episode().messages)
    assert [c.result for c in calls] == ['{"order_id": "O1"}', '{"order_id": "O2"}']
