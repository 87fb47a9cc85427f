"""Grounding feeds earlier outputs forward (only rows a call can succeed on), facts separate what
the user knows from what the agent must look up, and intents refer to looked-up values by what
they are."""

from __future__ import annotations

import random

import pytest

from agentscaler.records import ArgumentSource
from agentscaler.tasks.facts import facts_and_lookups, item_label
from agentscaler.tasks.grounding import Grounder, output_fields
from agentscaler.tasks.intent import IntentWriter, leaks
from agentscaler.tasks.steps import Step
from agentscaler.tasks.walks import WalkGraph
from agentscaler.workspace import Workspace
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.runtime.loader import load_world


@pytest.fixture
def library(make_run):
    root = make_run({"d-lib": "library"}, edges=False)
    world = load_world(Workspace(root).world_dir("d-lib"))
    env = WorldEnv(world)
    env.reset(seed=11)
    yield world, env
    env.close()


def _run(env: WorldEnv, name: str, arguments: dict, sources: dict) -> Step:
    before = env.state_hash()
    result = env.step((name, arguments))
    assert result.ok, result.content
    binding = env.world.binding(name)
    return Step(
        name=name,
        kind=binding.kind,
        operation=binding.operation,
        table=binding.table,
        arguments=arguments,
        sources=sources,
        output=result.observation,
        changes=result.changes,
        before_hash=before,
        after_hash=env.state_hash(),
    )


def _patron_with_loans(env: WorldEnv, statuses: list[str]) -> tuple[str, list[str]]:
    """A patron whose only loans are ones in ``statuses`` (set up through the db API)."""
    patron = env.db.find("patrons", limit=1)[0]["patron_id"]
    for loan in env.db.find("loans", where={"patron_id": patron}):
        env.db.delete("loans", loan["loan_id"])
    loans = [row["loan_id"] for row in env.db.find("loans", limit=len(statuses))]
    for loan, status in zip(loans, statuses, strict=True):
        env.db.update("loans", loan, {"patron_id": patron, "status": status})
    env.db._take_changes()
    return patron, loans


def test_output_fields_know_their_paths_and_lists():
    fields = output_fields(
        {"count": 2, "loans": [{"loan_id": "L1"}, {"loan_id": "L2"}], "tags": ["a"]}
    )
    by_path = {f.path: f for f in fields}
    assert by_path["loans[1].loan_id"].value == "L2"
    assert (by_path["loans[1].loan_id"].list_path, by_path["loans[1].loan_id"].size) == ("loans", 2)
    assert by_path["tags"].value == ["a"] and by_path["tags[0]"].value == "a"
    assert by_path["count"].list_path is None


def test_a_transition_is_fed_only_a_row_it_can_move(library):
    world, env = library
    patron, loans = _patron_with_loans(env, ["active", "returned", "overdue"])
    search = _run(
        env, "list_patron_loans", {"patron_id": patron}, {"patron_id": ArgumentSource(kind="state")}
    )
    assert len(search.output["loans"]) == 3
    grounder = Grounder(env, WalkGraph(world, []), optional=0.0)
    for seed in range(8):
        grounded = grounder.ground("renew_loan", [search], random.Random(seed), require_link=True)
        assert grounded is not None
        assert grounded.arguments == {"loan_id": loans[2]}  # the overdue one: renewable
        source = grounded.sources["loan_id"]
        assert (source.kind, source.step) == ("output", 0)
        assert source.path.startswith("loans[") and source.path.endswith("].loan_id")
        pick = grounded.picks["loan_id"]
        assert pick.size == 3 and pick.entity == "loan" and pick.label is not None
    # a linked call that no output can feed is not grounded at all
    assert grounder.ground("search_books", [search], random.Random(0), require_link=True) is None


def test_facts_lookups_and_intent_of_a_chain(library):
    world, env = library
    patron, loans = _patron_with_loans(env, ["active", "overdue"])
    search = _run(
        env,
        "list_patron_loans",
        {"patron_id": patron},
        {"patron_id": ArgumentSource(kind="state", path="patrons.patron_id")},
    )
    grounder = Grounder(env, WalkGraph(world, []), optional=0.0)
    grounded = grounder.ground("renew_loan", [search], random.Random(1), require_link=True)
    renew = _run(env, "renew_loan", grounded.arguments, grounded.sources)
    renew = Step(**{**renew.__dict__, "picks": grounded.picks})
    steps = [search, renew]
    facts, lookups = facts_and_lookups(steps)
    names = {f.name: f.value for f in facts}
    assert names["patron_id"] == patron
    _, label_value = grounded.picks["loan_id"].label
    assert label_value in names.values()
    assert lookups == (loans[1],)
    intent = IntentWriter(world.world).write(steps, random.Random(0))
    assert intent.startswith("You ")
    assert patron in intent and str(label_value) in intent
    assert not leaks(intent, lookups)
    assert "renew_loan" not in intent and "list_patron_loans" not in intent
    assert "renew" in intent


def test_item_label_is_a_unique_non_id_field():
    items = [
        {"loan_id": "L1", "book_id": "B1", "due_date": "2024-01-01", "status": "active"},
        {"loan_id": "L2", "book_id": "B2", "due_date": "2024-02-01", "status": "active"},
    ]
    assert item_label(items, 1, exclude={"loan_id"}) == ("due_date", "2024-02-01")
    same = [{"loan_id": "L1", "status": "active"}, {"loan_id": "L2", "status": "active"}]
    assert item_label(same, 0, exclude=set()) is None


def test_a_record_is_told_by_what_a_customer_knows_of_it_not_by_a_link():
    returns = [
        {
            "return_id": "RMA-1",
            "label_url": "https://www.allison.com/",
            "requested_date": "2024-10-19",
            "status": "rejected",
        },
        {
            "return_id": "RMA-2",
            "label_url": "http://short-shaffer.biz/",
            "requested_date": "2024-09-22",
            "status": "approved",
        },
    ]
    assert item_label(returns, 0, exclude={"return_id"}) == ("requested_date", "2024-10-19")
    links = [{"k": 1, "site": "https://a.example/"}, {"k": 2, "site": "https://b.example/"}]
    assert item_label(links, 0, exclude={"k"}) is None


def test_a_session_is_told_by_when_it_started_not_when_it_ends():
    sessions = [
        {"session_id": "S1", "ends_at": "2025-06-13T16:15:00Z", "started_at": "2025-06-13T15:00Z"},
        {"session_id": "S2", "ends_at": "2025-06-20T10:00:00Z", "started_at": "2025-06-20T09:00Z"},
    ]
    assert item_label(sessions, 0, exclude={"session_id"})[0] == "started_at"


def test_leaks_match_whole_tokens_only():
    assert leaks("Cancel order ORD-12 now.", ["ORD-12"]) == ["ORD-12"]
    assert leaks("Cancel order ord-12.", ["ORD-12"]) == ["ORD-12"]
    assert leaks("Cancel order ORD-123.", ["ORD-12"]) == []
    assert leaks("at 09:30, room 30", ["30"]) == ["30"]
    assert leaks("2024-05-12", ["5"]) == []
