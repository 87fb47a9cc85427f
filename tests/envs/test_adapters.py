"""Adapters for SkyRL-gym, GEM and verifiers, each with its real package: a scripted policy
earns 1.0 on the gold calls and 0.0 on a wrong write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import opening
from .scripted import gold_texts

SRC = Path(__file__).resolve().parents[2] / "src"


def test_skyrl_gym_env(env_run, scripted_task):
    import skyrl_gym

    from agentscaler.envs.adapters.skyrl import register_skyrl

    register_skyrl()
    register_skyrl()  # idempotent
    for wrong, expected in ((False, 1.0), (True, 0.0)):
        env = skyrl_gym.make(
            "agentscaler", env_config={"run": str(env_run)}, extras={"task_id": scripted_task.id}
        )
        messages, _ = env.init([])
        assert [m["role"] for m in messages] == ["system", "user"]
        for text in gold_texts(scripted_task, wrong_write=wrong):
            out = env.step(text)
            if out["done"]:
                break
            assert out["observations"], out
        assert out["done"] and out["reward"] == expected, out["metadata"].get("reward")
        assert out["metadata"]["termination"] == "user_stop"
        env.close()
    env = skyrl_gym.make("agentscaler", env_config={"run": str(env_run)},
                         extras={"task_id": scripted_task.id})  # fmt: skip
    env.init([])
    notice = env.step("")["observations"]
    assert notice[0]["role"] == "user" and "[environment]" in notice[0]["content"]


def test_gem_env(env_run, scripted_task):
    import gem

    from agentscaler.envs.adapters.gem import register_gem

    register_gem()
    register_gem()
    for wrong, expected in ((False, 1.0), (True, 0.0)):
        env = gem.make("agentscaler:Task-v0", run=str(env_run), task_id=scripted_task.id)
        text, info = env.reset(seed=0)
        assert text == opening(scripted_task)
        assert (
            "<tools>" in info["system_prompt"]
            and scripted_task.gold_calls[0].name in (info["system_prompt"])
        )
        for action in gold_texts(scripted_task, wrong_write=wrong):
            text, reward, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                break
            assert text.startswith("<tool_response>")
        assert terminated and reward == expected
        env.close()


VERIFIERS_SCRIPT = textwrap.dedent(
    """
    import asyncio, contextlib, json, sys
    import verifiers.v1 as vf
    from verifiers.v1.agent import Segment
    from agentscaler.envs.adapters.verifiers import (
        AgentscalerEnv, AgentscalerEnvConfig, AgentscalerTaskset, AgentscalerTasksetConfig,
        REWARD_NAME)
    sys.path.insert(0, sys.argv[3])
    from scripted import gold_texts
    from agentscaler.envs import TaskSource

    class StandInTrace:  # records what verifiers' Trace would
        def __init__(self):
            self.rewards, self.metrics, self.stopped = {}, {}, None
        def record_reward(self, name, value, weight=1.0):
            self.rewards[name] = value
        def record_metrics(self, values):
            self.metrics.update(values)
        def stop(self, condition, override=False):
            self.stopped = condition

    class StandInInteraction:  # a scripted policy behind verifiers' Interaction interface
        def __init__(self, replies):
            self.replies, self.trace, self.seen = list(replies), StandInTrace(), []
        async def turn(self, message=None):
            self.seen.append(message)
            if not self.replies:
                return Segment(messages=[], terminated=True)
            return Segment(messages=[], root_reply=self.replies.pop(0))

    class StandInAgents:
        def __init__(self, replies):
            self.interaction_ = StandInInteraction(replies)
            self.agent = self
        @contextlib.asynccontextmanager
        async def interaction(self, task):
            yield self.interaction_

    run, task_id = sys.argv[1], sys.argv[2]
    config = AgentscalerEnvConfig(taskset=AgentscalerTasksetConfig(run=run, task_ids=[task_id]))
    env = AgentscalerEnv(config)  # verifiers loads the taskset by its id
    assert isinstance(env.taskset, AgentscalerTaskset)
    (task,) = list(env.taskset)
    assert isinstance(task, vf.Task) and task.key == task_id
    assert "<tools>" in task.data.system_prompt
    out = {}
    source_task = TaskSource(run).task(task_id)
    for wrong in (False, True):
        agents = StandInAgents(gold_texts(source_task, wrong_write=wrong))
        asyncio.run(env.run(task, agents))
        trace = agents.interaction_.trace
        out[str(wrong)] = [trace.rewards[REWARD_NAME], trace.metrics["state_diff_share"],
                           agents.interaction_.seen[0]]
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="session")
def verifiers_python(tmp_path_factory) -> str:
    """A Python with the real verifiers package: a venv layered over this one (verifiers pins
    mcp and openai versions other dev dependencies cannot share), built with pip."""
    in_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    venv = tmp_path_factory.mktemp("verifiers-venv")
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    import site

    base = next(p for p in site.getsitepackages() if p.endswith("site-packages"))
    Path(purelib, "_base_env.pth").write_text(base + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "verifiers>=0.4"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if install.returncode != 0:
        message = f"verifiers could not be installed: {install.stderr[-800:]}"
        if in_ci:
            pytest.fail(message)
        pytest.skip(message)
    return str(python)


def test_verifiers_taskset_and_env(env_run, scripted_task, verifiers_python, tmp_path):
    script = tmp_path / "run_verifiers.py"
    script.write_text(VERIFIERS_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run(
        [verifiers_python, str(script), str(env_run), scripted_task.id, str(Path(__file__).parent)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["False"][:2] == [1.0, 1.0]
    assert out["True"][0] == 0.0 and out["True"][1] < 1.0
    assert out["False"][2] == opening(scripted_task)  # the simulated user opened
    versions = subprocess.run(
        [verifiers_python, "-c", "import openai, verifiers; print(openai.__version__)"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert versions.stdout.strip().startswith("2.")  # installed beside us with openai 2.x
