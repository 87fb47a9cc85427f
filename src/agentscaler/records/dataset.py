"""`DatasetRow`: one training example (an accepted episode) in OpenAI chat format."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from agentscaler.records.base import Record
from agentscaler.records.episode import Message


class DatasetRow(Record):
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    id: str
    task_id: str
    episode_id: str
    domain: str
    domain_id: str
    stage: Literal["stage1", "stage2", "heldout"]
    messages: tuple[Message, ...]
    tools: tuple[dict[str, Any], ...]
    """The world's tools in OpenAI format."""
    train: tuple[bool, ...]
    """One flag per message: True for assistant messages (supervised), False otherwise."""
