"""The task environments as a Gymnasium family with text spaces: ``agentscaler/Task-v0``.

::

    import gymnasium
    import agentscaler.envs.gym  # registers agentscaler/Task-v0 (or call register_gymnasium())

    env = gymnasium.make("agentscaler/Task-v0", run="runs/demo", task_id="t-0a1b")
    observation, info = env.reset(seed=0)       # JSON text: {"messages": [...], "tools": [...]}
    observation, reward, terminated, truncated, info = env.step('{"role": "assistant", ...}')

``gymnasium.make("agentscaler.envs.gym:agentscaler/Task-v0", ...)`` imports and registers in
one go. Observations are the core environment's observation as JSON text (ASCII, non-ASCII
characters escaped); an action is text: a JSON object is read as an OpenAI assistant message (or a
``{"name", "arguments"}`` tool call), anything else as raw model text (tool calls inside it are
parsed by the response normaliser). Rewards, termination and ``info`` are the core
environment's (:mod:`agentscaler.envs.core`). Requires the ``rl`` extra (gymnasium).
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import gymnasium
from gymnasium import spaces

from agentscaler.envs.config import EnvConfig
from agentscaler.envs.core import TaskSource, make

ENV_ID = "agentscaler/Task-v0"
CHARSET = frozenset(string.printable)
"""Characters of observations and actions: printable ASCII (JSON escapes the rest)."""
MAX_OBSERVATION_CHARS = 1 << 22
MAX_ACTION_CHARS = 1 << 15


def parse_text_action(action: str) -> Any:
    """A text action as the core environment's action: a JSON object is a message (or a tool
    call); any other text is raw model text."""
    text = action.strip()
    if text.startswith("{") and text.endswith("}"):
        try:
            value = json.loads(text)
        except ValueError:
            return action
        if isinstance(value, dict) and (
            {"content", "tool_calls", "role"} & value.keys() or "name" in value
        ):
            return value
    return action


class TaskGymEnv(gymnasium.Env[str, str]):
    """One task of a run folder as a Gymnasium environment with text spaces."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        run: str | Path | TaskSource,
        task_id: str,
        config: EnvConfig | None = None,
        render_mode: str | None = None,
        **settings: Any,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        self.render_mode = render_mode
        self.core = make(run, task_id, config, **settings)
        self.observation_space = spaces.Text(
            max_length=MAX_OBSERVATION_CHARS, min_length=0, charset=CHARSET
        )
        self.action_space = spaces.Text(max_length=MAX_ACTION_CHARS, min_length=1, charset=CHARSET)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        observation, info = self.core.reset(seed=seed, options=options)
        return _text(observation), info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        result = self.core.step(parse_text_action(action) if isinstance(action, str) else action)
        return (
            _text(result.observation),
            float(result.reward),
            result.terminated,
            result.truncated,
            result.info,
        )

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        lines = []
        for message in self.core.messages:
            text = message.get("content") or ""
            calls = message.get("tool_calls") or ()
            if calls:
                text += " ".join(
                    f"[{c['function']['name']}({c['function']['arguments']})]" for c in calls
                )
            lines.append(f"{message['role']}: {text}")
        return "\n".join(lines)

    def close(self) -> None:
        self.core.close()


def _text(observation: dict[str, Any]) -> str:
    return json.dumps(observation, ensure_ascii=True, separators=(",", ":"))


def register_gymnasium() -> None:
    """Register ``agentscaler/Task-v0`` with Gymnasium (idempotent)."""
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(id=ENV_ID, entry_point="agentscaler.envs.gym:TaskGymEnv")


register_gymnasium()
