"""Domain names from dominant terms; stable, filesystem-safe ids."""

from __future__ import annotations

from tests.graph.conftest import FILE_TOOLS, ORDER_TOOLS, WEATHER_TOOLS

from agentscaler.graph.labels import DomainNamer, domain_id, domain_name, tool_terms


def test_terms_skip_verbs_and_generic_words():
    terms = tool_terms(ORDER_TOOLS[2])  # cancel_order(order_id, reason)
    assert terms["order"] == 2 and "reason" in terms
    assert "cancel" not in terms and "id" not in terms


def test_names_come_from_what_sets_a_domain_apart():
    tools = [*ORDER_TOOLS, *WEATHER_TOOLS, *FILE_TOOLS]
    namer = DomainNamer(tools)
    orders = namer.top_terms(range(len(ORDER_TOOLS)))
    weather = namer.top_terms(range(4, 7))
    assert orders[0] == "order"
    assert weather[0] in {"weather", "city"}
    assert domain_name(orders).startswith("order / ")
    assert domain_name(()) == "misc"


def test_ids_are_numbered_and_safe():
    assert domain_id(7, ("order", "refund")) == "d0007-order-refund"
    assert domain_id(12, ("Ünïcode name!", "x/y")) == "d0012-n-code-name-x-y"
    assert domain_id(3, ()) == "d0003-misc"
