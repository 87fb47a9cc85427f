"""Training data records: `DatasetRow` (one kept episode in OpenAI chat format), the held-out task
list and the manifest of an exported dataset."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from agentscaler.records.base import Record
from agentscaler.records.episode import Message

Split = Literal["stage1", "stage2", "heldout"]
SPLITS: tuple[Split, ...] = ("stage1", "stage2", "heldout")


class DatasetRow(Record):
    """One training example: a kept episode with the tools of its world.

    On disk (Parquet and JSON Lines) ``tools`` is stored as the JSON text of the list (see
    :mod:`agentscaler.export.writers`); this record accepts either form and always holds dicts.
    """

    SCHEMA_VERSION: ClassVar[int] = 3
    OLDER_VERSIONS: ClassVar[tuple[int, ...]] = (2,)
    """Version 3 added ``offline``."""

    schema_version: int = 3
    id: str
    """The episode id (unique within a split)."""
    task_id: str
    episode_id: str
    domain: str
    """Readable domain name."""
    domain_id: str
    stage: Split
    messages: tuple[Message, ...]
    """OpenAI-format messages; tool-call arguments are JSON strings."""
    tools: tuple[dict[str, Any], ...]
    """The world's tools in OpenAI format."""
    train: tuple[bool, ...]
    """One flag per message: True for assistant messages (supervised), False otherwise."""
    num_tokens: int | None = None
    """Qwen3 tokens of the row rendered with Qwen3's official chat template (None: not measured;
    see :mod:`agentscaler.export.lengths`)."""
    dropped_tools: int = 0
    """Tools of the world left out of ``tools`` to fit the export's token budget."""
    dropped_messages: int = 0
    """Messages cut from the end of the episode to fit the export's token budget."""
    offline: bool | None = None
    """True when an offline policy (the oracle agent or the scripted user) played a side of the
    episode: its dialogue comes from templates, not from a model (None: not recorded)."""

    @field_validator("tools", mode="before")
    @classmethod
    def _tools_from_json_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"tools is not valid JSON text: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _one_flag_per_message(self) -> DatasetRow:
        if len(self.train) != len(self.messages):
            raise ValueError(
                f"train has {len(self.train)} flags for {len(self.messages)} messages; "
                "there must be one flag per message"
            )
        return self

    def tools_json(self) -> str:
        """The tools as the JSON text stored in the ``tools`` column."""
        return json.dumps(list(self.tools), ensure_ascii=False)

    def openai_messages(self) -> list[dict[str, Any]]:
        """The messages as OpenAI chat-completions dicts (no null fields)."""
        return [m.openai() for m in self.messages]


class HeldOutTask(Record):
    """A task kept apart for evaluation (listed in ``dataset/heldout/tasks.jsonl``)."""

    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    task_id: str
    domain_id: str
    kept_episodes: int = 0
    """Kept episodes of the task (written to ``dataset/heldout``, never to the training splits)."""


class DomainCount(Record):
    id: str
    name: str
    rows: int


class TokenStats(Record):
    """Lengths of a split's rows in tokens (Qwen3, official template), after fitting."""

    measured: int = 0
    total: int = 0
    mean: float = 0.0
    p50: int = 0
    p90: int = 0
    max: int = 0
    over_budget: int = 0
    """Rows still longer than the budget (their first assistant turn does not fit)."""
    tools_trimmed: int = 0
    """Rows whose tool list was cut to the tools they call plus sampled distractors."""
    truncated: int = 0
    """Rows cut after their last assistant turn that fits."""


class SplitStats(Record):
    rows: int = 0
    tasks: int = 0
    domains: tuple[DomainCount, ...] = ()
    files: dict[str, str] = {}
    """Format -> path relative to the dataset folder."""
    tokens: TokenStats | None = None


class LengthSettings(Record):
    """How rows were measured and fitted."""

    measured: bool
    tokenizer: str = ""
    template: str = ""
    budget: int = 0
    """Token budget of a row (0: measured only)."""
    note: str = ""
    """Why rows were not measured, when they were not."""


class ShareGptStats(Record):
    rows: int = 0
    skipped: int = 0
    """Rows whose turns do not alternate user-side/assistant-side as ShareGPT requires."""
    dropped_texts: int = 0
    """Assistant texts that accompanied tool calls (ShareGPT's function_call turn has no text)."""


class InputStats(Record):
    kept_verdicts: int = 0
    episodes_read: int = 0
    duplicate_episodes: int = 0
    rows: int = 0
    without_assistant: int = 0
    """Kept episodes with no assistant message (nothing to train on), left out."""
    unknown_tasks: int = 0
    """Kept episodes whose task is not in ``tasks.jsonl`` (exported all the same)."""
    decontaminated: int = 0
    """Kept episodes of tasks flagged by ``agentscaler decontam``, left out."""


class DatasetManifest(Record):
    """``dataset/manifest.json``: what an export produced and from which settings."""

    SCHEMA_VERSION: ClassVar[int] = 2

    schema_version: int = 2
    fingerprint: str
    heldout_fraction: float
    seed: int
    formats: tuple[str, ...]
    stage2_keywords: tuple[str, ...] = ()
    stage2_domains: tuple[str, ...] = ()
    """Ids of the domains chosen for stage 2."""
    stage2_auto: bool = False
    """True when the stage-2 domains were chosen automatically (most kept training episodes)."""
    heldout_tasks: int = 0
    splits: dict[Split, SplitStats] = Field(default_factory=dict)
    input: InputStats = InputStats()
    sharegpt: ShareGptStats | None = None
    swift: ShareGptStats | None = None
    """Rows of the ms-swift files (``skipped``: rows ms-swift's checks would delete)."""
    lengths: LengthSettings | None = None
    columns: dict[str, str] = {}
    """How each column is represented on disk."""
