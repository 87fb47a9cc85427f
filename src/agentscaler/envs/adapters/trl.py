"""The task environments as a reward source for TRL's GRPO trainer (the ``train`` extra).

::

    from agentscaler.envs.adapters.trl import EnvReward, grpo_dataset
    dataset = grpo_dataset("runs/demo")                # prompt: system prompt + the user's opening
    trainer = GRPOTrainer(model=..., reward_funcs=EnvReward("runs/demo"), train_dataset=dataset)

Each prompt is a task's conversation at reset (the world's system prompt with its tools listed
for a text-only model, then the simulated user's opening message); each completion is played
through a fresh environment of that task as a raw-text action (tool calls in ``<tool_call>``
tags run in the episode's private state) and scored with the environment's reward, as if the
episode ended there (:meth:`agentscaler.envs.core.TaskEnv.reward`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentscaler.envs.adapters.text import tools_prompt
from agentscaler.envs.config import EnvConfig
from agentscaler.envs.core import TaskSource, make


def grpo_dataset(
    run: Path | str | TaskSource,
    task_ids: Sequence[str] | None = None,
    *,
    list_tools: bool = True,
) -> Any:
    """A ``datasets.Dataset`` with a conversational ``prompt`` and the ``task_id`` per row.

    ``list_tools=False`` leaves the tools out of the system prompt (short prompts, e.g. for a
    model whose chat template renders the tools itself, or a smoke test)."""
    from datasets import Dataset

    source = run if isinstance(run, TaskSource) else TaskSource(run)
    rows = []
    for task_id in task_ids or list(source.tasks):
        env = make(source, task_id)
        observation, _ = env.reset()
        messages = observation["messages"]
        system = messages[0]["content"]
        if list_tools:
            system = tools_prompt(system, env.tools)
        rows.append(
            {
                "prompt": [{"role": "system", "content": system}, *messages[1:]],
                "task_id": env.task.id,
            }
        )
        env.close()
    return Dataset.from_list(rows)


def _text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    parts = [m.get("content") or "" for m in completion if m.get("role") == "assistant"]
    return "\n".join(parts)


class EnvReward:
    """A GRPO reward function: the environment's reward of each completion."""

    __name__ = "agentscaler_reward"

    def __init__(self, run: Path | str | TaskSource, config: EnvConfig | None = None) -> None:
        self.source = run if isinstance(run, TaskSource) else TaskSource(run)
        self.config = config
        self.scored = 0

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], task_id: Sequence[str],
        **kwargs: Any,
    ) -> list[float]:  # fmt: skip
        rewards = []
        for completion, tid in zip(completions, task_id, strict=True):
            env = make(self.source, tid, self.config)
            try:
                env.reset()
                text = _text(completion)
                if text.strip():
                    env.step(text)
                rewards.append(env.reward().reward)
            finally:
                env.close()
            self.scored += 1
        return rewards
