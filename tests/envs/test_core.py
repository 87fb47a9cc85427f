"""The multi-turn task environment: conversation, user in the loop, reward = the filter's verdict."""

from __future__ import annotations

import asyncio
import json
import os
from types import SimpleNamespace

import pytest

from agentscaler.envs import EnvConfig, TaskEnv, make, task_ids
from agentscaler.errors import EnvError, EpisodeEnded, RunFolderError
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.stage import run_filter
from agentscaler.jsonl import read_records, write_records
from agentscaler.records import CommunicatedFact, Episode, RejectReason, Verdict
from agentscaler.simulate.policies.oracle_agent import oracle_reply

from .conftest import play_oracle


def _call(name, arguments, call_id="c1"):
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }


def test_reset_gives_the_conversation_with_the_system_prompt_the_user_and_the_tools(
    source, write_task
):
    env = make(source, write_task.id)
    observation, info = env.reset()
    roles = [m["role"] for m in observation["messages"]]
    assert roles == ["system", "user"]
    assert observation["messages"][0]["content"] == env.system_prompt
    # the scripted user opens, as it does in simulation
    from agentscaler.simulate.policies.scripted_user import scripted_user_reply

    assert observation["messages"][1]["content"] == scripted_user_reply(write_task, [])
    assert {t["function"]["name"] for t in observation["tools"]} >= {
        c.name for c in write_task.gold_calls
    }
    assert info["state_hash"] == write_task.initial_state == env.state_hash()
    assert info["termination"] is None


def test_the_oracle_through_the_env_earns_one_on_every_task(source, tasks):
    for task in tasks:
        env = make(source, task.id)
        observation, _ = env.reset()
        result = play_oracle(env, observation)
        assert result.terminated and not result.truncated, result.info
        assert result.reward == 1.0, (task.id, result.info["reward"])
        assert result.info["termination"] == "user_stop"
        parts = result.info["reward"]
        assert parts["state_diff_share"] == 1.0 and parts["extra_changes"] == 0
        assert parts["facts_share"] == 1.0 and parts["goal_reached"]
        env.close()


def test_a_wrong_write_earns_zero_with_partial_components(source, write_task):
    env = make(source, write_task.id)
    env.reset()
    gold = [c for c in write_task.gold_calls if c.error is None]
    for index, call in enumerate(gold):
        arguments = dict(call.arguments)
        if call.kind == "write":
            arguments = {k: f"{v}-WRONG" if isinstance(v, str) else v for k, v in arguments.items()}
        env.step(_call(call.name, arguments, f"c{index}"))
    result = _finish(env, "All done, I made the changes you asked for.")
    assert (result.terminated or result.truncated) and result.reward == 0.0
    parts = result.info["reward"]
    assert not parts["kept"] and parts["reason"] in {"state_mismatch", "call_mismatch"}
    assert parts["state_diff_share"] < 1.0


def _finish(env, text):
    """Say ``text`` and keep closing until the user ends the conversation; the last result."""
    result = env.step(text)
    for _ in range(6):
        if result.terminated or result.truncated:
            break
        result = env.step("That is everything I can do here. Is there anything else?")
    return result


def test_step_after_the_end_and_before_reset_raise_clear_errors(source, write_task):
    env = make(source, write_task.id)
    with pytest.raises(EnvError, match="reset"):
        env.step("hello")
    observation, _ = env.reset()
    play_oracle(env, observation)
    with pytest.raises(EpisodeEnded, match="already ended"):
        env.step("one more thing")
    observation, info = env.reset()  # a new episode starts from the initial state again
    assert info["state_hash"] == write_task.initial_state
    assert len(observation["messages"]) == 2


def test_raw_model_text_goes_through_the_response_normaliser(source, write_task):
    env = make(source, write_task.id)
    env.reset()
    call = write_task.gold_calls[0]
    text = (
        "<think>I should look this up first.</think>"
        f'<tool_call>{{"name": "{call.name}", "arguments": {json.dumps(call.arguments)}}}'
        "</tool_call>"
    )
    result = env.step(text)
    recorded = env.episode().messages[-2]
    assert recorded.reasoning_content == "I should look this up first."
    assert recorded.tool_calls[0].function.name == call.name
    assert "reasoning_content" not in result.observation["messages"][-2]
    assert result.observation["messages"][-1]["role"] == "tool"
    assert "error" not in json.loads(result.observation["messages"][-1]["content"])


