"""The task environment as a SkyRL-gym ``BaseTextEnv`` (``pip install 'agentscaler[skyrl]'``).

::

    from agentscaler.envs.adapters.skyrl import register_skyrl
    register_skyrl()                                    # id "agentscaler"
    env = skyrl_gym.make("agentscaler", env_config={"run": "runs/demo"},
                         extras={"task_id": "t-0a1b"})
    messages, info = env.init([])                       # system prompt + the user's opening
    out = env.step(model_text)                          # raw model text (tool calls parsed)
    out["observations"], out["reward"], out["done"], out["metadata"]

``observations`` are the messages the environment appended after the action (tool results and
the user's reply, OpenAI format); ``metadata`` is the core environment's ``info``. The dataset
row's ``extras`` name the task (``task_id``) and may name the run folder (``run``); the
environment config may too. An invalid action gets a user-role notice from the environment.
"""

from __future__ import annotations

from typing import Any

from skyrl_gym.envs.base_text_env import BaseTextEnv, BaseTextEnvStepOutput

from agentscaler.envs.adapters.text import added
from agentscaler.envs.core import make
from agentscaler.errors import ConfigError

ENV_ID = "agentscaler"


class AgentscalerTextEnv(BaseTextEnv):
    """One task of a run folder as a SkyRL-gym text environment."""

    def __init__(self, env_config: Any = None, extras: dict[str, Any] | None = None) -> None:
        super().__init__()
        extras = dict(extras or {})
        config = dict(env_config or {})
        run = extras.get("run") or config.get("run")
        task_id = extras.get("task_id") or config.get("task_id")
        if not run or not task_id:
            raise ConfigError(
                "the agentscaler SkyRL env needs the run folder and the task: "
                'env_config={"run": "runs/demo"} and extras={"task_id": ...}'
            )
        settings = {k: v for k, v in config.items() if k not in {"run", "task_id"}}
        self.core = make(run, task_id, **settings)
        self.max_turns = self.core.config.max_turns

    def init(self, prompt: list[dict[str, Any]] | None = None):
        observation, info = self.core.reset()
        return observation["messages"], info

    def step(self, action: str) -> BaseTextEnvStepOutput:
        before = len(self.core.messages)
        result = self.core.step(action)
        self.turns += 1
        error = result.info.get("error")
        if isinstance(error, dict):
            observations = [{"role": "user", "content": f"[environment] {error['message']}"}]
        else:
            observations = added(before, result.observation)
        return BaseTextEnvStepOutput(
            observations=observations,
            reward=result.reward,
            done=result.terminated or result.truncated,
            metadata=result.info,
            postprocessed_action=None,
        )

    def close(self) -> None:
        self.core.close()


def register_skyrl() -> None:
    """Register ``agentscaler`` with SkyRL-gym (idempotent)."""
    import skyrl_gym

    if ENV_ID not in skyrl_gym.registry:
        skyrl_gym.register(
            id=ENV_ID, entry_point="agentscaler.envs.adapters.skyrl:AgentscalerTextEnv"
        )
