"""The run's worlds as RL environments: one task, one Gymnasium-shaped environment.

::

    from agentscaler.envs import make, task_ids

    env = make("runs/demo", task_ids("runs/demo")[0])
    observation, info = env.reset()          # the intent, the user's facts, the tools
    result = env.step({"name": "get_order", "arguments": {"order_id": "ORD-104233"}})
    result.observation, result.reward, result.terminated, result.truncated, result.info

Each ``reset`` starts from a fresh copy of the task's initial state. The reward is the filter's
criterion: 1.0 on the step that makes the state equal the gold final state (write tasks), or
that completes the gold call sequence (read-only tasks, whose state never changes); the episode
then terminates. ``max_tool_calls`` truncates.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from typing import Any

from agentscaler.errors import RunFolderError
from agentscaler.filter.calls import CallRecord
from agentscaler.filter.config import FilterConfig
from agentscaler.filter.exact import match_gold
from agentscaler.jsonl import read_records
from agentscaler.records import Task
from agentscaler.workspace import Workspace
from agentscaler.worlds.runtime.env import StepResult, WorldEnv, parse_action
from agentscaler.worlds.runtime.loader import CompiledWorld, load_world


def task_ids(run_dir: Path | str) -> list[str]:
    """Ids of the tasks of a run folder (after ``agentscaler tasks sample``)."""
    ws = Workspace(Path(run_dir))
    return [t.id for t in read_records(ws.require(ws.tasks, "tasks"), Task)]


class TaskEnv:
    """One task of a run folder as an environment whose actions are tool calls."""

    def __init__(
        self, task: Task, world: CompiledWorld, state_file: Path, *, max_tool_calls: int = 30
    ) -> None:
        self.task = task
        self.world = world
        self.state_file = Path(state_file)
        self.max_tool_calls = max_tool_calls
        self._env: WorldEnv | None = None
        self._calls: list[CallRecord] = []
        self._schemas = {
            t["function"]["name"]: t["function"].get("parameters", {}) for t in world.openai_tools
        }
        self._exact = FilterConfig()

    @property
    def tools(self) -> list[dict[str, Any]]:
        return self.world.openai_tools

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Start over from the task's initial state; return ``(observation, info)``."""
        if self._env is not None:
            self._env.close()
        goal = None if self.task.read_only else self.task.gold_final_state
        self._env = self.world.make_env(
            state=self.state_file,
            goal_state_hash=goal,
            max_steps=self.max_tool_calls,
        )
        self._calls = []
        observation = {
            "intent": self.task.intent,
            "user_facts": {f.name: f.value for f in self.task.user_facts},
            "tools": self.tools,
        }
        info = {
            "task_id": self.task.id,
            "domain_id": self.task.domain_id,
            "read_only": self.task.read_only,
            "gold_calls": len(self.task.gold_calls),
            "state_hash": self._env.state_hash(),
        }
        return observation, info

    def step(self, action: Any) -> StepResult:
        """Execute one tool call; see the module docstring for the reward."""
        if self._env is None:
            self.reset()
        assert self._env is not None
        result = self._env.step(action)
        if not self.task.read_only:
            if result.reward:
                return replace(result, terminated=True)
            return result
        name, raw = _call_of(action)
        self._calls.append(
            CallRecord(
                index=len(self._calls),
                call_id=str(len(self._calls)),
                name=name,
                raw_arguments=raw,
                arguments=None,
                result=result.content,
            )
        )
        done = match_gold(_parsed(self._calls), self.task.gold_calls, self._schemas, self._exact)
        if done is None:
            return replace(result, reward=1.0, terminated=True)
        return result

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None


def _call_of(action: Any) -> tuple[str, str]:
    import json

    name, arguments = parse_action(action)
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return name, raw


def _parsed(calls: list[CallRecord]) -> list[CallRecord]:
    from agentscaler.filter.calls import parse_arguments

    return [replace(c, arguments=parse_arguments(c.raw_arguments)) for c in calls]


def make(run_dir: Path | str, task_id: str, *, max_tool_calls: int = 30) -> TaskEnv:
    """The environment of task ``task_id`` of a run folder (unknown ids get a did-you-mean)."""
    ws = Workspace(Path(run_dir))
    tasks = {t.id: t for t in read_records(ws.require(ws.tasks, "tasks"), Task)}
    task = tasks.get(task_id)
    if task is None:
        matches = [t for t in tasks if t.startswith(task_id)] if task_id else []
        if len(matches) == 1:
            task = tasks[matches[0]]
        else:
            close = difflib.get_close_matches(task_id, list(tasks), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise RunFolderError(
                f"no task {task_id!r} among the {len(tasks)} tasks of {ws.tasks}.{hint}"
            )
    world = load_world(ws.require(ws.world_dir(task.domain_id), "worlds"))
    state = ws.require(ws.state_file(task.initial_state), "tasks")
    return TaskEnv(task, world, state, max_tool_calls=max_tool_calls)
