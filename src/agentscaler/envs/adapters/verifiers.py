"""The task environments for verifiers (v1 API, ``pip install 'agentscaler[verifiers]'``).

:class:`AgentscalerTaskset` yields one verifiers task per task of a run folder;
:class:`AgentscalerEnv` runs it the way verifiers runs OpenEnv environments: the environment
plays the user and the world, the policy under training is the ``agent`` role. Each turn relays
what the environment appended (the simulated user's reply, tool results in ``<tool_response>``
tags) to the agent and the agent's reply back as a raw-text action (tool calls in
``<tool_call>`` tags are parsed by the response normaliser). The task's system prompt is the
world's, with its tools listed.

The rubric is the environment's reward: ``agentscaler_reward`` (the filter's verdict on the
conversation times the communicated-facts check, :mod:`agentscaler.envs.reward`) is recorded on
the agent's trace, and its components as metrics (``state_diff_share``, ``facts_share``,
``tool_errors``, ...).

verifiers finds both by the taskset id ``agentscaler-verifiers`` (the package
``agentscaler_verifiers``)::

    config = AgentscalerEnvConfig(taskset=AgentscalerTasksetConfig(run="runs/demo"))
    env = AgentscalerEnv(config)          # env.taskset yields the run's tasks
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import verifiers.v1 as vf

from agentscaler.envs.adapters.text import added, render, tools_prompt
from agentscaler.envs.core import TaskSource, make

TASKSET_ID = "agentscaler-verifiers"
"""The id verifiers loads this taskset (and its environment) by: the plugin package
``agentscaler_verifiers``."""
REWARD_NAME = "agentscaler_reward"
METRICS = ("state", "facts", "state_diff_share", "facts_share", "tool_calls", "tool_errors")


class AgentscalerTaskData(vf.TaskData):
    run: str
    """The run folder."""
    task_id: str


class AgentscalerTask(vf.Task[AgentscalerTaskData]):
    @property
    def key(self) -> str:
        return self.data.task_id


class AgentscalerTasksetConfig(vf.TasksetConfig):
    id: str = TASKSET_ID
    run: str = ""
    """The run folder whose tasks are served (after ``agentscaler tasks sample``)."""
    task_ids: list[str] | None = None
    """Only these tasks (default: all of them)."""


class AgentscalerTaskset(vf.Taskset[AgentscalerTask, AgentscalerTasksetConfig]):
    def load(self) -> Iterator[AgentscalerTask]:
        source = TaskSource(self.config.run)
        ids = self.config.task_ids or list(source.tasks)
        for task_id in ids:
            task = source.task(task_id)
            world = source.pool.world(task.domain_id)
            yield AgentscalerTask(
                AgentscalerTaskData(
                    id=task.id,
                    name=task.id,
                    prompt=None,  # the simulated user opens the conversation
                    system_prompt=tools_prompt(world.system_prompt, world.tools),
                    run=str(source.root),
                    task_id=task.id,
                ),
                self.config.task,
            )


class AgentscalerEnvConfig(vf.EnvConfig):
    taskset: AgentscalerTasksetConfig = AgentscalerTasksetConfig()
    agent: vf.AgentConfig = vf.AgentConfig()


class AgentscalerEnv(vf.Env[AgentscalerEnvConfig]):
    async def run(self, task: Any, agents: Any) -> None:
        env = make(task.data.run, task.data.task_id)
        observation, _ = await env.areset()
        try:
            async with agents.agent.interaction(task) as interaction:
                segment = await interaction.turn(render(observation["messages"][1:]))
                while not segment.terminated and not env.done:
                    action = segment.last_reply
                    if not action.strip():
                        interaction.trace.stop("empty_action")
                        break
                    before = len(env.messages)
                    result = await env.astep(action)
                    if result.terminated or result.truncated:
                        break
                    error = result.info.get("error")
                    reply = (
                        f"[environment] {error['message']}"
                        if isinstance(error, dict)
                        else render(added(before, result.observation))
                    )
                    segment = await interaction.turn(reply)
            reward = env.reward()
        finally:
            env.close()
        trace = interaction.trace
        trace.record_reward(REWARD_NAME, reward.reward)
        values = reward.model_dump()
        trace.record_metrics({name: float(values[name]) for name in METRICS})
