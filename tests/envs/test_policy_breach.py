"""The policy's "change only the records of the user you identified": who the users are, whose
records are whose (spec ``user`` and ``owner``), gold tasks that keep it, and episodes that end
when the agent breaks it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from agentscaler.envs import TaskSource, make
from agentscaler.errors import SpecError
from agentscaler.records import Task
from agentscaler.worlds.infer.users import with_users
from agentscaler.worlds.ownership import Ownership, PolicyGuard
from agentscaler.worlds.spec.check import check_entities
from agentscaler.worlds.spec.io import load_spec


def _specs(env_run: Path) -> dict[str, object]:
    return {
        d.name: load_spec(d / "spec.yaml")
        for d in sorted((env_run / "worlds").iterdir())
        if (d / "spec.yaml").exists()
    }


def _with_entities(specs, *names):
    return next(s for s in specs.values() if set(names) <= set(s.entities))


def test_the_user_is_the_customer_and_records_lead_to_them(env_run):
    specs = _specs(env_run)
    gym = _with_entities(specs, "member", "trainer", "class_booking")
    assert gym.user == "member"  # trainers are people too, but not who the service answers
    assert gym.entities["class_booking"].owner == "member_id"
    clinic = _with_entities(specs, "patient", "doctor", "appointment")
    assert clinic.user == "patient" and clinic.entities["appointment"].owner == "patient_id"
    assert clinic.entities["doctor"].owner is None  # a doctor belongs to no one
    vet = _with_entities(specs, "pet_owner", "pet", "vaccination")
    # a vaccination leads to its user through the pet
    assert vet.entities["pet"].owner == "pet_owner_id"
    assert vet.entities["vaccination"].owner == "pet_id"
    # a record that only carries a contact is not a user when people are referred to
    lines = _with_entities(specs, "subscriber", "line")
    assert lines.user == "subscriber" and lines.entities["line"].owner == "subscriber_id"


def test_what_the_spec_says_is_kept_and_checked(env_run):
    specs = _specs(env_run)
    gym = _with_entities(specs, "member", "trainer", "class_booking")
    edited = gym.model_copy(update={"user": "trainer"})
    assert with_users(edited).user == "trainer"
    with pytest.raises(SpecError, match=r"user: no entity 'coach'"):
        check_entities(gym.model_copy(update={"user": "coach"}))
    booking = gym.entities["class_booking"]
    broken = gym.model_copy(
        update={
            "entities": {
                **gym.entities,
                "class_booking": booking.model_copy(update={"owner": "status"}),
            }
        }
    )
    with pytest.raises(SpecError, match=r"entities.class_booking.owner: column 'status'"):
        check_entities(broken)


def test_no_gold_task_changes_another_persons_records(env_run, source, tasks):
    checked = 0
    for task in tasks:
        if task.persona is None or task.read_only:
            continue
        world, env = source.pool.make_env(task)
        guard = world.policy_guard(task)
        try:
            for call in task.gold_calls:
                result = env.step((call.name, call.arguments))
                assert result.ok
                assert guard.breach(env.db, call.name, result.changes) is None, task.id
        finally:
            env.close()
        checked += 1
    assert checked >= 10


def _breach_pair(env_run: Path, tasks: list[Task]):
    """A source holding a user's task and its twin about another user of the same state, and
    the first gold write of the task (on a record of the user's, not on their own row)."""
    source = TaskSource(env_run)
    for task in tasks:
        if task.persona is None or task.read_only:
            continue
        world, env = source.pool.make_env(task)
        try:
            for call in task.gold_calls:  # the first write, on the initial state
                result = env.step((call.name, call.arguments))
                if result.changes:
                    break
            table = task.persona.table
            key = world.compiled.world.table(table).primary_key
            others = [row[key] for row in env.db.rows(table)[:50] if row[key] != task.persona.key]
        finally:
            env.close()
        changed = {c.table for c in result.changes}
        if not result.ok or not changed or task.persona.table in changed or not others:
            continue
        persona = task.persona.model_copy(update={"key": others[0], "name": "Another User"})
        twin = task.model_copy(update={"id": f"{task.id}-twin", "persona": persona})
        source.tasks[twin.id] = twin
        return source, world, task, twin, call
    raise AssertionError("no task makes a gold write on a record its user owns")


def _call_message(call):
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
        ],
    }


def test_an_agent_that_changes_another_users_record_ends_the_episode_with_no_reward(env_run, tasks):
    source, _, owner_task, other_task, call = _breach_pair(env_run, tasks)
    env = make(source, other_task.id)
    env.reset()
    observation, reward, terminated, truncated, info = env.step(_call_message(call))
    assert terminated and not truncated and reward == 0.0
    assert info["termination"] == "policy_breach"
    assert "changed another person's records" in info["error"]
    assert info["reward"]["reason"] == "policy_breach" and not info["reward"]["kept"]
    assert observation["messages"][-1]["role"] == "tool"  # the call ran; its result is shown

    # the same call in its own user's episode is the gold path: no breach
    env = make(source, owner_task.id)
    env.reset()
    *_, info = env.step(_call_message(call))
    assert info["termination"] is None


def test_the_breach_comes_from_the_specs_owner_links(tasks, env_run):
    fresh, world, _, other_task, call = _breach_pair(env_run, tasks)
    spec = world.compiled.load_spec()
    unowned = spec.model_copy(
        update={
            "entities": {
                name: entity.model_copy(update={"owner": None})
                for name, entity in spec.entities.items()
            }
        }
    )
    loaded = fresh.pool.world(other_task.domain_id)
    without = dataclasses.replace(loaded, ownership=Ownership.of(unowned))
    fresh.pool._worlds[other_task.domain_id] = without
    env = make(fresh, other_task.id)
    env.reset()
    *_, info = env.step(_call_message(call))
    assert info["termination"] is None  # nobody owns anything: the rule has nothing to hold
    assert without.policy_guard(other_task) == PolicyGuard(without.ownership, other_task.persona)
