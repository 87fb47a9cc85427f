"""The task environment as a GEM ``Env`` (``pip install 'agentscaler[gem]'``).

::

    from agentscaler.envs.adapters.gem import register_gem
    register_gem()                                      # id "agentscaler:Task-v0"
    env = gem.make("agentscaler:Task-v0", run="runs/demo", task_id="t-0a1b")
    text, info = env.reset()        # the user's opening; info["system_prompt"] lists the tools
    text, reward, terminated, truncated, info = env.step(model_text)

Observations are text: what the environment appended after the action (tool results in
``<tool_response>`` tags, the user's reply). The system prompt for a text-only model (the world's
prompt with its tools and how to call them) is ``info["system_prompt"]``; ``info["messages"]``
holds the whole conversation in OpenAI format.
"""

from __future__ import annotations

from typing import Any

from gem.core import Env

from agentscaler.envs.adapters.text import added, render, tools_prompt
from agentscaler.envs.core import TaskSource, make

ENV_ID = "agentscaler:Task-v0"


class AgentscalerGemEnv(Env):
    """One task of a run folder as a GEM environment."""

    def __init__(self, run: Any, task_id: str, **settings: Any) -> None:
        super().__init__()
        self.run = run if isinstance(run, TaskSource) else TaskSource(run)
        self.task_id = task_id
        self.settings = settings
        self.core = make(self.run, task_id, **settings)

    def reset(self, seed: int | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed)
        observation, info = self.core.reset(seed=seed)
        info["system_prompt"] = tools_prompt(self.core.system_prompt, self.core.tools)
        info["messages"] = observation["messages"]
        return render(observation["messages"][1:]), info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        before = len(self.core.messages)
        result = self.core.step(action)
        info = dict(result.info)
        info["messages"] = result.observation["messages"]
        error = info.get("error")
        text = (
            f"[environment] {error['message']}"
            if isinstance(error, dict)
            else render(added(before, result.observation))
        )
        return text, result.reward, result.terminated, result.truncated, info

    def sample_random_action(self) -> str:
        return "Could you tell me more about what you need?"

    def spawn(self, same_state: bool = False, **kwargs: Any) -> AgentscalerGemEnv:
        if same_state:
            raise NotImplementedError("an episode's state is not shared between environments")
        return AgentscalerGemEnv(self.run, kwargs.pop("task_id", self.task_id),
                                 **{**self.settings, **kwargs})  # fmt: skip

    def close(self) -> None:
        self.core.close()


def register_gem() -> None:
    """Register ``agentscaler:Task-v0`` with GEM (idempotent)."""
    import gem
    from gem.envs.registration import ENV_REGISTRY

    if ENV_ID not in ENV_REGISTRY:
        gem.register(ENV_ID, "agentscaler.envs.adapters.gem:AgentscalerGemEnv")