def test_bad_actions_get_error_observations_and_change_nothing(source, write_task):
    env = make(source, write_task.id)
    env.reset()
    before = len(env.messages)
    for bad in ("", {"role": "assistant", "content": "  "}, {"tool_calls": [{"function": {}}]}):
        result = env.step(bad)
        assert result.info["error"]["type"] == "invalid_action"
        assert result.observation["error"]["message"]
        assert len(env.messages) == before  # nothing recorded
    with pytest.raises(EnvError, match="not a int"):
        env.step(42)
    write = next(c for c in write_task.gold_calls if c.kind == "write")
    observations = []
    for action in (
        _call("launch_rocket", {}, "x1"),
        {"tool_calls": [{"id": "x2", "function": {"name": write.name, "arguments": "{oops"}}]},
        _call(write.name, {k: {"nested": [1]} for k in write.arguments}, "x3"),
    ):
        result = env.step(action)
        observations.append(json.loads(result.observation["messages"][-1]["content"]))
    assert observations[0]["error"]["type"] == "unknown_tool"
    assert [o["error"]["type"] for o in observations[1:]] == ["invalid_argument"] * 2
    assert env.state_hash() == write_task.initial_state
    end = _finish(env, "I could not do it, sorry.")
    assert end.reward == 0.0 and end.info["reward"]["reason"] == "unknown_tool"


def test_limits_truncate(source, write_task):
    env = make(source, write_task.id, max_tool_calls=2)
    env.reset()
    call = write_task.gold_calls[0]
    env.step(_call(call.name, call.arguments, "a"))
    result = env.step(
        {"tool_calls": [_call(call.name, call.arguments, i)["tool_calls"][0] for i in "bc"]}
    )
    assert result.truncated and not result.terminated
    assert result.info["termination"] == "max_tool_calls"
    assert json.loads(result.observation["messages"][-1]["content"])["error"]["type"] == (
        "limit_exceeded"
    )
    env = make(source, write_task.id, max_turns=3)
    env.reset()
    assert not env.step("Could you tell me your name?").truncated  # turns 2 and 3 (the user)
    result = env.step("And your email?")
    assert result.truncated and result.info["termination"] == "max_turns"


def test_async_api_and_task_lookup(source, tasks):
    first = tasks[0]

    async def play():
        env = make(source, first.id)
        observation, _ = await env.areset()
        while True:
            result = await env.astep(oracle_reply(env.task, observation["messages"]))
            observation = result.observation
            if result.terminated or result.truncated:
                return result

    assert asyncio.run(play()).reward == 1.0
    assert make(source, first.id[:10]).task.id == first.id
    with pytest.raises(RunFolderError, match="Did you mean"):
        make(source, first.id[:-1] + ("x" if first.id[-1] != "x" else "y"))
    assert task_ids(source.root)[0] == first.id


def _fact(name: str, value: str) -> CommunicatedFact:
    return CommunicatedFact(name=name, value=value, call=0, path=name)


def _telling_task(tasks):
    """A write task with values the agent must tell the user (the oracle tells them)."""
    return next(t for t in tasks if t.communicate and not t.read_only)


def test_reward_multiplies_the_communicated_facts_check(source, tasks):
    task = _telling_task(tasks)
    facts = (*task.communicate, _fact(name="refund", value="ZZ-NEVER-SAID"))
    env = TaskEnv(source, task.model_copy(update={"communicate": facts}))
    observation, _ = env.reset()
    result = play_oracle(env, observation)
    parts = result.info["reward"]
    assert parts["state"] == 1.0 and parts["facts"] == 0.0 and result.reward == 0.0
    told = len(task.communicate)
    assert parts["facts_share"] == pytest.approx(told / (told + 1), abs=1e-6)
    assert parts["facts_missing"] == ["refund"]
    env = TaskEnv(source, task)
    observation, _ = env.reset()
    assert play_oracle(env, observation).reward == 1.0


