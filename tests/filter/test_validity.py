"""Each validity reject reason is triggered by a minimal example; good episodes pass."""

from __future__ import annotations

import pytest

from agentscaler.filter.config import FilterConfig
from agentscaler.filter.validity import check_validity
from agentscaler.records import Message, RejectReason, Termination

TOOLS = frozenset({"get_order", "cancel_order", "search_orders"})
CONFIG = FilterConfig()


def good(conversation):
    return (
        conversation()
        .user("Please cancel my order O1, I ordered it by mistake.")
        .call("get_order", order_id="O1")
        .result({"order_id": "O1", "status": "pending"})
        .call("cancel_order", order_id="O1", reason="ordered by mistake")
        .result({"order_id": "O1", "status": "cancelled"})
        .say("Your order O1 is cancelled.")
        .user("Thanks! ###STOP###")
    )


def test_good_episode_is_valid(conversation):
    assert check_validity(good(conversation).episode(), TOOLS, CONFIG) is None


def test_parallel_calls_with_results_in_any_order_are_valid(conversation):
    conv = conversation().user("Check orders O1 and O2.")
    conv.calls(("get_order", {"order_id": "O1"}), ("get_order", {"order_id": "O2"}))
    first, second = conv._pending
    conv.messages.append(Message(role="tool", tool_call_id=second, content='{"order_id": "O2"}'))
    conv.messages.append(Message(role="tool", tool_call_id=first, content='{"order_id": "O1"}'))
    conv._pending = []
    conv.say("Both orders are pending.")
    assert check_validity(conv.episode(), TOOLS, CONFIG) is None


def test_recovered_tool_error_is_valid(conversation):
    conv = (
        conversation()
        .user("Cancel order O9? No wait, O1.")
        .call("get_order", order_id="O9")
        .error()
        .call("get_order", order_id="O1")
        .result({"order_id": "O1"})
        .say("Found it.")
    )
    assert check_validity(conv.episode(), TOOLS, CONFIG) is None


@pytest.mark.parametrize(
    "termination", [t for t in Termination if t.is_infrastructure], ids=lambda t: t.value
)
def test_infrastructure_failure(conversation, termination):
    ep = (
        conversation().user("hi").episode(termination=termination, error="HTTP 500 after 5 retries")
    )
    problem = check_validity(ep, TOOLS, CONFIG)
    assert problem.reason is RejectReason.INFRASTRUCTURE
    assert "500" in problem.detail


def test_role_order_assistant_first(conversation):
    ep = conversation().say("Hello!").user("hi").episode()
    assert check_validity(ep, TOOLS, CONFIG).reason is RejectReason.ROLE_ORDER


def test_role_order_two_user_messages(conversation):
    ep = conversation().user("hi").user("hello?").episode()
    assert check_validity(ep, TOOLS, CONFIG).reason is RejectReason.ROLE_ORDER


def test_role_order_two_assistant_replies(conversation):
    ep = conversation().user("hi").say("Hello").say("How can I help?").episode()
    assert check_validity(ep, TOOLS, CONFIG).reason is RejectReason.ROLE_ORDER


def test_role_order_stray_tool_message(conversation):
    conv = conversation().user("hi")
    conv.messages.append(Message(role="tool", tool_call_id="call_77", content="{}"))
    assert check_validity(conv.episode(), TOOLS, CONFIG).reason is RejectReason.ROLE_ORDER


def test_missing_tool_result(conversation):
    conv = conversation().user("Cancel O1").call("cancel_order", order_id="O1")
    conv.say("Done.")
    problem = check_validity(conv.episode(), TOOLS, CONFIG)
    assert problem.reason is RejectReason.MISSING_TOOL_RESULT


def test_missing_tool_result_at_end(conversation):
    ep = conversation().user("Cancel O1").call("cancel_order", order_id="O1").episode()
    assert check_validity(ep, TOOLS, CONFIG).reason is RejectReason.MISSING_TOOL_RESULT


def test_empty_assistant_turn(conversation):
    ep = conversation().user("hi").say("   ").episode()
    assert check_validity(ep, TOOLS, CONFIG).reason is RejectReason.EMPTY_ASSISTANT


def test_unparseable_call(conversation):
    conv = conversation().user("Cancel O1").calls(("cancel_order", '{"order_id": "O1"'))
    conv.error("invalid_argument", "arguments are not valid JSON").say("Sorry.")
    problem = check_validity(conv.episode(), TOOLS, CONFIG)
    assert problem.reason is RejectReason.UNPARSEABLE_CALL
    assert "cancel_order" in problem.detail


def test_arguments_that_are_not_an_object(conversation):
    conv = conversation().user("Cancel O1").calls(("cancel_order", '["O1"]')).error().say("Sorry.")
    assert check_validity(conv.episode(), TOOLS, CONFIG).reason is RejectReason.UNPARSEABLE_CALL


def test_unknown_tool(conversation):
    conv = (
        conversation().user("Refund O1").call("refund_order", order_id="O1").error("unknown_tool")
    )
    conv.say("I cannot do that.")
    problem = check_validity(conv.episode(), TOOLS, CONFIG)
    assert problem.reason is RejectReason.UNKNOWN_TOOL
    assert "refund_order" in problem.detail


def test_ngram_repetition_in_reasoning(conversation):
    loop = "I need to check the order status first. " * 8
    ep = conversation().user("Where is O1?").say("It is pending.", reasoning=loop).episode()
    assert check_validity(ep, TOOLS, CONFIG).reason is RejectReason.NGRAM_REPETITION


def test_normal_long_reply_is_not_repetition(conversation):
    text = (
        "Your order O1 was placed on March 3 and contains two items: a blue cotton shirt in size M "
        "and a pair of running shoes. It is currently being packed at our Denver warehouse and "
        "should ship within two business days; you will receive a tracking number by email."
    )
    ep = conversation().user("Where is O1?").say(text).episode()
    assert check_validity(ep, TOOLS, CONFIG) is None


def test_identical_replies_repeated(conversation):
    conv = conversation().user("hi")
    for _ in range(3):
        conv.say("Could you give me your order id?").user("I don't know it.")
    assert check_validity(conv.episode(), TOOLS, CONFIG).reason is RejectReason.NGRAM_REPETITION


def test_repeated_identical_failing_call(conversation):
    conv = conversation().user("Cancel O9")
    for _ in range(3):
        conv.call("cancel_order", order_id="O9").error()
    conv.say("I could not cancel it.")
    problem = check_validity(conv.episode(), TOOLS, CONFIG)
    assert problem.reason is RejectReason.REPEATED_FAILING_CALL
    # two identical failures are tolerated
    conv2 = conversation().user("Cancel O9")
    for _ in range(2):
        conv2.call("cancel_order", order_id="O9").error()
    conv2.say("I could not cancel it.")
    assert check_validity(conv2.episode(), TOOLS, CONFIG) is None


@pytest.mark.parametrize(
    "termination", [t for t in Termination if t.is_model_failure], ids=lambda t: t.value
)
def test_model_failures_leave_the_episode_incomplete(conversation, termination):
    assert not termination.is_infrastructure
    ep = good(conversation).episode(termination=termination, error="HTTP 400: context too long")
    problem = check_validity(ep, TOOLS, CONFIG)
    assert problem.reason is RejectReason.INCOMPLETE
    assert termination.value in problem.detail
