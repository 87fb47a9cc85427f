"""The exported dataset as training input: locating splits, turning rows into examples, counting.

Every row of a split ends up either trained (at least one of its assistant turns is in an example)
or dropped for a named reason (:data:`agentscaler.train.masks.DROP_REASONS`); :class:`StageData`
holds both, so a summary's row count always equals trained rows plus dropped rows.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import model_validator

from agentscaler.errors import TrainingError
from agentscaler.records.base import Record
from agentscaler.train.masks import TOO_LONG, ChatEncoder, Example, check_examples, row_examples

log = logging.getLogger(__name__)


def resolve_data_dir(data: Path) -> Path:
    """The folder holding ``stage1/``: ``data`` itself or ``data/dataset``."""
    for candidate in (Path(data), Path(data) / "dataset"):
        if (candidate / "stage1").is_dir():
            return candidate
    raise TrainingError(
        f"{data} has no stage1/ folder (nor dataset/stage1/). Export a dataset first: "
        f"`agentscaler export RUN_DIR`, then pass RUN_DIR or RUN_DIR/dataset to --data."
    )


def split_file(data_dir: Path, split: str) -> Path:
    for name in ("data.parquet", "data.jsonl"):
        path = data_dir / split / name
        if path.is_file():
            return path
    raise TrainingError(
        f"{data_dir / split} has neither data.parquet nor data.jsonl. Re-run `agentscaler export` "
        "with --formats including parquet."
    )


def count_rows(path: Path) -> int:
    """Rows of an exported split file, read from its metadata (Parquet) or lines (JSON Lines)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


class StageStats(Record):
    """What became of a stage's rows: trained, or dropped by reason; and the examples made."""

    rows: int
    trained_rows: int
    dropped: dict[str, int] = {}
    """Rows left out, by reason (``too_long``, ``no_trainable_turn``, ...)."""
    trained_turns: int = 0
    dropped_turns: dict[str, int] = {}
    """Assistant turns left out of trained rows (a cut at a turn boundary), by reason."""
    examples: int = 0
    tokens: int = 0
    supervised_tokens: int = 0
    longest_example: int = 0
    checked_rows: int = 0
    """Rows whose examples were verified against plain rendering of each prefix."""
    template: str = ""

    @model_validator(mode="after")
    def _every_row_accounted(self) -> StageStats:
        if self.rows != self.trained_rows + sum(self.dropped.values()):
            raise ValueError(
                f"{self.rows} rows but {self.trained_rows} trained and "
                f"{sum(self.dropped.values())} dropped"
            )
        return self


@dataclass
class StageData:
    """The examples of one stage and the account of its rows."""

    examples: list[Example] = field(default_factory=list)
    rows: int = 0
    trained_rows: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    trained_turns: int = 0
    dropped_turns: Counter[str] = field(default_factory=Counter)
    checked_rows: int = 0
    shortest_too_long: int | None = None

    def stats(self, template: str) -> StageStats:
        return StageStats(
            rows=self.rows,
            trained_rows=self.trained_rows,
            dropped=dict(sorted(self.dropped.items())),
            trained_turns=self.trained_turns,
            dropped_turns=dict(sorted(self.dropped_turns.items())),
            examples=len(self.examples),
            tokens=sum(len(e.input_ids) for e in self.examples),
            supervised_tokens=sum(int(e.mask.sum()) for e in self.examples),
            longest_example=max((len(e.input_ids) for e in self.examples), default=0),
            checked_rows=self.checked_rows,
            template=template,
        )


def _check_flags(where: str, messages: list[dict[str, Any]], flags: tuple[bool, ...]) -> None:
    for index, (message, flag) in enumerate(zip(messages, flags, strict=True)):
        if flag and message.get("role") != "assistant":
            raise TrainingError(
                f"{where}: message {index} ({message.get('role')}) is flagged for training, but "
                "only assistant messages can be trained on. Re-export the data."
            )


def prepare_stage(
    path: Path, encoder: ChatEncoder, *, max_length: int, check: int, name: str
) -> StageData:
    """Turn every row of split file ``path`` into examples; verify the first ``check`` rows."""
    from agentscaler.export.writers import read_rows

    data = StageData()
    for index, row in enumerate(read_rows(path)):
        where = f"{path} row {index}"
        messages = row.openai_messages()
        _check_flags(where, messages, row.train)
        tools = list(row.tools) or None
        made = row_examples(encoder, messages, tools, row.train, max_length)
        data.rows += 1
        data.dropped_turns.update(made.dropped_turns)
        if made.drop is not None:
            data.dropped[made.drop] += 1
            if made.drop == TOO_LONG and made.shortest is not None:
                shortest = data.shortest_too_long
                data.shortest_too_long = min(shortest or made.shortest, made.shortest)
            continue
        data.trained_rows += 1
        data.trained_turns += made.trained_turns
        data.examples.extend(made.examples)
        if data.checked_rows < check:
            problems = check_examples(
                encoder.tokenizer, encoder.template, messages, tools, made.examples
            )
            if problems:
                raise TrainingError(
                    f"{name}: {where}: the assistant masks do not match rendering each prefix "
                    f"with the chat template: {'; '.join(problems[:3])}."
                )
            data.checked_rows += 1
    if data.dropped:
        log.warning(
            "%s: %d of %d rows left out: %s",
            name,
            sum(data.dropped.values()),
            data.rows,
            ", ".join(f"{reason} {count}" for reason, count in sorted(data.dropped.items())),
        )
    return data


def examples_dataset(examples: list[Example]):
    """A ``datasets.Dataset`` of ``input_ids`` and ``labels`` (-100 where not supervised)."""
    import numpy as np
    import pyarrow as pa
    from datasets import Dataset

    offsets = np.zeros(len(examples) + 1, np.int32)
    np.cumsum([len(e.input_ids) for e in examples], out=offsets[1:])
    ids = (
        np.concatenate([e.input_ids for e in examples]).astype(np.int64)
        if examples
        else np.zeros(0, np.int64)
    )
    masks = np.concatenate([e.mask for e in examples]) if examples else np.zeros(0, np.int8)
    labels = np.where(masks.astype(bool), ids, -100)
    table = pa.table(
        {
            "input_ids": pa.ListArray.from_arrays(pa.array(offsets), pa.array(ids)),
            "labels": pa.ListArray.from_arrays(pa.array(offsets), pa.array(labels)),
        }
    )
    return Dataset(table)