def test_reward_takes_the_facts_from_a_verdict_that_checked_them(source, tasks, monkeypatch):
    """A filter with a facts stage: rejected only for an untold fact, the state part holds."""
    from agentscaler.envs import reward as reward_module

    judged = reward_module.verify_episode
    task = _telling_task(tasks)
    task = task.model_copy(update={"communicate": (task.communicate[0],) * 2})

    def with_facts_stage(episode, *args, **kwargs):
        verdict = judged(episode, *args, **kwargs)
        assert verdict.kept
        fields = verdict.model_dump() | {"kept": False, "stage": "facts"}
        fields["reason"] = RejectReason.STATE_MISMATCH  # any reason: the stage is what counts
        fields |= {"facts_said": False, "missing_facts": ("refund amount",)}
        return SimpleNamespace(**fields)

    monkeypatch.setattr(reward_module, "verify_episode", with_facts_stage)
    env = TaskEnv(source, task)
    observation, _ = env.reset()
    parts = play_oracle(env, observation).info["reward"]
    assert (parts["reward"], parts["state"], parts["facts"]) == (0.0, 1.0, 0.0)
    assert parts["facts_missing"] == ["refund amount"] and parts["facts_share"] == 0.5


def test_env_rewards_agree_with_the_filter_stage_on_the_same_conversations(
    env_run, source, tasks, tmp_path
):
    """Good and bad conversations played through the env, then judged by the filter stage."""
    rewards: dict[str, float] = {}
    episodes: list[Episode] = []
    for task in tasks[::3]:
        env = make(source, task.id)
        for variant in ("oracle", "wrong_write", "unknown_tool_then_oracle", "early_stop"):
            observation, _ = env.reset()
            if variant == "unknown_tool_then_oracle":
                observation = env.step(_call("launch_rocket", {}, "r1")).observation
            if variant == "early_stop":
                result = env.step("Done!")
            elif variant == "wrong_write" and not task.read_only:
                for i, call in enumerate(task.gold_calls):
                    arguments = dict(call.arguments)
                    if call.kind == "write":
                        arguments = {k: (f"{v}-x" if isinstance(v, str) else v) for k, v in
                                     arguments.items()}  # fmt: skip
                    env.step(_call(call.name, arguments, f"w{i}"))
                result = env.step("Done, anything else?")
                if not result.terminated:
                    result = env.step("Bye.")
            else:
                result = play_oracle(env, observation)
            episode = env.episode()
            rewards[episode.id] = result.reward
            episodes.append(episode)
    run = tmp_path / "judged"
    run.mkdir()
    for name in ("worlds", "states"):
        os.symlink(env_run / name, run / name)
    (run / "tasks.jsonl").write_bytes((env_run / "tasks.jsonl").read_bytes())
    write_records(run / "episodes" / "shard-00000.jsonl", episodes)
    run_filter(run, FilterConfig(workers=1))
    verdicts = read_records(run / "filtered" / "kept.jsonl", Verdict) + read_records(
        run / "filtered" / "rejected.jsonl", Verdict
    )
    assert len(verdicts) == len(rewards)
    kept = {v.episode_id: v.kept for v in verdicts}
    assert {e: (1.0 if k else 0.0) for e, k in kept.items()} == rewards
    assert 0 < sum(rewards.values()) < len(rewards)  # both outcomes are present


def test_recorded_episodes_replayed_through_the_env_get_the_filters_verdict(env_run, source):
    verdicts = {
        v.episode_id: v
        for path in ("kept.jsonl", "rejected.jsonl")
        for v in read_records(env_run / "filtered" / path, Verdict)
    }
    episodes = [
        e for p in sorted((env_run / "episodes").glob("*.jsonl")) for e in read_records(p, Episode)
    ]
    assert episodes and len(verdicts) == len(episodes)
    for episode in episodes:
        env = make(source, episode.task_id, config=EnvConfig())
        env.reset()
        result = None
        for message in episode.messages[2:]:
            if message.role == "assistant":
                result = env.step(message)
        assert result is not None and (result.terminated or result.truncated)
        played = [m.openai() for m in env.episode().messages]
        assert played == [m.openai() for m in episode.messages]
        assert result.reward == (1.0 if verdicts[episode.id].kept else 0.0)
