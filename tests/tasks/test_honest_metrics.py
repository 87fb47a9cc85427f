"""Data flow counted honestly: a value the agent discovers counts, a value the user gave and a
tool echoed back does not; and the task mix the report and `tasks stats` show."""

from __future__ import annotations

import json

import pytest

from agentscaler.jsonl import read_records
from agentscaler.records import ArgumentSource, GoldCall, Task, UserFact
from agentscaler.tasks import summarize
from agentscaler.tasks.summary import discovered_links, is_linked, task_mix

EMAIL = UserFact(name="email", value="ann@example.com", role="identity")
FIND = GoldCall(
    name="find_customer_by_email",
    arguments={"email": "ann@example.com"},
    kind="read",
    output={"customer_id": "CUS-1", "email": "ann@example.com"},
    sources={"email": ArgumentSource(kind="state", path="customers.email")},
)
ORDERS = GoldCall(
    name="list_customer_orders",
    arguments={"customer_id": "CUS-1"},
    kind="read",
    output={"orders": [{"order_id": "ORD-1"}]},
    sources={"customer_id": ArgumentSource(kind="output", step=0, path="customer_id")},
)


def _task(facts: tuple[UserFact, ...]) -> Task:
    return Task(
        id="t-honest",
        domain_id="shop",
        world_id="w",
        seed=0,
        initial_state="s",
        gold_calls=(FIND, ORDERS),
        gold_final_state="s",
        read_only=True,
        user_facts=facts,
        intent="You want to see your orders.",
    )


def test_an_argument_copied_from_the_users_facts_is_no_discovery():
    found = _task((EMAIL,))  # the agent finds the customer id from the email
    assert discovered_links(found) == 1 and is_linked(found)
    assert summarize([found])["coherence"] == 1.0
    # the same chain when the user had said their customer id: the later call copies it
    echoed = _task((EMAIL, UserFact(name="customer_id", value="CUS-1", role="identity")))
    assert discovered_links(echoed) == 0 and not is_linked(echoed)
    assert summarize([echoed])["coherence"] == 0.0
    assert task_mix([found, echoed]).multi_with_discovery == 0.5


@pytest.mark.slow
def test_coherence_drops_when_discovered_values_become_user_facts(sampled_builtin):
    workspace, result = sampled_builtin
    tasks = read_records(workspace.tasks, Task)
    before = summarize(tasks)
    assert before["coherence"] == result.summary["coherence"]
    linked = [t for t in tasks if is_linked(t)]
    assert before["linked"] == len(linked) > 100
    copied = []
    for task in tasks:
        if task in linked[:100]:
            values = [
                call.arguments[name]
                for call in task.gold_calls
                for name, source in call.sources.items()
                if source.kind == "output"
            ]
            facts = task.user_facts + tuple(
                UserFact(name=f"copied_{i}", value=v) for i, v in enumerate(values)
            )
            task = task.model_copy(update={"user_facts": facts})
        copied.append(task)
    after = summarize(copied)
    assert after["linked"] == before["linked"] - 100
    assert after["coherence"] < before["coherence"]
    assert after["multi_with_discovery"] == pytest.approx(
        before["multi_with_discovery"] - 100 / len(tasks), abs=1e-3
    )


@pytest.mark.slow
def test_builtin_targets_and_mix(sampled_builtin):
    """The issue's targets on the built-in catalog with the default settings."""
    workspace, result = sampled_builtin
    tasks = read_records(workspace.tasks, Task)
    mix = task_mix(tasks)
    assert mix.multi_with_discovery >= 0.70, mix
    assert mix.refusal_or_ask >= 0.15, mix
    assert all(mix.scenarios[k] > 0 for k in mix.scenarios), mix.scenarios
    assert result.summary["scenarios"] == mix.scenarios
    # what the user knows is never an internal id the agent looked up
    for task in tasks:
        lookups = set(task.agent_lookups)
        assert not any(
            (f.value if isinstance(f.value, str) else json.dumps(f.value)) in lookups
            for f in task.user_facts
        )


def test_version_1_tasks_are_read_as_one_goal_scenarios(tmp_path):
    old = _task((EMAIL,)).to_json_dict()
    for key in ("scenario", "persona", "goals", "communicate"):
        old.pop(key)
    for fact in old["user_facts"]:
        fact.pop("role")
    old["schema_version"] = 1
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    [task] = read_records(path, Task)
    assert task.schema_version == 1 and task.scenario == "one_goal" and task.communicate == ()
    old["schema_version"] = 3
    path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    from agentscaler.errors import SchemaVersionError

    with pytest.raises(SchemaVersionError, match="reads version 1 or 2"):
        read_records(path, Task)
