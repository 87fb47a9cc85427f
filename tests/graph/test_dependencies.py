"""Directed dependency edges: outputs feeding inputs, reads before writes of one entity."""

from __future__ import annotations

import numpy as np
from tests.graph.conftest import ORDER_TOOLS, tool

from agentscaler.graph.dependencies import dependency_edges, output_ports
from agentscaler.graph.embedders import HashEmbedder


def edges_of(tools, **kwargs):
    return {(e.source, e.target, e.kind): e for e in dependency_edges(tools, **kwargs)}


def test_search_results_feed_the_get_and_writes_follow_reads():
    edges = edges_of(ORDER_TOOLS)
    feed = edges[("search_orders", "get_order", "output_input")]
    assert feed.via == ("orders[].order_id->order_id",) and feed.score == 1.0
    assert ("search_orders", "cancel_order", "output_input") in edges
    rbw = edges[("get_order", "cancel_order", "read_before_write")]
    assert rbw.via == ("order",)
    assert ("get_order", "refund_order", "read_before_write") in edges
    # never from a write to a read by read-before-write, never a self edge
    assert not any(
        k[2] == "read_before_write" and k[0] in {"cancel_order", "refund_order"} for k in edges
    )
    assert not any(s == t for s, t, _ in edges)


def test_an_id_field_takes_the_name_of_its_owner():
    create = tool(
        "create_ticket",
        {"title": "title"},
        returns={
            "type": "object",
            "properties": {"id": {"type": "integer"}, "status": {"type": "string"}},
        },
    )
    get = tool("get_ticket", {"ticket_id": {"type": "integer"}})
    assert [p.key for p in output_ports(create)] == ["ticket_id", "status"]
    assert ("create_ticket", "get_ticket", "output_input") in edges_of([create, get])


def test_incompatible_types_and_generic_fields_make_no_edge():
    producer = tool(
        "count_items",
        {"shelf": "shelf"},
        returns={
            "type": "object",
            "properties": {"weight": {"type": "number"}, "status": {"type": "string"}},
        },
    )
    takes_text = tool("label_weight", {"weight": {"type": "boolean"}})
    takes_status = tool("set_status", {"status": "new status"})
    edges = edges_of([producer, takes_text, takes_status])
    assert not any(k[2] == "output_input" for k in edges)


def test_identifiers_connect_across_string_and_integer():
    producer = tool(
        "list_users",
        {},
        returns={
            "type": "array",
            "items": {"type": "object", "properties": {"user_id": {"type": "integer"}}},
        },
    )
    consumer = tool("get_user", {"user_id": {"type": "string"}})
    assert ("list_users", "get_user", "output_input") in edges_of([producer, consumer])


def test_similar_field_names_connect_through_embeddings():
    producer = tool(
        "find_flights",
        {"city": "city"},
        returns={"type": "object", "properties": {"flight_number": {"type": "string"}}},
    )
    consumer = tool("book_flight", {"flight_no": {"type": "string"}})
    texts = ["flight number", "flight no", "city"]
    vectors = dict(zip(texts, HashEmbedder(256).embed(texts), strict=True))
    score = float(np.dot(vectors["flight number"], vectors["flight no"]))
    assert ("find_flights", "book_flight", "output_input") not in edges_of([producer, consumer])
    found = edges_of([producer, consumer], vectors=vectors, threshold=score - 0.01)
    assert found[("find_flights", "book_flight", "output_input")].score == round(score, 4)
    above = edges_of([producer, consumer], vectors=vectors, threshold=score + 0.01)
    assert ("find_flights", "book_flight", "output_input") not in above
