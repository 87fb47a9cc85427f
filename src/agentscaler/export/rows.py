"""From a kept episode and its world's tools to a :class:`DatasetRow`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentscaler.errors import CorruptRecordError
from agentscaler.jsonl import read_json
from agentscaler.records import Episode, Message
from agentscaler.records.dataset import DatasetRow, Split


def load_world_tools(path: Path) -> tuple[dict[str, Any], ...]:
    """Read a world's ``tools.json``: a list of OpenAI tools (or ``{"tools": [...]}``)."""
    data = read_json(path)
    if isinstance(data, dict) and isinstance(data.get("tools"), list):
        data = data["tools"]
    if not isinstance(data, list):
        raise CorruptRecordError(
            f"{path}: expected a JSON list of OpenAI tools, found {type(data).__name__}. "
            "Re-run `agentscaler worlds build` for this run folder."
        )
    for index, tool in enumerate(data):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise CorruptRecordError(
                f"{path}: tool {index} is not an OpenAI tool "
                '({"type": "function", "function": {"name": ..., "parameters": ...}}). '
                "Re-run `agentscaler worlds build` for this run folder."
            )
    return tuple(data)


def train_flags(messages: tuple[Message, ...]) -> tuple[bool, ...]:
    """The per-message train flags: assistant messages are supervised, nothing else."""
    return tuple(m.role == "assistant" for m in messages)


def trim_trailing_turns(messages: tuple[Message, ...]) -> tuple[Message, ...]:
    """Drop the messages after the last assistant message (nothing there is trained on)."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "assistant":
            return messages[: index + 1]
    return ()


def episode_row(
    episode: Episode,
    *,
    domain: str,
    tools: tuple[dict[str, Any], ...],
    stage: Split,
    trim: bool = True,
) -> DatasetRow | None:
    """The training row of ``episode``, or None when it has no assistant message."""
    messages = trim_trailing_turns(episode.messages) if trim else episode.messages
    if not any(m.role == "assistant" for m in messages):
        return None
    # Every field comes from validated records (the episode, the world's tools), so the row is
    # assembled without validating it again: this is the export's inner loop.
    return DatasetRow.model_construct(
        id=episode.id,
        task_id=episode.task_id,
        episode_id=episode.id,
        domain=domain,
        domain_id=episode.domain_id,
        stage=stage,
        messages=messages,
        tools=tools,
        train=train_flags(messages),
        offline=is_offline(episode),
    )


def is_offline(episode: Episode) -> bool:
    """True when an offline policy played the agent or the user of ``episode``."""
    return episode.agent.offline or episode.user.offline


def restage(row: DatasetRow, stage: Split) -> DatasetRow:
    """The same row for another split."""
    return row if row.stage == stage else row.model_copy(update={"stage": stage})
