"""Scenario kinds on the built-in catalog, each played offline and checked in the world: one goal,
several goals, a request the rules forbid, a detail the agent must ask for, a change of mind."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from agentscaler.filter.facts import missing_facts
from agentscaler.jsonl import read_records
from agentscaler.records import Episode, Task, Verdict
from agentscaler.simulate.policies.script import value_at
from agentscaler.tasks import replay
from agentscaler.worlds.runtime.env import WorldEnv
from agentscaler.worlds.runtime.loader import load_world

pytestmark = pytest.mark.slow

PER_KIND = 25


@pytest.fixture(scope="module")
def played(simulated_builtin):
    """The built-in tasks by scenario kind (up to PER_KIND each), with their offline episode
    and verdict."""
    ws = simulated_builtin
    chosen: dict[str, list[Task]] = defaultdict(list)
    for task in read_records(ws.tasks, Task):
        if len(chosen[task.scenario]) < PER_KIND:
            chosen[task.scenario].append(task)
    episodes = {e.task_id: e for path in ws.episode_files() for e in read_records(path, Episode)}
    verdicts = {
        v.task_id: v
        for name in ("kept.jsonl", "rejected.jsonl")
        if (ws.filtered_dir / name).exists()
        for v in read_records(ws.filtered_dir / name, Verdict)
    }
    return ws, chosen, episodes, verdicts


def _texts(episode: Episode, role: str) -> list[str]:
    return [m.content for m in episode.messages if m.role == role and m.content]


def _calls(episode: Episode) -> list[tuple[str, dict]]:
    return [
        (c.function.name, json.loads(c.function.arguments))
        for m in episode.messages
        for c in m.tool_calls or ()
    ]


def _kept(played, kind: str) -> list[tuple[Task, Episode, Verdict]]:
    _, chosen, episodes, verdicts = played
    tasks = chosen[kind]
    assert len(tasks) >= 5, f"only {len(tasks)} {kind} tasks on the built-in catalog"
    found = [(t, episodes[t.id], verdicts[t.id]) for t in tasks]
    for task, _, verdict in found:
        assert verdict.kept and verdict.goal_reached and verdict.facts_said, (task.id, verdict)
    return found


def test_one_goal_the_agent_identifies_acts_and_tells_the_result(played):
    for task, episode, _ in _kept(played, "one_goal"):
        assert len(task.goals) == 1
        users = _texts(episode, "user")
        assert users[0] != task.intent  # the opening is the user's words, not the intent
        for fact in task.user_facts:
            if fact.role == "identity" and isinstance(fact.value, str):
                assert fact.value not in users[0]  # who they are comes when asked
        assert not missing_facts(task, episode.messages)


def test_multi_goal_each_request_comes_after_the_previous_report(played):
    for task, episode, _ in _kept(played, "multi_goal"):
        assert 2 <= len(task.goals) <= 3
        users = _texts(episode, "user")
        assert len(users) >= len(task.goals) + 1  # the goals one by one, then goodbye
        # the calls of a later goal are made only after the user asked for it
        positions = [i for i, m in enumerate(episode.messages) if m.role == "user"]
        calls = [i for i, m in enumerate(episode.messages) if m.tool_calls]
        last_goal_first_call = task.goals[-1].calls[0]
        made = 0
        for index in calls:
            made += len(episode.messages[index].tool_calls)
            if made > last_goal_first_call:
                assert sum(p < index for p in positions) >= len(task.goals)
                break


def test_rule_refusal_is_refused_in_the_world_and_explained_without_a_write(played):
    ws = played[0]
    for task, episode, _ in _kept(played, "rule_refusal"):
        assert task.read_only and task.gold_final_state == task.initial_state
        [goal] = task.goals
        refused = goal.refused
        assert goal.kind == "refusal" and refused is not None and refused.rule
        # the world refuses the call by that rule and changes nothing
        world = load_world(ws.world_dir(task.domain_id))
        env = WorldEnv(world)
        try:
            env.reset(options={"state": ws.state_file(task.initial_state).read_bytes()})
            for call in task.gold_calls:
                assert env.step((call.name, call.arguments)).ok
            before = env.state_hash()
            result = env.step((refused.name, refused.arguments))
            assert not result.ok and result.error_type == "precondition_failed"
            assert result.observation["error"]["rule"] == refused.rule
            assert env.state_hash() == before
        finally:
            env.close()
        # what shows why is in what the agent read, and the agent says it
        assert task.communicate
        for fact in task.communicate:
            assert value_at(task.gold_calls[fact.call].output, fact.path) == fact.value
        assert refused.name not in {name for name, _ in _calls(episode)}
        assert episode.final_state_hash == task.initial_state


def test_missing_information_is_asked_for_before_the_change(played):
    for task, episode, _ in _kept(played, "missing_info"):
        held = [f for f in task.user_facts if f.role == "detail"]
        assert held
        opening = _texts(episode, "user")[0]
        said = [re.compile(rf"(?<![\w.-]){re.escape(str(f.value))}(?![\w-])") for f in held]
        for pattern in said:  # as a value on its own ("1" inside "TSK-851930" is not it)
            assert not pattern.search(opening) and not pattern.search(task.intent)
        # the agent asks, the user answers with the detail, and only then is it used
        messages = episode.messages
        answered = next(
            i
            for i, m in enumerate(messages)
            if m.role == "user" and any(p.search(m.content or "") for p in said)
        )
        assert messages[answered - 1].role == "assistant" and "?" in messages[answered - 1].content
        used = [
            i
            for i, m in enumerate(messages)
            for c in m.tool_calls or ()
            if any(v == f.value for v in json.loads(c.function.arguments).values() for f in held)
        ]
        assert used and min(used) > answered, (
            task.id,
            [f.value for f in held],
            [(m.role, m.content, m.tool_calls) for m in messages[: max(used or [0]) + 1]],
        )


def test_change_of_mind_the_first_request_is_proposed_then_taken_back(played):
    ws = played[0]
    for task, episode, _ in _kept(played, "change_of_mind"):
        goal = task.goals[-1]
        withdrawn = goal.withdrawn
        assert withdrawn is not None and goal.withdrawn_request
        assert goal.withdrawn_request in _texts(episode, "user")[0] or any(
            goal.withdrawn_request in t for t in _texts(episode, "user")
        )
        made = _calls(episode)
        assert (withdrawn.name, withdrawn.arguments) not in made
        # the withdrawn request was a real alternative: it succeeds where the gold write runs
        world = load_world(ws.world_dir(task.domain_id))
        env = WorldEnv(world)
        try:
            env.reset(options={"state": ws.state_file(task.initial_state).read_bytes()})
            for call in task.gold_calls[: max(goal.calls)]:
                env.step((call.name, call.arguments))
            result = env.step((withdrawn.name, withdrawn.arguments))
            assert result.ok and result.changes
            assert env.state_hash() != task.gold_final_state
        finally:
            env.close()
        assert episode.final_state_hash == task.gold_final_state


def test_every_task_replays_and_every_communicated_fact_is_in_the_gold_outputs(sampled_builtin):
    workspace, _ = sampled_builtin
    tasks = read_records(workspace.tasks, Task)
    worlds = {}
    for task in tasks:
        world = worlds.get(task.domain_id)
        if world is None:
            world = worlds[task.domain_id] = load_world(workspace.world_dir(task.domain_id))
        state = workspace.state_file(task.initial_state).read_bytes()
        assert replay(task, world, state) == task.gold_final_state, task.id
        for fact in task.communicate:
            assert value_at(task.gold_calls[fact.call].output, fact.path) == fact.value, task.id
            assert fact.call in task.goals[fact.goal].calls


def test_offline_dialogues_reach_every_goal_and_do_not_share_one_shape(simulated_builtin, cli):
    """The dialogue targets on the built-in catalog: every episode reaches its gold state and
    tells what it must, the median episode has 4+ user turns, no opening or closing phrase is
    in more than 5% of episodes; `tasks stats` prints them with conversations to read."""
    from agentscaler.simulate.dialogue import dialogue_stats

    ws = simulated_builtin
    tasks = {t.id: t for t in read_records(ws.tasks, Task)}
    episodes = [e for path in ws.episode_files() for e in read_records(path, Episode)]
    assert len(episodes) == len(tasks)
    verdicts = [
        v
        for name in ("kept.jsonl", "rejected.jsonl")
        if (ws.filtered_dir / name).exists()
        for v in read_records(ws.filtered_dir / name, Verdict)
    ]
    assert all(v.kept and v.facts_said for v in verdicts), [v for v in verdicts if not v.kept][:3]
    stats = dialogue_stats(episodes, tasks)
    assert stats.user_turns_median >= 4, stats.user_turns
    assert stats.max_opening_share <= 0.05, stats.top_openings
    assert stats.max_closing_share <= 0.05, stats.top_closings
    assert stats.offline == len(episodes) and len(stats.samples) == 20
    assert len({s.task_id for s in stats.samples}) == 20

    shown = cli("tasks", "stats", str(ws.root), "--samples", "3")
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "scenario rule_refusal" in text and "user turns per episode" in text
    assert "distinct openings" in text and text.count("user:") >= 3
