"""Tasks of a run folder as RL environments: reset, step, reward at the gold state."""

from __future__ import annotations

import pytest

from agentscaler.envs import make, task_ids
from agentscaler.errors import RunFolderError
from agentscaler.jsonl import read_records
from agentscaler.records import Task


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from agentscaler.pipeline.run import run_pipeline

    root = tmp_path_factory.mktemp("envs") / "run"
    run_pipeline(
        root, {"graph": {"embedder": "hash"}, "tasks": {"per_domain": 3}}, stop_after="tasks"
    )
    return root


def _tasks(run_dir) -> list[Task]:
    return read_records(run_dir / "tasks.jsonl", Task)


def _gold_run(env, task):
    rewards, ends = [], []
    for call in task.gold_calls:
        result = env.step({"name": call.name, "arguments": call.arguments})
        assert result.ok, result.observation
        rewards.append(result.reward)
        ends.append(result.terminated)
    return rewards, ends


def test_gold_calls_earn_the_reward_on_the_last_step(run_dir):
    tasks = _tasks(run_dir)
    write = next(t for t in tasks if not t.read_only and len(t.gold_calls) >= 2)
    read = next(t for t in tasks if t.read_only and len(t.gold_calls) >= 2)
    for task in (write, read):
        env = make(run_dir, task.id)
        observation, info = env.reset()
        assert observation["intent"] == task.intent
        assert {t["function"]["name"] for t in observation["tools"]} >= {
            c.name for c in task.gold_calls
        }
        assert info["state_hash"] == task.initial_state
        rewards, ends = _gold_run(env, task)
        # a write task is done at its last write (later reads change nothing); a read-only one
        # at its last call
        done = (
            max(i for i, c in enumerate(task.gold_calls) if c.kind == "write")
            if not task.read_only
            else len(task.gold_calls) - 1
        )
        assert rewards[done] == 1.0 and ends[done]
        if task.read_only:
            assert rewards[:-1] == [0.0] * (len(rewards) - 1)
        env.close()


def test_reset_starts_over_and_wrong_calls_earn_nothing(run_dir):
    task = next(t for t in _tasks(run_dir) if not t.read_only)
    env = make(run_dir, task.id)
    env.reset()
    _gold_run(env, task)
    _, info = env.reset()
    assert info["state_hash"] == task.initial_state
    result = env.step({"name": task.gold_calls[0].name, "arguments": {"no_such_argument": 1}})
    assert result.reward == 0.0 and not result.terminated
    assert result.observation["error"]["type"] == "invalid_argument"
    unknown = env.step({"name": "launch_rocket", "arguments": {}})
    assert unknown.observation["error"]["type"] == "unknown_tool" and unknown.reward == 0.0


def test_task_lookup_by_prefix_and_did_you_mean(run_dir):
    first = task_ids(run_dir)[0]
    assert make(run_dir, first[:10]).task.id == first
    with pytest.raises(RunFolderError, match="Did you mean"):
        make(run_dir, first[:-1] + ("x" if first[-1] != "x" else "y"))
