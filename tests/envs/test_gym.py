"""The Gymnasium family agentscaler/Task-v0: text spaces, check_env, make by id."""

from __future__ import annotations

import json
import warnings

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

from agentscaler.simulate.policies.oracle_agent import oracle_reply


def test_check_env_passes_without_warnings(env_run, write_task):
    env = gymnasium.make(
        "agentscaler.envs.gym:agentscaler/Task-v0", run=str(env_run), task_id=write_task.id
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=False)
    env.close()


def test_a_gym_episode_with_text_actions_earns_the_reward(env_run, write_task):
    import agentscaler.envs.gym  # noqa: F401  (registers the family)

    env = gymnasium.make("agentscaler/Task-v0", run=str(env_run), task_id=write_task.id,
                         render_mode="ansi")  # fmt: skip
    text, _ = env.reset(seed=3)
    assert env.observation_space.contains(text)
    observation = json.loads(text)
    assert [m["role"] for m in observation["messages"]] == ["system", "user"]
    total, steps = 0.0, 0
    while True:
        action = json.dumps(oracle_reply(env.unwrapped.core.task, observation["messages"]))
        text, reward, terminated, truncated, _info = env.step(action)
        assert env.observation_space.contains(text)
        observation = json.loads(text)
        total += reward
        steps += 1
        if terminated or truncated:
            break
    assert terminated and total == 1.0
    assert "tool:" in env.render() or "tool" in env.render()
    with pytest.raises(Exception, match="already ended"):
        env.step("hello")
    env.close()


def test_unknown_keyword_or_task_fails_clearly(env_run):
    import agentscaler.envs.gym  # noqa: F401

    with pytest.raises(Exception, match=r"Did you mean|no task"):
        gymnasium.make("agentscaler/Task-v0", run=str(env_run), task_id="t-nope")
