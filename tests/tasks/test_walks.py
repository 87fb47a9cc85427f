"""The walk graph and the rules that keep chains from repeating or undoing themselves."""

from __future__ import annotations

import random
from collections import Counter

from agentscaler.records import ArgumentSource, DependencyEdge, StateChange
from agentscaler.tasks.steps import Step
from agentscaler.tasks.walks import (
    WalkGraph,
    choose_length,
    empty_result,
    pointless_write,
    repeats,
    weighted_order,
)
from agentscaler.workspace import Workspace
from agentscaler.worlds.runtime.loader import load_world


def _step(name, kind="write", arguments=None, changes=(), before="h0", after="h1") -> Step:
    return Step(
        name=name,
        kind=kind,
        operation="update",
        table="orders",
        arguments=arguments or {},
        sources={k: ArgumentSource(kind="state") for k in arguments or {}},
        output={},
        changes=tuple(changes),
        before_hash=before,
        after_hash=after,
    )


def _update(key, column, old, new) -> StateChange:
    return StateChange(op="update", table="orders", key=key, column=column, old=old, new=new)


def test_a_write_that_undoes_the_previous_one_is_refused():
    first = _step(
        "set_status", changes=[_update("O1", "status", "a", "b")], before="h0", after="h1"
    )
    undo = [_update("O1", "status", "b", "a")]
    assert pointless_write([first], undo, after_hash="h0") == "undo"
    assert pointless_write([first], [], after_hash="h1") == "no_effect"
    other = [_update("O2", "status", "a", "b")]
    assert pointless_write([first], other, after_hash="h2") is None
    assert pointless_write([], other, after_hash="h2") is None


def test_a_write_that_returns_to_the_state_before_an_earlier_write_is_refused():
    create = _step(
        "create_event",
        changes=[StateChange(op="insert", table="events", key="E1", new={"event_id": "E1"})],
        before="h0",
        after="h1",
    )
    read = _step("get_event", kind="read", before="h1", after="h1")
    note = _step("add_note", changes=[_update("E1", "notes", None, "x")], before="h1", after="h2")
    delete = [StateChange(op="delete", table="events", key="E1", old={"event_id": "E1"})]
    assert pointless_write([create, read, note], delete, after_hash="h0") == "undo"
    assert pointless_write([create, read, note], delete, after_hash="h3") is None


def test_a_write_that_overwrites_exactly_what_was_just_written_is_refused():
    first = _step("set_email", changes=[_update("O1", "email", "a@x", "b@x")])
    again = [_update("O1", "email", "b@x", "c@x")]
    assert pointless_write([first], again, after_hash="h2") == "overwrite"
    wider = [_update("O1", "email", "b@x", "c@x"), _update("O1", "phone", "1", "2")]
    assert pointless_write([first], wider, after_hash="h3") == "overwrite"
    read_between = [first, _step("get_order", kind="read", before="h1", after="h1")]
    assert pointless_write(read_between, again, after_hash="h2") is None


def test_the_same_call_twice_is_a_repeat():
    steps = [_step("get_order", kind="read", arguments={"order_id": "O1"})]
    assert repeats(steps, "get_order", {"order_id": "O1"})
    assert not repeats(steps, "get_order", {"order_id": "O2"})
    assert not repeats(steps, "cancel_order", {"order_id": "O1"})


def test_weighted_order_prefers_heavy_items_and_skips_zero_weights():
    rng = random.Random(3)
    firsts = Counter(
        weighted_order([("a", 9.0), ("b", 1.0), ("c", 0.0)], rng)[0] for _ in range(400)
    )
    assert firsts["a"] > 3 * firsts["b"]
    assert "c" not in firsts
    assert sorted(weighted_order([("a", 1.0), ("b", 2.0)], rng)) == ["a", "b"]


def test_choose_length_follows_the_weights():
    rng = random.Random(0)
    counts = Counter(choose_length([1, 2, 3], [0.0, 1.0, 3.0], rng) for _ in range(400))
    assert counts[1] == 0 and counts[3] > counts[2] > 0


def test_empty_result_means_nothing_found():
    assert empty_result({"orders": [], "count": 0})
    assert empty_result([])
    assert not empty_result({"orders": [{"id": 1}], "count": 1})
    assert not empty_result({"order_id": "O1"})


def test_walk_graph_merges_edges_and_drops_foreign_ones(make_run):
    root = make_run({"d-lib": "library"}, edges=False)
    world = load_world(Workspace(root).world_dir("d-lib"))
    edges = [
        DependencyEdge(
            source="list_patron_loans",
            target="renew_loan",
            kind="output_input",
            via=("loans[].loan_id->loan_id",),
            score=0.6,
        ),
        DependencyEdge(
            source="list_patron_loans",
            target="renew_loan",
            kind="read_before_write",
            via=("loan",),
            score=0.9,
        ),
        DependencyEdge(
            source="get_book", target="get_book", kind="output_input", via=("book_id->book_id",)
        ),
        DependencyEdge(
            source="get_book", target="not_in_world", kind="output_input", via=("a->b",)
        ),
    ]
    graph = WalkGraph(world, edges)
    assert graph.edge_count == 1
    [edge] = graph.out["list_patron_loans"]
    assert edge.target == "renew_loan" and edge.score == 0.9
    assert edge.via == (("loan_id", "loan_id"),)  # path normalized to the field name
    assert graph.successors("list_patron_loans", read_only=True) == []
    assert graph.in_degree["renew_loan"] == 1
    weights = dict(graph.start_weights(read_only=False))
    assert weights["list_patron_loans"] > weights["renew_loan"]
    assert set(dict(graph.start_weights(read_only=True))) == {
        b.name for b in world.world.tools if b.kind == "read"
    }
