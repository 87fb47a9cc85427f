"""A small run folder (hash embedder, 3 tasks per domain) simulated and filtered, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentscaler.envs import TaskSource
from agentscaler.jsonl import read_records
from agentscaler.records import Task


@pytest.fixture(scope="session")
def env_run(tmp_path_factory) -> Path:
    from agentscaler.pipeline.run import run_pipeline

    root = tmp_path_factory.mktemp("envs") / "run"
    run_pipeline(
        root, {"graph": {"embedder": "hash"}, "tasks": {"per_domain": 3}}, stop_after="filter"
    )
    return root


@pytest.fixture(scope="session")
def source(env_run) -> TaskSource:
    return TaskSource(env_run)


@pytest.fixture(scope="session")
def tasks(env_run) -> list[Task]:
    return read_records(env_run / "tasks.jsonl", Task)


@pytest.fixture(scope="session")
def write_task(tasks) -> Task:
    return next(t for t in tasks if not t.read_only and len(t.gold_calls) >= 2)


def play_oracle(env, first_observation):
    """Play the oracle agent to the end; the last step result."""
    from agentscaler.simulate.policies.oracle_agent import oracle_reply

    observation = first_observation
    while True:
        result = env.step(oracle_reply(env.task, observation["messages"]))
        observation = result.observation
        if result.terminated or result.truncated:
            return result


@pytest.fixture(scope="session")
def scripted_task(source, tasks) -> Task:
    """A write task the scripted text policy (the gold calls, then a last word) completes
    through the core environment with reward 1.0: the adapters must give the same."""
    from agentscaler.envs import make

    from .scripted import gold_texts

    for task in tasks:
        if task.read_only or len(task.gold_calls) < 2:
            continue
        env = make(source, task.id)
        env.reset()
        for text in gold_texts(task):
            result = env.step(text)
            if result.terminated or result.truncated:
                break
        if result.terminated and result.reward == 1.0:
            return task
    raise AssertionError("no task the scripted policy completes")


def opening(task: Task) -> str:
    """The simulated user's first message."""
    from agentscaler.simulate.policies.scripted_user import scripted_user_reply

    return scripted_user_reply(task, [])
